import { createHash } from "node:crypto";
import { z } from "zod";
import { CHANNEL_NAMES, type Channel, ChannelError, type OutboundMessage } from "../channels/port.js";
import type { Clock, Timer } from "../engine/clock.js";
import { type JobHandler, PermanentJobError } from "../queue/port.js";
import type { SqlQueryable } from "../store/port.js";
import type { RateLimiter } from "./rate-limit.js";

/**
 * Delivery: the state machine of one outbox row, pending → sending → sent | failed | unknown.
 *
 * - A claim is one conditional UPDATE (status, lease, fencing token, attempts): of two workers
 *   claiming one row, the second's UPDATE re-checks the row after the first commits and matches
 *   nothing. So the due list (dueSends) only names candidates and needs no row locks.
 * - The provider call happens outside any transaction, with the send id as idempotency key.
 * - Every finishing UPDATE carries `fencing_token = <the claim's token> AND status = 'sending'`:
 *   once a lease has expired and the row was re-claimed (or marked unknown), a late result from the
 *   first worker changes nothing.
 * - An expired lease means a worker died inside the provider call. On an idempotent channel the
 *   send is claimed again (the provider drops the repeat); on any other channel it becomes
 *   `unknown`: a lost send is preferred to a duplicate (docs/channels.md, per channel).
 */
export type DeliveryStatus = "sent" | "failed" | "retry" | "unknown" | "skipped";

export interface RetryPolicy {
  /** The wait after the first failed try; doubled after each further one. */
  baseMs: number;
  /** The longest wait between tries. */
  maxMs: number;
  /** Tries in all; a retryable failure on the last one fails the send. */
  maxAttempts: number;
}

/** 30 s, 1 min, 2 min … capped at 1 h; 8 tries span about 1 h 4 min of provider trouble. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, maxMs: 3_600_000, maxAttempts: 8 };
export const DEFAULT_LEASE_MS = 60_000;

export interface DeliveryOutcome {
  sendId: string;
  /** Undefined when the row was not found or not claimable (skipped). */
  channel?: string;
  status: DeliveryStatus;
  /** Tries so far, this one included. */
  attempts?: number;
  /** Why it failed, will be retried, or is unknown. */
  error?: string;
  /** When a retry may run (status "retry"). */
  retryAt?: Date;
}

export interface DeliveryDeps {
  store: SqlQueryable;
  clock: Clock;
  channels: ReadonlyMap<string, Channel>;
  /** How long a claim holds the row; a worker silent past it is presumed dead. Default 60 s. */
  leaseMs?: number;
  /** The provider call is aborted after this long, so it ends inside the lease. Default leaseMs / 2. */
  sendTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Per-channel limiters, taken before the claim (so waiting does not eat into the lease). */
  limiters?: ReadonlyMap<string, RateLimiter>;
  /** Told of every result (metrics, logs); must not throw. */
  onOutcome?: (outcome: DeliveryOutcome) => void;
  /** Provider calls at once within one deliverBatch call (and so the most sends one claim takes). Default 50. */
  batchConcurrency?: number;
  /** A finished send waits at most this long (clock time) for the rest of its batch before it is recorded. Default 1 s. */
  recordDelayMs?: number;
}

/** The wait before the next try, after `attempts` tries have failed (1 = the first). */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
}

type ClaimedRow = {
  send_id: string;
  enrollment_id: string;
  customer_id: string;
  node: string;
  channel: string;
  payload: unknown;
  attempts: number;
  fencing_token: number;
};

/** Provider calls at once in one batch, and so the most sends one claim takes. */
export const DEFAULT_BATCH_CONCURRENCY = 50;
/** How long a finished send waits for the rest of its batch before it is recorded without them. */
export const DEFAULT_RECORD_DELAY_MS = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Delivers one outbox row if it is due and free; says what became of it. Throws only on store errors. */
export async function deliverOne(deps: DeliveryDeps, sendId: string): Promise<DeliveryStatus> {
  const [outcome] = await deliverBatch(deps, [sendId]);
  return outcome?.status ?? "skipped";
}

/**
 * Delivers several outbox rows with the same guarantees as deliverOne, in two statements per wave
 * of up to `batchConcurrency` sends: one claims every claimable row (each gets its own fencing
 * token; a row claimed by another worker, not due, or settled is skipped), and one records every
 * outcome, each row guarded by its own token. The provider calls run concurrently in between.
 * A result is held at most `recordDelayMs` for the rest of its wave, so one slow provider call
 * does not leave finished sends unrecorded (and, on a crash, unknown) for long.
 * Returns one outcome per distinct id, in the order given. Throws only on store errors.
 */
export async function deliverBatch(deps: DeliveryDeps, sendIds: readonly string[]): Promise<DeliveryOutcome[]> {
  const ids = [...new Set(sendIds)];
  ids.forEach((id, index) => {
    if (typeof id !== "string" || !UUID.test(id)) {
      throw new TypeError(`deliverBatch: sendIds[${index}] must be an outbox send_id (a uuid), got ${JSON.stringify(id)}`);
    }
  });
  const outcomes = new Map<string, DeliveryOutcome>();
  const report = (outcome: DeliveryOutcome): void => {
    outcomes.set(outcome.sendId, outcome);
    try {
      deps.onOutcome?.(outcome);
    } catch {
      // ignored on purpose: an observer must not change what happened to the send
    }
  };
  const size = Math.max(1, deps.batchConcurrency ?? DEFAULT_BATCH_CONCURRENCY);
  const idempotent = [...deps.channels].filter(([, channel]) => channel.idempotent).map(([name]) => name);

  if (deps.limiters && deps.limiters.size > 0) {
    await deliverLimited(deps, deps.limiters, ids, idempotent, size, report);
  } else {
    for (let i = 0; i < ids.length; i += size) {
      const wave = ids.slice(i, i + size);
      await deliverWave(deps, wave, wave, idempotent, report);
    }
  }
  return ids.map((sendId) => {
    const outcome = outcomes.get(sendId);
    if (outcome) return outcome;
    const skipped: DeliveryOutcome = { sendId, status: "skipped" };
    report(skipped);
    return skipped;
  });
}

/**
 * With rate limits, a send takes its channel's token before its claim (waiting never eats into a
 * lease), so a wave is the claimable sends that have a token; when none has, it waits for one.
 */
async function deliverLimited(
  deps: DeliveryDeps,
  limiters: ReadonlyMap<string, RateLimiter>,
  ids: string[],
  idempotent: string[],
  size: number,
  report: (outcome: DeliveryOutcome) => void,
): Promise<void> {
  // Only a row that is claimable now costs a token; a dead worker's send on a non-idempotent channel needs none.
  const { rows } = await deps.store.query<{ send_id: string; channel: string; claimable: boolean }>(
    `SELECT send_id, channel, (status = 'pending' OR channel = ANY($3::text[])) AS claimable FROM outbox
      WHERE send_id = ANY($1::uuid[])
        AND ((status = 'pending' AND deliver_after <= $2) OR (status = 'sending' AND lease_until < $2))
      ORDER BY send_id`,
    [ids, new Date(deps.clock.now()), idempotent],
  );
  let waiting = rows.filter((r) => r.claimable);
  let abandon = rows.filter((r) => !r.claimable).map((r) => r.send_id);
  while (waiting.length > 0 || abandon.length > 0) {
    const wave: string[] = [];
    const rest: typeof waiting = [];
    for (const candidate of waiting) {
      if (wave.length < size && (limiters.get(candidate.channel)?.tryTake() ?? 0) === 0) wave.push(candidate.send_id);
      else rest.push(candidate);
    }
    if (wave.length === 0 && abandon.length === 0) {
      const first = rest.shift();
      if (first) {
        await limiters.get(first.channel)?.take();
        wave.push(first.send_id);
      }
    }
    waiting = rest;
    await deliverWave(deps, wave, abandon, idempotent, report);
    abandon = [];
  }
}

/** What the finishing statement writes for one claimed send, and what it means if it applies. */
interface Finish {
  row: ClaimedRow;
  status: "sent" | "failed" | "unknown" | "pending";
  at: Date;
  providerMessageId: string | null;
  deliverAfter: Date | null;
  lastError: string | null;
  outcome: DeliveryOutcome;
}

/**
 * One claim statement for the wave: `claim` ids that are due (or a dead worker's, on an
 * idempotent channel) become `sending` with a new token; `abandon` ids that are a dead worker's
 * on a non-idempotent channel become `unknown`. Rows are locked in send_id order, so two
 * overlapping batches queue up behind each other instead of deadlocking.
 */
const CLAIM_SQL = `
WITH target AS (
  SELECT send_id, (status = 'pending' OR channel = ANY($4::text[])) AS claim
    FROM outbox
   WHERE (send_id = ANY($1::uuid[])
          AND ((status = 'pending' AND deliver_after <= $3)
            OR (status = 'sending' AND lease_until < $3 AND channel = ANY($4::text[]))))
      OR (send_id = ANY($5::uuid[])
          AND status = 'sending' AND lease_until < $3 AND NOT (channel = ANY($4::text[])))
   ORDER BY send_id
     FOR UPDATE)
UPDATE outbox o
   SET status = CASE WHEN t.claim THEN 'sending' ELSE 'unknown' END,
       lease_until = CASE WHEN t.claim THEN $2::timestamptz END,
       fencing_token = o.fencing_token + CASE WHEN t.claim THEN 1 ELSE 0 END,
       attempts = o.attempts + CASE WHEN t.claim THEN 1 ELSE 0 END,
       last_error = CASE WHEN t.claim THEN o.last_error
         ELSE 'the lease ran out during attempt ' || o.attempts || ', inside the ' || o.channel
           || ' provider call (the worker died or stalled); this channel takes no idempotency key, so it is not retried: check the provider for send id '
           || o.send_id END
  FROM target t
 WHERE o.send_id = t.send_id
RETURNING o.send_id, o.enrollment_id, o.customer_id, o.node, o.channel, o.payload, o.attempts, o.fencing_token,
          o.last_error, t.claim AS claimed`;

/** One statement records a group of outcomes; each row changes only if it still holds its claim's token. */
const RECORD_SQL = `
UPDATE outbox o
   SET status = r.status,
       sent_at = CASE WHEN r.status = 'sent' THEN r.at ELSE o.sent_at END,
       provider_message_id = CASE WHEN r.status = 'sent' THEN r.provider_message_id ELSE o.provider_message_id END,
       deliver_after = CASE WHEN r.status = 'pending' THEN r.deliver_after ELSE o.deliver_after END,
       lease_until = NULL,
       last_error = r.last_error
  FROM jsonb_to_recordset($1::jsonb) AS r(send_id uuid, fencing_token bigint, status text, at timestamptz,
                                          provider_message_id text, deliver_after timestamptz, last_error text)
 WHERE o.send_id = r.send_id AND o.fencing_token = r.fencing_token AND o.status = 'sending'
RETURNING o.send_id`;

async function deliverWave(
  deps: DeliveryDeps,
  claim: readonly string[],
  abandon: readonly string[],
  idempotent: string[],
  report: (outcome: DeliveryOutcome) => void,
): Promise<void> {
  const { store, clock } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const now = clock.now();
  const { rows } = await retryConflicts(() =>
    store.query<ClaimedRow & { last_error: string | null; claimed: boolean }>(CLAIM_SQL, [
      claim,
      new Date(now + leaseMs),
      new Date(now),
      idempotent,
      abandon,
    ]),
  );
  const claimed: ClaimedRow[] = [];
  for (const row of rows) {
    if (row.claimed) claimed.push(row);
    else report({ sendId: row.send_id, channel: row.channel, status: "unknown", attempts: row.attempts, ...(row.last_error ? { error: row.last_error } : {}) });
  }
  if (claimed.length === 0) return;

  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  const sendTimeoutMs = deps.sendTimeoutMs ?? Math.floor(leaseMs / 2);
  const recorder = new Recorder(deps, report);
  await Promise.all(claimed.map(async (row) => recorder.add(await attempt(deps, row, policy, sendTimeoutMs))));
  await recorder.flush();
  if (recorder.failed) throw recorder.failed.error;
}

/** Calls the provider for one claimed row and decides what to record; never throws. */
async function attempt(deps: DeliveryDeps, row: ClaimedRow, policy: RetryPolicy, sendTimeoutMs: number): Promise<Finish> {
  const { clock } = deps;
  const channel = deps.channels.get(row.channel);
  const base = { sendId: row.send_id, channel: row.channel, attempts: row.attempts };
  let error: ChannelError;
  try {
    const message = toOutboundMessage(row);
    if (!channel) {
      throw new ChannelError(
        `no ${row.channel} channel is configured in this delivery process (see docs/channels.md for its settings)`,
        { retryable: true },
      );
    }
    const result = await sendWithTimeout(channel, message, clock, sendTimeoutMs);
    return {
      row,
      status: "sent",
      at: new Date(clock.now()),
      providerMessageId: result.providerMessageId ?? null,
      deliverAfter: null,
      lastError: null,
      outcome: { ...base, status: "sent" },
    };
  } catch (thrown) {
    error =
      thrown instanceof ChannelError
        ? thrown
        : // An adapter bug or an unexpected throw: it may have happened after the request went out.
          new ChannelError(`unexpected error in the ${row.channel} channel: ${describe(thrown)}`, {
            retryable: true,
            ambiguous: true,
            cause: thrown,
          });
  }

  const now = clock.now();
  const settle = (status: "failed" | "unknown", lastError: string): Finish => ({
    row,
    status,
    at: new Date(now),
    providerMessageId: null,
    deliverAfter: null,
    lastError,
    outcome: { ...base, status, error: lastError },
  });
  if (error.retryable && error.ambiguous && channel && !channel.idempotent) {
    return settle(
      "unknown",
      `${error.message} (attempt ${row.attempts}); the provider may have accepted it and takes no idempotency key, so it is not retried`,
    );
  }
  if (!error.retryable) return settle("failed", error.message);
  if (row.attempts >= policy.maxAttempts) return settle("failed", `gave up after ${row.attempts} attempts: ${error.message}`);
  const retryAt = new Date(now + (error.retryAfterMs ?? retryDelayMs(policy, row.attempts)));
  return {
    row,
    status: "pending",
    at: new Date(now),
    providerMessageId: null,
    deliverAfter: retryAt,
    lastError: error.message,
    outcome: { ...base, status: "retry", error: error.message, retryAt },
  };
}

/**
 * Collects a wave's results and writes them in one statement when the wave is done, or earlier
 * when a result has waited `recordDelayMs` (then whatever has arrived goes, and the rest later).
 * Writes run one after another; a store error is kept and rethrown by the wave.
 */
class Recorder {
  readonly #deps: DeliveryDeps;
  readonly #report: (outcome: DeliveryOutcome) => void;
  #held: Finish[] = [];
  #timer: Timer | undefined;
  #writes: Promise<void> = Promise.resolve();
  failed: { error: unknown } | undefined;

  constructor(deps: DeliveryDeps, report: (outcome: DeliveryOutcome) => void) {
    this.#deps = deps;
    this.#report = report;
  }

  add(finish: Finish): void {
    this.#held.push(finish);
    this.#timer ??= this.#deps.clock.setTimer(this.#deps.recordDelayMs ?? DEFAULT_RECORD_DELAY_MS, () => {
      this.#timer = undefined;
      void this.flush();
    });
  }

  flush(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const group = this.#held;
    this.#held = [];
    if (group.length > 0) {
      this.#writes = this.#writes.then(() =>
        this.#write(group).catch((error: unknown) => {
          this.failed ??= { error };
        }),
      );
    }
    return this.#writes;
  }

  async #write(group: Finish[]): Promise<void> {
    const records = group.map((f) => ({
      send_id: f.row.send_id,
      fencing_token: f.row.fencing_token,
      status: f.status,
      at: f.at.toISOString(),
      provider_message_id: f.providerMessageId,
      deliver_after: f.deliverAfter?.toISOString() ?? null,
      last_error: f.lastError,
    }));
    const { rows } = await retryConflicts(() => this.#deps.store.query<{ send_id: string }>(RECORD_SQL, [JSON.stringify(records)]));
    const applied = new Set(rows.map((r) => r.send_id));
    for (const f of group) this.#report(applied.has(f.row.send_id) ? f.outcome : stale(f.row.send_id, f.row));
  }
}

/**
 * Claim and record are single guarded statements, so running one again after the database
 * aborted it (deadlock, serialization failure) is safe.
 */
async function retryConflicts<T>(run: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= tries || (code !== "40P01" && code !== "40001")) throw error;
    }
  }
}

function stale(sendId: string, row: ClaimedRow): DeliveryOutcome {
  return {
    sendId,
    channel: row.channel,
    status: "skipped",
    attempts: row.attempts,
    error: `claim ${row.fencing_token} lost its lease before finishing; its result was discarded`,
  };
}

async function sendWithTimeout(channel: Channel, message: OutboundMessage, clock: Clock, timeoutMs: number) {
  const controller = new AbortController();
  const timer = clock.setTimer(timeoutMs, () =>
    controller.abort(new ChannelError(`no answer within ${timeoutMs} ms`, { retryable: true, ambiguous: true })),
  );
  try {
    return await channel.send(message, { idempotencyKey: message.sendId, signal: controller.signal });
  } finally {
    timer.cancel();
  }
}

// ── The payload the engine writes ────────────────────────────────────────────

const text = z.string();
const contentSchemas = {
  email: z.looseObject({ subject: text.optional(), preheader: text.optional(), body: text, text: text.optional() }),
  sms: z.looseObject({ body: text.min(1) }),
  push: z.looseObject({ title: text.optional(), body: text, data: z.record(z.string(), text).optional() }),
  webhook: z.looseObject({ url: text.optional(), method: text.optional(), body: z.unknown().optional() }),
  in_app: z.looseObject({ title: text.optional(), body: text.optional(), recommendations: z.array(z.unknown()).optional() }),
} as const;

const payloadSchema = z.looseObject({
  journey: text,
  version: text,
  node: text,
  channel: z.enum(CHANNEL_NAMES),
  template: text.nullable().optional(),
  to: text,
  content: z.record(z.string(), z.unknown()),
});

/** The outbox row as the channel sees it; a malformed payload is a permanent failure naming the field. */
export function toOutboundMessage(row: {
  send_id: string;
  enrollment_id: string;
  customer_id: string;
  channel: string;
  payload: unknown;
}): OutboundMessage {
  const payload = payloadSchema.safeParse(row.payload);
  if (!payload.success) throw malformed(row.send_id, payload.error, "payload");
  const p = payload.data;
  if (p.channel !== row.channel) {
    throw new ChannelError(`outbox ${row.send_id}: payload.channel is ${p.channel} but the row's channel is ${row.channel}`, {
      retryable: false,
    });
  }
  const base = {
    sendId: row.send_id,
    customerId: row.customer_id,
    enrollmentId: row.enrollment_id,
    journey: p.journey,
    version: p.version,
    node: p.node,
    template: p.template ?? null,
    to: p.to,
  };
  const parse = <S extends z.ZodType>(schema: S): z.infer<S> => {
    const content = schema.safeParse(p.content);
    if (!content.success) throw malformed(row.send_id, content.error, "payload.content");
    return content.data;
  };
  switch (p.channel) {
    case "email":
      return { ...base, channel: "email", content: parse(contentSchemas.email) };
    case "sms":
      return { ...base, channel: "sms", content: parse(contentSchemas.sms) };
    case "push":
      return { ...base, channel: "push", content: parse(contentSchemas.push) };
    case "webhook": {
      const { body, ...rest } = parse(contentSchemas.webhook);
      // Templates render text; a structured body from an inline message is sent as its JSON.
      const bodyText = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
      return { ...base, channel: "webhook", content: { ...rest, ...(bodyText === undefined ? {} : { body: bodyText }) } };
    }
    case "in_app":
      return { ...base, channel: "in_app", content: parse(contentSchemas.in_app) };
    default: {
      const never: never = p.channel;
      throw new Error(`unhandled channel ${String(never)}`);
    }
  }
}

function malformed(sendId: string, error: z.ZodError, prefix: string): ChannelError {
  const problems = error.issues.map((issue) => `${[prefix, ...issue.path.map(String)].join(".")}: ${issue.message}`).join("; ");
  return new ChannelError(`outbox ${sendId}: the engine wrote a malformed payload (${problems})`, { retryable: false });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ── Finding due sends, and the queue handler ─────────────────────────────────

export interface DueSend {
  sendId: string;
  channel: string;
  /** Tries so far: part of the job id, so each try gets a fresh one. */
  attempts: number;
  /** `deliver.<send_id>.<attempts>`. */
  jobId: string;
}

export function deliveryJobId(sendId: string, attempts: number): string {
  return `deliver.${sendId}.${attempts}`;
}

/**
 * Sends due now: pending with deliver_after reached, and claims whose lease ran out (a dead
 * worker's). A plain read: the claim in deliverOne is the only gate, so two sweepers naming the
 * same send cost one wasted job, never a second delivery.
 */
export async function dueDeliveries(store: SqlQueryable, now: Date | number, limit: number): Promise<DueSend[]> {
  const at = new Date(now);
  const { rows } = await store.query<{ send_id: string; channel: string; attempts: number }>(
    `SELECT send_id, channel, attempts FROM (
        (SELECT send_id, channel, attempts, deliver_after AS due FROM outbox
          WHERE status = 'pending' AND deliver_after <= $1 ORDER BY deliver_after LIMIT $2)
        UNION ALL
        (SELECT send_id, channel, attempts, lease_until AS due FROM outbox
          WHERE status = 'sending' AND lease_until < $1 ORDER BY lease_until LIMIT $2)
      ) AS due ORDER BY due LIMIT $2`,
    [at, limit],
  );
  return rows.map((r) => ({ sendId: r.send_id, channel: r.channel, attempts: r.attempts, jobId: deliveryJobId(r.send_id, r.attempts) }));
}

export async function dueSends(store: SqlQueryable, now: Date | number, limit: number): Promise<string[]> {
  return (await dueDeliveries(store, now, limit)).map((due) => due.sendId);
}

/**
 * The `deliver` queue's handler for one send per job. A retry is not the queue's business:
 * delivery has put the row back to pending with its deliver_after, and the sweep queues it then.
 */
export function deliveryHandler(deps: DeliveryDeps): JobHandler<{ sendId: string }> {
  return async (job) => {
    const sendId = (job.data as { sendId?: unknown } | null)?.sendId;
    if (typeof sendId !== "string" || !UUID.test(sendId)) {
      throw new PermanentJobError(`deliver job ${job.id}: data.sendId must be an outbox send_id (a uuid), got ${JSON.stringify(sendId)}`);
    }
    await deliverOne(deps, sendId);
  };
}

/** A deliver job: a batch of sends, or (queued before batching) a single one. */
export type DeliveryJob = { sendIds: string[] } | { sendId: string };

/**
 * The `deliver` queue's handler for batches (`{ sendIds }`); it still takes `{ sendId }` jobs, so
 * jobs queued before a switch to batches are delivered too.
 */
export function deliveryBatchHandler(deps: DeliveryDeps): JobHandler<DeliveryJob> {
  return async (job) => {
    const data = job.data as { sendIds?: unknown; sendId?: unknown } | null;
    if (data && typeof data === "object" && "sendIds" in data) {
      const { sendIds } = data;
      if (!Array.isArray(sendIds) || sendIds.length === 0) {
        throw new PermanentJobError(`deliver job ${job.id}: data.sendIds must be a non-empty array of outbox send_ids, got ${JSON.stringify(sendIds)}`);
      }
      const bad = sendIds.findIndex((id) => typeof id !== "string" || !UUID.test(id));
      if (bad >= 0) {
        throw new PermanentJobError(`deliver job ${job.id}: data.sendIds[${bad}] must be an outbox send_id (a uuid), got ${JSON.stringify(sendIds[bad])}`);
      }
      await deliverBatch(deps, sendIds as string[]);
      return;
    }
    const sendId = data?.sendId;
    if (typeof sendId !== "string" || !UUID.test(sendId)) {
      throw new PermanentJobError(
        `deliver job ${job.id}: data must be { sendIds: [<send_id>, …] } or { sendId: <send_id> } (outbox send_ids, uuids), got ${JSON.stringify(job.data)}`,
      );
    }
    await deliverOne(deps, sendId);
  };
}

/** Sends per deliver job when the engine queues them in batches. */
export const DEFAULT_DELIVERY_JOB_SIZE = 50;

/**
 * The deliver queue's jobs for sends just written (a send id: its first try) or found due by the
 * reconciler (with its attempts and due time). The job id names every send's try, so the same sends
 * due again (a retry, quiet hours) get a fresh job, and the same list queued twice is one job. A
 * single send keeps the id `deliver.<id>.<attempts>[.<dueMs>]`.
 */
export function deliveryJobs(
  sends: readonly (string | { sendId: string; attempts: number; due: Date })[],
  size = DEFAULT_DELIVERY_JOB_SIZE,
): { data: { sendIds: string[] }; options: { jobId: string } }[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`deliveryJobs: size must be a whole number ≥ 1 (got ${size})`);
  const keys = sends.map((send) =>
    typeof send === "string"
      ? { sendId: send, key: `${send}.0` }
      : { sendId: send.sendId, key: `${send.sendId}.${send.attempts}.${send.due.getTime()}` },
  );
  const jobs: { data: { sendIds: string[] }; options: { jobId: string } }[] = [];
  for (let i = 0; i < keys.length; i += size) {
    const group = keys.slice(i, i + size);
    const jobId =
      group.length === 1
        ? `deliver.${group[0]?.key}`
        : `deliver.batch.${createHash("sha256").update(group.map((g) => g.key).join(",")).digest("hex").slice(0, 40)}`;
    jobs.push({ data: { sendIds: group.map((g) => g.sendId) }, options: { jobId } });
  }
  return jobs;
}
