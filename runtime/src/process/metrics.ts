/**
 * Prometheus metrics (prom-client), one registry per process. Counters are counted as things
 * happen in this process; queue depth and wait lag are read from Redis and PostgreSQL on scrape,
 * so they describe the whole deployment (every process reports the same figure).
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { DeliveryOutcome } from "../delivery/deliver.js";
import type { JobQueue } from "../queue/port.js";
import type { SqlQueryable } from "../store/port.js";

export interface MetricsSources {
  /** Queues whose depth is reported. */
  queue?: JobQueue;
  queueNames?: readonly string[];
  /** For the lag of due waits. */
  store?: SqlQueryable;
  /** Wall time for the lag (the process's clock). */
  now?: () => number;
  /** Steps taken in this process by journey and node (Engine.stepCounts). */
  steps?: () => ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Told when a scrape-time read fails (the figure is then left out); must not throw. */
  onCollectError?: (what: string, error: unknown) => void;
}

export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly eventsIngested: Counter<"type" | "result">;
  readonly sends: Counter<"channel" | "status">;
  readonly jobFailures: Counter<"queue" | "retry">;
  readonly ticks: Counter<"result">;
  readonly woken: Counter;
  #sources: MetricsSources = {};

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "journey_process_" });
    this.eventsIngested = new Counter({
      name: "journey_events_ingested_total",
      help: "Messages received by the ingestion API, by event type (track: the event name) and whether they were accepted or rejected",
      labelNames: ["type", "result"],
      registers,
    });
    this.sends = new Counter({
      name: "journey_sends_total",
      help: "Delivery attempts by channel and outcome (sent, failed, retry, unknown, skipped)",
      labelNames: ["channel", "status"],
      registers,
    });
    this.jobFailures = new Counter({ name: "journey_job_failures_total", help: "Failed job tries, by queue and whether the job will be retried", labelNames: ["queue", "retry"], registers });
    this.ticks = new Counter({ name: "journey_ticks_total", help: "Ticks (promoter, schedules, reconciler) run by this process", labelNames: ["result"], registers });
    this.woken = new Counter({ name: "journey_waits_woken_total", help: "Due waits the promoter queued in this process", registers });
    const self = this;
    new Counter({
      name: "journey_steps_total",
      help: "Journey steps (nodes visited) taken in this process, by journey",
      labelNames: ["journey"],
      registers,
      collect() {
        const steps = self.#sources.steps?.();
        if (!steps) return;
        this.reset();
        for (const [journey, nodes] of steps) {
          let total = 0;
          for (const n of nodes.values()) total += n;
          this.inc({ journey }, total);
        }
      },
    });
    new Gauge({
      name: "journey_queue_jobs",
      help: "Jobs in each queue by state (waiting, active, delayed), read from the queue on scrape",
      labelNames: ["queue", "state"],
      registers,
      async collect() {
        const { queue, queueNames } = self.#sources;
        if (!queue) return;
        this.reset();
        for (const name of queueNames ?? []) {
          try {
            const counts = await queue.counts(name);
            for (const state of ["waiting", "active", "delayed"] as const) this.set({ queue: name, state }, counts[state]);
          } catch (error) {
            self.#collectError(`queue depth of ${name}`, error);
          }
        }
      },
    });
    new Gauge({
      name: "journey_wait_lag_seconds",
      help: "Seconds between now and the oldest wait that is due (wake_at <= now) and not yet taken: 0 when none is overdue",
      registers,
      async collect() {
        const { store, now } = self.#sources;
        if (!store) return;
        const at = new Date((now ?? Date.now)());
        try {
          const { rows } = await store.query<{ oldest: Date | null }>("SELECT min(wake_at) AS oldest FROM enrollments WHERE wake_at <= $1 AND ended_at IS NULL", [at]);
          const oldest = rows[0]?.oldest;
          this.set(oldest ? Math.max(0, (at.getTime() - oldest.getTime()) / 1000) : 0);
        } catch (error) {
          self.#collectError("wait lag", error);
        }
      },
    });
  }

  /** Where the scrape-time figures come from (set once the store, queue and engine exist). */
  attach(sources: MetricsSources): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  /** DeliveryDeps.onOutcome. */
  readonly onDelivery = (outcome: DeliveryOutcome): void => {
    this.sends.inc({ channel: outcome.channel ?? "unknown", status: outcome.status });
  };

  /** The text exposition for GET /metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #collectError(what: string, error: unknown): void {
    try {
      this.#sources.onCollectError?.(what, error);
    } catch {
      // ignored on purpose: a failing logger must not fail the scrape
    }
  }
}
