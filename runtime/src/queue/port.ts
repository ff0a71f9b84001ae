/**
 * The queue port: named queues of jobs, run by handlers. Two implementations with the same
 * semantics: BullMQ on Redis (production, many processes) and an in-process queue (embedded mode
 * and tests, on an injected clock). Postgres stays the source of truth: a queue only says what to
 * work on next, and a lost job is re-added by the reconciler from what Postgres says is due.
 *
 * The shared semantics (the conformance suite checks each):
 * - at least once: a job whose worker dies mid-run runs again, so handlers must be idempotent
 *   (a step's compare-and-set on the enrollment version makes them so);
 * - job data goes through JSON (a Date arrives as its ISO string; undefined properties vanish);
 * - a jobId is taken while the queue holds the job: waiting, delayed, active, or kept after it
 *   finished (see QueueOptions.retain). Adding a taken id is a no-op that returns the id. So an id
 *   names the work and the state it acts on (`step.<enrollment>.<version>`), never just the target;
 * - jobs run in the order they became ready; at most `concurrency` at once per process;
 * - a handler that throws is retried after the backoff until `attempts` tries; a PermanentJobError
 *   fails the job at once;
 * - close() stops taking jobs and waits for the running ones; jobs not started stay queued in Redis
 *   (BullMQ) or are dropped (in-process, whose queue lives and dies with the process).
 */
export type QueueKind = "bullmq" | "in-process";

export interface Backoff {
  type: "fixed" | "exponential";
  /** Fixed: every retry waits this long. Exponential: delayMs · 2^(retry − 1): 1×, 2×, 4× … */
  delayMs: number;
}

export interface JobOptions {
  /** Idempotency key: see the module comment. Absent: the queue makes a fresh (numeric) id. */
  jobId?: string;
  /** Milliseconds before the job may run (on the queue's clock). */
  delay?: number;
  /** Tries in all, the first included. */
  attempts?: number;
  backoff?: Backoff;
}

export interface Job<T = unknown> {
  id: string;
  queue: string;
  data: T;
  /** 1 on the first try, 2 on the first retry … */
  attempt: number;
}

export type JobHandler<T = unknown> = (job: Job<T>) => Promise<void>;

export interface ProcessOptions {
  /** Jobs of this queue run at once in this process. Default 1. */
  concurrency?: number;
}

export type JobState = "waiting" | "delayed" | "active" | "completed" | "failed";

export type JobCounts = Record<JobState, number>;

export interface QueueOptions {
  /**
   * Finished jobs kept (so their ids still dedupe and can be inspected), newest first; older ones
   * are removed. Bounded so that Redis memory does not grow with history. Defaults 1000 and 5000.
   */
  retain?: { completed?: number; failed?: number };
  /** attempts and backoff for jobs that do not set their own. Default 3 tries, exponential from 1 s. */
  defaults?: { attempts?: number; backoff?: Backoff };
  /** Told of every failed try (retry or not), to log it; must not throw. */
  onFailure?: (job: Job, error: unknown, willRetry: boolean) => void;
}

/** A set of named queues. */
export interface JobQueue {
  readonly kind: QueueKind;
  /** Adds a job and returns its id (the existing job's id when jobId is taken). */
  add<T>(queue: string, data: T, options?: JobOptions): Promise<string>;
  /** Adds several jobs to one queue in one round trip; ids in order. */
  addBulk<T>(queue: string, jobs: readonly { data: T; options?: JobOptions }[]): Promise<string[]>;
  /** Starts running the queue's jobs with `handler` (once per queue per JobQueue). */
  process<T>(queue: string, handler: JobHandler<T>, options?: ProcessOptions): Promise<void>;
  /** The job's state, or undefined if the queue does not hold it (never added, or no longer kept). */
  state(queue: string, jobId: string): Promise<JobState | undefined>;
  counts(queue: string): Promise<JobCounts>;
  /** Stops taking jobs, waits for running ones, releases connections. */
  close(): Promise<void>;
}

/** Thrown by a handler: fail the job now, without retrying (the input can never succeed). */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}

/** The queue was used wrongly: a bad name or id, a second handler, use after close(). */
export class QueueUsageError extends Error {
  override name = "QueueUsageError";
}

export const DEFAULT_RETAIN = { completed: 1000, failed: 5000 } as const;
export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF: Backoff = { type: "exponential", delayMs: 1000 };

const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkQueueName(name: string): string {
  if (!QUEUE_NAME.test(name)) {
    throw new QueueUsageError(`queue name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-' (no ':')`);
  }
  return name;
}

/**
 * Custom ids may not contain ':' (BullMQ's key separator) nor be a plain integer (the form of
 * generated ids, which they could collide with). Both implementations enforce it.
 */
export function checkJobId(id: string): string {
  if (id.length === 0 || id.length > 256 || id.includes(":") || `${Number.parseInt(id, 10)}` === id) {
    throw new QueueUsageError(
      `job id ${JSON.stringify(id)}: must be 1-256 characters, not a plain integer, without ':' (use '.' to join parts)`,
    );
  }
  return id;
}

/** The wait before retry number `retry` (1 = the first retry). */
export function backoffDelay(backoff: Backoff, retry: number): number {
  return backoff.type === "fixed" ? backoff.delayMs : backoff.delayMs * 2 ** (retry - 1);
}

/** What a handler receives: data through JSON, as a Redis-backed queue would deliver it. */
export function throughJson<T>(data: T): string {
  const text = JSON.stringify(data);
  if (text === undefined) throw new QueueUsageError("job data must be JSON-serialisable (got undefined or a function)");
  return text;
}

/** Tells `onFailure` of a failed try; a failing logger must not change what happens to the job. */
export function reportFailure(onFailure: QueueOptions["onFailure"], job: Job, error: unknown, willRetry: boolean): void {
  try {
    onFailure?.(job, error, willRetry);
  } catch {
    // ignored on purpose: see above
  }
}
