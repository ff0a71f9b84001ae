import type { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import {
  type Backoff,
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
import { checkEvictionPolicy } from "./redis-policy.js";

export interface BullmqQueueOptions extends QueueOptions {
  /** e.g. redis://127.0.0.1:6379 (default). */
  redisUrl?: string;
  /**
   * Namespace of every Redis key ("journey" by default): several runtimes, or test runs, share one
   * Redis without seeing each other's jobs. For Redis Cluster, wrap it in braces ("{journey}").
   */
  prefix?: string;
  /** Where the Redis configuration warning goes (default console.warn). */
  warn?: (message: string) => void;
}

/**
 * Opens the production queue: BullMQ on Redis. BullMQ and ioredis are loaded here, not at import
 * time. Delays and backoffs run on Redis and real time, never on an injected clock: pair a
 * VirtualClock with the in-process queue instead.
 */
export async function openBullmqQueue(options: BullmqQueueOptions = {}): Promise<JobQueue> {
  const [{ Queue, Worker, UnrecoverableError }, { Redis }] = await Promise.all([import("bullmq"), import("ioredis")]);
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const url = options.redisUrl ?? "redis://127.0.0.1:6379";
  // BullMQ workers block on Redis: a command must wait for a reconnect rather than fail after N
  // retries. Hence an explicit first connect, which fails fast instead of waiting forever.
  const connection = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  let cause: Error | undefined;
  const remember = (error: Error) => {
    cause = error;
  };
  connection.on("error", remember);
  try {
    await connection.connect();
    await checkEvictionPolicy(connection, warn);
  } catch (error) {
    connection.disconnect();
    const reason = cause?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot use Redis at ${redacted(url)}: ${reason}`, { cause: cause ?? error });
  }
  connection.off("error", remember);
  connection.on("error", (error: Error) => warn(`redis: ${error.message}`));
  return new BullmqQueue(connection, { Queue, Worker, UnrecoverableError }, options);
}

interface BullmqClasses {
  Queue: typeof Queue;
  Worker: typeof Worker;
  UnrecoverableError: new (message?: string) => Error;
}

class BullmqQueue implements JobQueue {
  readonly kind = "bullmq";
  readonly #queues = new Map<string, Queue>();
  readonly #workers = new Map<string, Worker>();
  readonly #prefix: string;
  readonly #retain: { completed: number; failed: number };
  readonly #attempts: number;
  readonly #backoff: Backoff;
  #closed = false;

  constructor(
    readonly connection: Redis,
    readonly bull: BullmqClasses,
    readonly options: BullmqQueueOptions,
  ) {
    this.#prefix = options.prefix ?? "journey";
    this.#retain = { ...DEFAULT_RETAIN, ...options.retain };
    this.#attempts = options.defaults?.attempts ?? DEFAULT_ATTEMPTS;
    this.#backoff = options.defaults?.backoff ?? DEFAULT_BACKOFF;
  }

  async add<T>(queue: string, data: T, options: JobOptions = {}): Promise<string> {
    const target = this.#queue(queue);
    const job = await target.add(queue, JSON.parse(throughJson(data)), this.#jobOptions(options));
    return jobIdOf(job);
  }

  async addBulk<T>(queue: string, jobs: readonly { data: T; options?: JobOptions }[]): Promise<string[]> {
    const target = this.#queue(queue);
    const bulk = jobs.map((job) => ({
      name: queue,
      data: JSON.parse(throughJson(job.data)),
      opts: this.#jobOptions(job.options ?? {}),
    }));
    return (await target.addBulk(bulk)).map(jobIdOf);
  }

  async process<T>(queue: string, handler: JobHandler<T>, options: ProcessOptions = {}): Promise<void> {
    this.#check();
    checkQueueName(queue);
    if (this.#workers.has(queue)) throw new QueueUsageError(`queue ${queue} already has a handler in this process`);
    const { Worker, UnrecoverableError } = this.bull;
    const onFailure = this.options.onFailure;
    const worker = new Worker(
      queue,
      async (bullJob) => {
        const job: Job<T> = { id: jobIdOf(bullJob), queue, data: bullJob.data as T, attempt: bullJob.attemptsMade + 1 };
        try {
          await handler(job);
        } catch (error) {
          const permanent = error instanceof PermanentJobError;
          reportFailure(onFailure, job as Job, error, !permanent && job.attempt < (bullJob.opts.attempts ?? 1));
          if (permanent) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      { connection: this.connection, prefix: this.#prefix, concurrency: Math.max(1, options.concurrency ?? 1) },
    );
    worker.on("error", (error: Error) => (this.options.warn ?? console.warn)(`queue ${queue}: ${error.message}`));
    this.#workers.set(queue, worker);
    await worker.waitUntilReady();
  }

  async state(queue: string, jobId: string): Promise<JobState | undefined> {
    const state = await this.#queue(queue).getJobState(jobId);
    switch (state) {
      case "unknown":
        return undefined;
      case "prioritized":
      case "waiting-children":
        return "waiting";
      default:
        return state;
    }
  }

  async counts(queue: string): Promise<JobCounts> {
    const counts = await this.#queue(queue).getJobCounts("waiting", "prioritized", "delayed", "active", "completed", "failed");
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Workers first: each waits for its running jobs, then the producers, then the connection.
    await Promise.all([...this.#workers.values()].map((w) => w.close()));
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    await this.connection.quit();
  }

  #queue(name: string): Queue {
    this.#check();
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new this.bull.Queue(checkQueueName(name), { connection: this.connection, prefix: this.#prefix });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  #jobOptions(options: JobOptions) {
    const backoff = options.backoff ?? this.#backoff;
    return {
      ...(options.jobId === undefined ? {} : { jobId: checkJobId(options.jobId) }),
      ...(options.delay ? { delay: options.delay } : {}),
      attempts: Math.max(1, options.attempts ?? this.#attempts),
      backoff: { type: backoff.type, delay: backoff.delayMs },
      // Bounded history: finished jobs beyond these counts are deleted from Redis.
      removeOnComplete: { count: this.#retain.completed },
      removeOnFail: { count: this.#retain.failed },
    };
  }

  #check(): void {
    if (this.#closed) throw new QueueUsageError("queue used after close()");
  }
}

function jobIdOf(job: { id?: string | undefined }): string {
  if (job.id === undefined) throw new Error("BullMQ returned a job without an id");
  return job.id;
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}
