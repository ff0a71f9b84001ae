/**
 * The engine: wires per-customer evaluation, the promoter (due waits), timed triggers, the
 * reconciler and delivery to a store, a queue and a clock. Postgres holds every state; the queue
 * only says which customer to look at next, so anything the queue loses the next tick re-queues.
 */
import { createHash } from "node:crypto";
import type { Clock } from "./clock.js";
import { type DeliveryJob, deliveryJobs } from "../delivery/deliver.js";
import { indexJourney, type LoadedJourney, type LoadedProject } from "../model/project.js";
import type { JobHandler, JobQueue } from "../queue/port.js";
import type { SqlQueryable, SqlStore } from "../store/port.js";
import { Catalogue, RfmTable } from "./catalogue.js";
import { runCustomer, startByRequest } from "./evaluate.js";
import { TemplateRenderer } from "./render.js";
import type { EngineContext } from "./run.js";
import { nextOccurrence, runTimedTriggers } from "./schedule.js";
import { publish, type PublishReport } from "./versions.js";

export const CUSTOMER_QUEUE = "journey.customer";
export const DELIVER_QUEUE = "journey.deliver";

export interface EngineOptions {
  store: SqlStore;
  queue: JobQueue;
  clock: Clock;
  project: LoadedProject;
  /** Delivery of outbox rows; without one, sends stay `pending` in the outbox (a sink reads them). */
  deliver?: JobHandler<DeliveryJob>;
  /** Customers evaluated at once by this process. Default 4 (1 on PGlite, which is one connection). */
  concurrency?: number;
  /** Rows the promoter claims per tick. Default 1000. */
  batchSize?: number;
  /** How long a queued wake-up may take before the promoter queues it again. Default 60 s. */
  leaseMs?: number;
  /** Told of every job failure (logging); must not throw. */
  onError?: (error: unknown, what: string) => void;
  /** Customers evaluated per transaction (group commit). Default 50. */
  groupSize?: number;
  /** How often (clock time) the tick re-checks segments that change with time alone. Default 1 hour. */
  segmentCheckIntervalMs?: number;
}

export interface TickReport {
  woke: number;
  scheduled: number;
  requeuedCustomers: number;
  requeuedSends: number;
  segmentChecks: number;
}

const DEFAULT_GROUP_SIZE = 50;

/** A customer job: one customer, or a group evaluated in one transaction. */
export type CustomerJob = { customerId: string } | { customerIds: string[] };

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40001" || code === "40P01";
}

/**
 * Queues customer jobs in groups of `batch`. A job's id names every (customer, reason) it covers,
 * so the same work queued twice (a retried commit, a promoter and a reconciler) is one job.
 */
export async function addCustomerJobs(queue: JobQueue, jobs: readonly { customerId: string; reason: string }[], batch = DEFAULT_GROUP_SIZE): Promise<void> {
  if (jobs.length === 0) return;
  const sorted = [...jobs].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  const groups: (typeof jobs)[] = [];
  for (let i = 0; i < sorted.length; i += batch) groups.push(sorted.slice(i, i + batch));
  await queue.addBulk<CustomerJob>(
    CUSTOMER_QUEUE,
    groups.map((group) => {
      const first = group[0] as (typeof jobs)[number];
      if (group.length === 1) return { data: { customerId: first.customerId }, options: { jobId: `customer.${first.customerId}.${first.reason}` } };
      const digest = createHash("sha1")
        .update(group.map((j) => `${j.customerId}/${j.reason}`).join(","))
        .digest("hex");
      return { data: { customerIds: group.map((j) => j.customerId) }, options: { jobId: `customers.${group.length}.${digest}` } };
    }),
  );
}

/** Ingestion's callback when no engine runs in the process: queue evaluation of these customers' new events. */
export async function queueCustomerEvaluation(store: SqlQueryable, queue: JobQueue, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return;
  const { rows } = await store.query<{ customer_id: string; last: number }>(
    "SELECT customer_id, max(event_id) AS last FROM events WHERE customer_id = ANY($1::uuid[]) AND NOT evaluated GROUP BY customer_id",
    [[...new Set(customerIds)]],
  );
  await addCustomerJobs(
    queue,
    rows.map((r) => ({ customerId: r.customer_id, reason: `e${r.last}` })),
  );
}

export class Engine implements EngineContext {
  readonly project: LoadedProject;
  readonly population = { catalogue: new Catalogue(), rfm: new RfmTable() };
  readonly renderer = new TemplateRenderer();
  readonly #store: SqlStore;
  readonly #queue: JobQueue;
  readonly #clock: Clock;
  readonly #options: EngineOptions;
  readonly #versions = new Map<string, LoadedJourney>();
  readonly #current = new Map<string, LoadedJourney>();
  readonly #stepCounts = new Map<string, Map<string, number>>();
  published: PublishReport | undefined;
  readonly #watched = new Set<string>();
  #segmentsCheckedAt = Number.NEGATIVE_INFINITY;
  readonly #nextTimed = new Map<string, { customers: string; at: Date | undefined; from: Date }>();

  private constructor(options: EngineOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#queue = options.queue;
    this.#clock = options.clock;
    this.project = options.project;
  }

  /** Publishes the project's journeys (a changed journey gets a new version), loads the catalogue, and starts taking jobs. */
  static async start(options: EngineOptions): Promise<Engine> {
    const engine = new Engine(options);
    engine.published = await publish(options.store, options.project, engine.now());
    for (const journey of options.project.journeys.values()) {
      engine.#versions.set(`${journey.name}/${journey.version}`, journey);
      engine.#current.set(journey.name, journey);
      const trigger = journey.ir.trigger;
      if (trigger.kind === "segment") engine.#watched.add(trigger.segment);
      if (trigger.kind === "schedule" && trigger.audience) engine.#watched.add(trigger.audience);
    }
    await engine.population.catalogue.refresh(options.store);
    await engine.population.rfm.refresh(options.store, options.project, engine.now());
    const concurrency = options.concurrency ?? (options.store.concurrency === "serial" ? 1 : 4);
    await options.queue.process<CustomerJob>(CUSTOMER_QUEUE, (job) => engine.#customersJob("customerIds" in job.data ? job.data.customerIds : [job.data.customerId]), {
      concurrency,
    });
    if (options.deliver) await options.queue.process(DELIVER_QUEUE, options.deliver, { concurrency });
    return engine;
  }

  now(): Date {
    return new Date(this.#clock.now());
  }

  currentVersion(journey: string): LoadedJourney | undefined {
    return this.#current.get(journey);
  }

  async journeyVersion(db: SqlQueryable, journey: string, version: string): Promise<LoadedJourney> {
    const key = `${journey}/${version}`;
    const known = this.#versions.get(key);
    if (known) return known;
    const { rows } = await db.query<{ ir: unknown }>("SELECT ir FROM journey_versions WHERE journey = $1 AND version = $2", [journey, version]);
    if (!rows[0]) throw new Error(`journey ${journey} version ${version} is not published in this database`);
    const loaded = indexJourney(rows[0].ir);
    this.#versions.set(key, loaded);
    return loaded;
  }

  #count(visited: readonly [string, string][]): void {
    for (const [journey, node] of visited) {
      let nodes = this.#stepCounts.get(journey);
      if (!nodes) this.#stepCounts.set(journey, (nodes = new Map()));
      nodes.set(node, (nodes.get(node) ?? 0) + 1);
    }
  }

  /** Steps taken in this process, by journey and node (`journey dev`'s per-step counts). */
  stepCounts(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.#stepCounts;
  }

  /** Ingestion's callback: these customers have new events to evaluate. */
  readonly onAccepted = (customerIds: readonly string[]): Promise<void> => queueCustomerEvaluation(this.#store, this.#queue, customerIds);

  /**
   * Starts `journey` for a customer on request (the API trigger): entry rules apply; the same
   * `requestId` twice starts it once. Returns the enrollment id, or undefined when the entry rule
   * (or an active enrollment) said no.
   */
  async startJourney(customerId: string, journey: string, properties: Record<string, unknown>, requestId: string): Promise<string | undefined> {
    if (!this.#current.has(journey)) throw new Error(`no journey named ${journey} is published`);
    const now = this.now();
    const result = await this.#store.transaction((tx) => startByRequest(tx, this, customerId, journey, properties, requestId, now));
    this.#count(result.visited);
    await this.#queueSends(result.sends);
    return result.enrollmentId;
  }

  /** Evaluates one customer now, in this call (tests use it). */
  async evaluate(customerId: string): Promise<void> {
    await this.#customersJob([customerId]);
  }

  /**
   * Several customers in one transaction (group commit): each in a savepoint of its own, in id
   * order (so two such transactions never wait on each other in a cycle). A customer that fails
   * rolls back alone and is queued again on its own; the others commit.
   */
  async #customersJob(customerIds: readonly string[]): Promise<void> {
    const now = this.now();
    const ids = [...new Set(customerIds)].sort();
    let failed: { customerId: string; error: unknown }[] = [];
    const results = await this.#store.transaction(async (tx) => {
      failed = [];
      const done = [];
      for (const customerId of ids) {
        if (ids.length === 1) {
          done.push(await runCustomer(tx, this, customerId, now));
          continue;
        }
        await tx.query("SAVEPOINT customer");
        try {
          done.push(await runCustomer(tx, this, customerId, now));
          await tx.query("RELEASE SAVEPOINT customer");
        } catch (error) {
          // A deadlock or serialization failure aborts the whole transaction: let the store retry it.
          if (isRetryable(error)) throw error;
          await tx.query("ROLLBACK TO SAVEPOINT customer");
          failed.push({ customerId, error });
        }
      }
      return done;
    });
    const again: { customerId: string; reason: string }[] = [];
    // One set of deliver jobs for the whole group: delivery claims and records each job's sends in two statements.
    await this.#queueSends(results.flatMap((result) => result.sends));
    for (const result of results) {
      this.#count(result.visited);
      if (result.more) again.push({ customerId: result.customerId, reason: `again${now.getTime()}.${result.eventsApplied}` });
    }
    for (const { customerId, error } of failed) {
      this.#options.onError?.(error, `customer ${customerId}`);
      again.push({ customerId, reason: `retry${now.getTime()}` });
    }
    await this.#queueCustomers(again, 1);
  }

  async #queueCustomers(jobs: readonly { customerId: string; reason: string }[], batch = this.#options.groupSize ?? DEFAULT_GROUP_SIZE): Promise<void> {
    await addCustomerJobs(this.#queue, jobs, batch);
  }

  /** Up to 50 sends per job; job ids name each send's attempt and due time, so a send held back (quiet hours, retry) is queued again when due. */
  async #queueSends(sends: readonly (string | { sendId: string; attempts: number; due: Date })[]): Promise<void> {
    if (!this.#options.deliver || sends.length === 0) return;
    await this.#queue.addBulk(DELIVER_QUEUE, deliveryJobs(sends));
  }

  /**
   * One round of the clockwork: queue due waits (promoter), run schedule and date triggers,
   * re-check clock-dependent segments, and re-queue whatever Postgres says is due that the
   * queue may have lost (reconciler). Safe to run from any number of processes at once.
   */
  async tick(): Promise<TickReport> {
    const now = this.now();
    const lease = new Date(now.getTime() + (this.#options.leaseMs ?? 60_000));
    const report: TickReport = { woke: 0, scheduled: 0, requeuedCustomers: 0, requeuedSends: 0, segmentChecks: 0 };
    await this.population.catalogue.refresh(this.#store);

    // Promoter: claim due waits in batches; the lease keeps other promoters off them until it runs out.
    for (;;) {
      const due = await this.#store.query<{ id: string; customer_id: string; version: number }>(
        `WITH due AS (
           SELECT id FROM enrollments
           WHERE wake_at <= $1 AND ended_at IS NULL AND (queued_until IS NULL OR queued_until < $1)
           ORDER BY wake_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE enrollments e SET queued_until = $3 FROM due WHERE e.id = due.id
         RETURNING e.id, e.customer_id, e.version`,
        [now, this.#options.batchSize ?? 1000, lease],
      );
      await this.#queueCustomers(due.rows.map((r) => ({ customerId: r.customer_id, reason: `w${r.id}.${r.version}` })));
      report.woke += due.rows.length;
      if (due.rows.length < (this.#options.batchSize ?? 1000)) break;
    }

    for (const journey of this.#current.values()) {
      const { sends, visited } = await runTimedTriggers(this.#store, this, journey, now);
      this.#count(visited);
      report.scheduled += sends.length;
      await this.#queueSends(sends);
    }

    if (now.getTime() - this.#segmentsCheckedAt >= (this.#options.segmentCheckIntervalMs ?? 3_600_000)) {
      report.segmentChecks = await this.#checkClockSegments(now);
      this.#segmentsCheckedAt = now.getTime();
    }

    // Reconciler: events nobody evaluated, sends nobody delivered.
    const stale = await this.#store.query<{ customer_id: string; last: number }>(
      "SELECT customer_id, max(event_id) AS last FROM events WHERE NOT evaluated GROUP BY customer_id ORDER BY 2 LIMIT 5000",
    );
    await this.#queueCustomers(stale.rows.map((r) => ({ customerId: r.customer_id, reason: `e${r.last}` })));
    report.requeuedCustomers = stale.rows.length;
    if (this.#options.deliver) {
      const pending = await this.#store.query<{ send_id: string; attempts: number; due: Date }>(
        `SELECT send_id, attempts, CASE WHEN status = 'pending' THEN deliver_after ELSE lease_until END AS due FROM outbox
         WHERE (status = 'pending' AND deliver_after <= $1) OR (status = 'sending' AND lease_until < $1)
         ORDER BY deliver_after LIMIT 5000`,
        [now],
      );
      await this.#queueSends(pending.rows.map((r) => ({ sendId: r.send_id, attempts: r.attempts, due: r.due })));
      report.requeuedSends = pending.rows.length;
    }
    return report;
  }

  /**
   * Segments that change with time alone (`no purchase in last 180 days`): whoever the SQL says
   * changed is evaluated again. Only the stored membership of segments that start journeys or are
   * a schedule's audience matters (conditions compute membership fresh), so only those are checked.
   */
  async #checkClockSegments(now: Date): Promise<number> {
    let checks = 0;
    for (const segment of this.project.project.segments) {
      if (!segment.dependsOn.clock || !this.#watched.has(segment.name)) continue;
      const params = segment.sql.params.map((p) => (p.kind === "now" ? now : p.value));
      const n = params.length + 1;
      const { rows } = await this.#store.query<{ customer_id: string }>(
        `WITH s AS (${segment.sql.query}), m AS (SELECT customer_id FROM segment_members WHERE segment = $${n})
         (SELECT customer_id FROM s EXCEPT SELECT customer_id FROM m)
         UNION (SELECT customer_id FROM m EXCEPT SELECT customer_id FROM s)`,
        [...params, segment.name],
      );
      await this.#queueCustomers(rows.map((r) => ({ customerId: r.customer_id, reason: `seg${segment.name}.${now.getTime()}` })));
      checks += rows.length;
    }
    return checks;
  }

  /** Resolves when the queue has no ready or running job (delayed retries may remain). */
  async settle(timeoutMs = 60_000): Promise<void> {
    const queue = this.#queue as JobQueue & { whenIdle?: () => Promise<void> };
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      if (queue.whenIdle) await queue.whenIdle();
      const counts = await Promise.all([CUSTOMER_QUEUE, DELIVER_QUEUE].map((q) => this.#queue.counts(q)));
      const busy = counts.reduce((sum, c) => sum + c.waiting + c.active, 0);
      quiet = busy === 0 ? quiet + 1 : 0;
      if (Date.now() > deadline) throw new Error(`the queue did not settle within ${timeoutMs} ms (${busy} jobs waiting or running)`);
      if (quiet < 2) await new Promise((resolve) => setTimeout(resolve, busy === 0 ? 1 : 5));
    }
  }

  /**
   * The earliest instant after now at which a tick has work: a wake-up, a held send, a schedule or
   * date trigger's next occurrence, the next segment check. A virtual clock jumps straight there.
   */
  async nextWake(): Promise<Date | undefined> {
    const now = this.now();
    const { rows } = await this.#store.query<{ at: Date | null }>("SELECT min(wake_at) AS at FROM enrollments WHERE wake_at > $1 AND ended_at IS NULL", [now]);
    const pending = await this.#store.query<{ at: Date | null }>("SELECT min(deliver_after) AS at FROM outbox WHERE status = 'pending' AND deliver_after > $1", [now]);
    const times = [rows[0]?.at, this.#options.deliver ? pending.rows[0]?.at : undefined].filter((t): t is Date => t instanceof Date).map((t) => t.getTime());
    const stamp = await this.#store.query<{ stamp: string }>("SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') AS stamp FROM customers");
    const customers = stamp.rows[0]?.stamp ?? "";
    for (const journey of this.#current.values()) {
      // Occurrences depend on the customers (zones, birthdays) and on now: reuse the last answer while both hold.
      // (The search looks a week ahead, so an empty answer is asked again after a day.)
      const cached = this.#nextTimed.get(journey.name);
      const fresh = cached && cached.customers === customers && (cached.at ? cached.at > now : now.getTime() - cached.from.getTime() < 86_400_000);
      let next = cached?.at;
      if (!fresh) {
        next = await nextOccurrence(this.#store, this.project, journey, now);
        this.#nextTimed.set(journey.name, { customers, at: next, from: now });
      }
      if (next) times.push(next.getTime());
    }
    if (this.#watched.size > 0) times.push(this.#segmentsCheckedAt + (this.#options.segmentCheckIntervalMs ?? 3_600_000));
    const future = times.filter((t) => t > now.getTime());
    return future.length > 0 ? new Date(Math.min(...future)) : undefined;
  }
}
