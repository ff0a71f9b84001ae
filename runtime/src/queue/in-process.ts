import { type Clock, systemClock, type Timer } from "../engine/clock.js";
import {
  type Backoff,
  backoffDelay,
  checkJobId,
  checkQueueName,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF,
  DEFAULT_RETAIN,
  type Job,
  type JobCounts,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type JobState,
  PermanentJobError,
  type ProcessOptions,
  type QueueOptions,
  QueueUsageError,
  reportFailure,
  throughJson,
} from "./port.js";

export interface InProcessQueueOptions extends QueueOptions {
  /** Delays and retry backoffs run on this clock: a VirtualClock makes them instant in tests. */
  clock?: Clock;
}

interface HeldJob {
  id: string;
  /** The data as JSON text: each try parses its own copy, as a Redis queue would deliver it. */
  json: string;
  state: JobState;
  attemptsMade: number;
  attempts: number;
  backoff: Backoff;
  timer?: Timer;
}

interface Lane {
  name: string;
  /** Every job the lane holds, finished ones kept included: the jobId dedupe set. */
  held: Map<string, HeldJob>;
  ready: HeldJob[];
  completed: string[];
  failed: string[];
  active: number;
  handler?: JobHandler;
  concurrency: number;
}

/**
 * The embedded queue: the same semantics as the BullMQ one (see port.ts), in memory, with delays
 * and backoffs on an injected clock. Jobs live only as long as the process, which is fine because
 * Postgres holds the truth and the reconciler re-adds what is due.
 */
export class InProcessQueue implements JobQueue {
  readonly kind = "in-process";
  readonly #clock: Clock;
  readonly #retain: { completed: number; failed: number };
  readonly #attempts: number;
  readonly #backoff: Backoff;
  readonly #onFailure: QueueOptions["onFailure"];
  readonly #lanes = new Map<string, Lane>();
  readonly #running = new Set<Promise<void>>();
  #nextId = 1;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: InProcessQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#retain = { ...DEFAULT_RETAIN, ...options.retain };
    this.#attempts = options.defaults?.attempts ?? DEFAULT_ATTEMPTS;
    this.#backoff = options.defaults?.backoff ?? DEFAULT_BACKOFF;
    this.#onFailure = options.onFailure;
  }

  async add<T>(queue: string, data: T, options: JobOptions = {}): Promise<string> {
    return this.#add(this.#lane(queue), data, options);
  }

  async addBulk<T>(queue: string, jobs: readonly { data: T; options?: JobOptions }[]): Promise<string[]> {
    const lane = this.#lane(queue);
    // Check every job before adding any, as a bulk add to Redis is all or nothing.
    for (const job of jobs) if (job.options?.jobId !== undefined) checkJobId(job.options.jobId);
    const texts = jobs.map((job) => throughJson(job.data));
    return jobs.map((job, i) => this.#add(lane, job.data, job.options ?? {}, texts[i]));
  }

  async process<T>(queue: string, handler: JobHandler<T>, options: ProcessOptions = {}): Promise<void> {
    const lane = this.#lane(queue);
    if (lane.handler) throw new QueueUsageError(`queue ${queue} already has a handler in this process`);
    lane.handler = handler as JobHandler;
    lane.concurrency = Math.max(1, options.concurrency ?? 1);
    this.#pump(lane);
  }

  async state(queue: string, jobId: string): Promise<JobState | undefined> {
    return this.#lane(queue).held.get(jobId)?.state;
  }

  async counts(queue: string): Promise<JobCounts> {
    const counts: JobCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
    for (const job of this.#lane(queue).held.values()) counts[job.state]++;
    return counts;
  }

  /** Resolves when no job is ready or running (delayed jobs may remain): for tests and `journey test`. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const lane of this.#lanes.values()) {
        for (const job of lane.held.values()) job.timer?.cancel();
      }
    }
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  #lane(name: string): Lane {
    if (this.#closed) throw new QueueUsageError("queue used after close()");
    let lane = this.#lanes.get(name);
    if (!lane) {
      lane = { name: checkQueueName(name), held: new Map(), ready: [], completed: [], failed: [], active: 0, concurrency: 1 };
      this.#lanes.set(name, lane);
    }
    return lane;
  }

  #add<T>(lane: Lane, data: T, options: JobOptions, json = throughJson(data)): string {
    const id = options.jobId === undefined ? String(this.#nextId++) : checkJobId(options.jobId);
    if (lane.held.has(id)) return id;
    const job: HeldJob = {
      id,
      json,
      state: "waiting",
      attemptsMade: 0,
      attempts: Math.max(1, options.attempts ?? this.#attempts),
      backoff: options.backoff ?? this.#backoff,
    };
    lane.held.set(id, job);
    this.#schedule(lane, job, options.delay ?? 0);
    return id;
  }

  /** Ready now, or delayed until the clock says so. */
  #schedule(lane: Lane, job: HeldJob, delay: number): void {
    if (delay > 0) {
      job.state = "delayed";
      job.timer = this.#clock.setTimer(delay, () => {
        job.timer = undefined;
        this.#makeReady(lane, job);
      });
    } else {
      this.#makeReady(lane, job);
    }
  }

  #makeReady(lane: Lane, job: HeldJob): void {
    job.state = "waiting";
    lane.ready.push(job);
    this.#pump(lane);
  }

  #pump(lane: Lane): void {
    while (!this.#closed && lane.handler && lane.active < lane.concurrency) {
      const job = lane.ready.shift();
      if (!job) break;
      const run = this.#run(lane, lane.handler, job);
      this.#running.add(run);
      void run.finally(() => {
        this.#running.delete(run);
        this.#pump(lane);
        if (this.#isIdle()) for (const wake of this.#idleWaiters.splice(0)) wake();
      });
    }
  }

  async #run(lane: Lane, handler: JobHandler, job: HeldJob): Promise<void> {
    job.state = "active";
    lane.active++;
    const seen: Job = { id: job.id, queue: lane.name, data: JSON.parse(job.json), attempt: job.attemptsMade + 1 };
    try {
      // Not in the caller's stack: a handler always starts on a later turn, as it would from Redis.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await handler(seen);
      this.#finish(lane, job, "completed");
    } catch (error) {
      job.attemptsMade++;
      const willRetry = !(error instanceof PermanentJobError) && job.attemptsMade < job.attempts && !this.#closed;
      reportFailure(this.#onFailure, seen, error, willRetry);
      if (willRetry) this.#schedule(lane, job, backoffDelay(job.backoff, job.attemptsMade));
      else this.#finish(lane, job, "failed");
    } finally {
      lane.active--;
    }
  }

  /** Keeps the newest finished jobs, up to the retain limit; an older one is forgotten (its id freed). */
  #finish(lane: Lane, job: HeldJob, state: "completed" | "failed"): void {
    job.state = state;
    const kept = state === "completed" ? lane.completed : lane.failed;
    kept.push(job.id);
    while (kept.length > this.#retain[state]) {
      const forgotten = kept.shift();
      if (forgotten !== undefined) lane.held.delete(forgotten);
    }
  }

  #isIdle(): boolean {
    if (this.#running.size > 0) return false;
    for (const lane of this.#lanes.values()) if (lane.ready.length > 0 && lane.handler) return false;
    return true;
  }
}
