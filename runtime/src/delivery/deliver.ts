import { z } from "zod";
import { CHANNEL_NAMES, type Channel, ChannelError, type OutboundMessage } from "../channels/port.js";
import type { Clock } from "../engine/clock.js";
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

/** Delivers one outbox row if it is due and free; says what became of it. Throws only on store errors. */
export async function deliverOne(deps: DeliveryDeps, sendId: string): Promise<DeliveryStatus> {
  const outcome = await deliver(deps, sendId);
  try {
    deps.onOutcome?.(outcome);
  } catch {
    // ignored on purpose: an observer must not change what happened to the send
  }
  return outcome.status;
}

async function deliver(deps: DeliveryDeps, sendId: string): Promise<DeliveryOutcome> {
  const { store, clock } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const idempotent = [...deps.channels].filter(([, channel]) => channel.idempotent).map(([name]) => name);

  if (deps.limiters && deps.limiters.size > 0) {
    // Only a row that is claimable now costs a token.
    const at = new Date(clock.now());
    const { rows } = await store.query<{ channel: string }>(
      `SELECT channel FROM outbox WHERE send_id = $1
         AND ((status = 'pending' AND deliver_after <= $2) OR (status = 'sending' AND lease_until < $2))`,
      [sendId, at],
    );
    const channel = rows[0]?.channel;
    if (channel === undefined) return { sendId, status: "skipped" };
    await deps.limiters.get(channel)?.take();
  }

  const now = clock.now();
  const claimed = await store.query<ClaimedRow>(
    `UPDATE outbox
        SET status = 'sending', lease_until = $2, fencing_token = fencing_token + 1, attempts = attempts + 1
      WHERE send_id = $1
        AND ((status = 'pending' AND deliver_after <= $3)
          OR (status = 'sending' AND lease_until < $3 AND channel = ANY($4::text[])))
      RETURNING send_id, enrollment_id, customer_id, node, channel, payload, attempts, fencing_token`,
    [sendId, new Date(now + leaseMs), new Date(now), idempotent],
  );
  const row = claimed.rows[0];
  if (!row) return abandonExpiredLease(deps, sendId, idempotent, now);

  const token = row.fencing_token;
  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  const channel = deps.channels.get(row.channel);
  let error: ChannelError;
  try {
    const message = toOutboundMessage(row);
    if (!channel) {
      throw new ChannelError(
        `no ${row.channel} channel is configured in this delivery process (see docs/channels.md for its settings)`,
        { retryable: true },
      );
    }
    const result = await sendWithTimeout(channel, message, clock, deps.sendTimeoutMs ?? Math.floor(leaseMs / 2));
    const finished = await store.query(
      `UPDATE outbox SET status = 'sent', sent_at = $3, provider_message_id = $4, lease_until = NULL, last_error = NULL
        WHERE send_id = $1 AND fencing_token = $2 AND status = 'sending'`,
      [sendId, token, new Date(clock.now()), result.providerMessageId ?? null],
    );
    return finished.rowCount === 1
      ? { sendId, channel: row.channel, status: "sent", attempts: row.attempts }
      : stale(sendId, row);
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
  return finishFailed(deps, row, channel, error, policy);
}

async function finishFailed(
  deps: DeliveryDeps,
  row: ClaimedRow,
  channel: Channel | undefined,
  error: ChannelError,
  policy: RetryPolicy,
): Promise<DeliveryOutcome> {
  const { store, clock } = deps;
  const base = { sendId: row.send_id, channel: row.channel, attempts: row.attempts };
  const now = clock.now();
  const finish = async (status: "failed" | "unknown", lastError: string): Promise<DeliveryOutcome> => {
    const result = await store.query(
      `UPDATE outbox SET status = $3, lease_until = NULL, last_error = $4
        WHERE send_id = $1 AND fencing_token = $2 AND status = 'sending'`,
      [row.send_id, row.fencing_token, status, lastError],
    );
    return result.rowCount === 1 ? { ...base, status, error: lastError } : stale(row.send_id, row);
  };

  if (error.retryable && error.ambiguous && channel && !channel.idempotent) {
    return finish(
      "unknown",
      `${error.message} (attempt ${row.attempts}); the provider may have accepted it and takes no idempotency key, so it is not retried`,
    );
  }
  if (!error.retryable) return finish("failed", error.message);
  if (row.attempts >= policy.maxAttempts) return finish("failed", `gave up after ${row.attempts} attempts: ${error.message}`);

  const retryAt = new Date(now + (error.retryAfterMs ?? retryDelayMs(policy, row.attempts)));
  const result = await store.query(
    `UPDATE outbox SET status = 'pending', deliver_after = $3, lease_until = NULL, last_error = $4
      WHERE send_id = $1 AND fencing_token = $2 AND status = 'sending'`,
    [row.send_id, row.fencing_token, retryAt, error.message],
  );
  return result.rowCount === 1 ? { ...base, status: "retry", error: error.message, retryAt } : stale(row.send_id, row);
}

/** Nothing to claim: if the row is a dead worker's send on a non-idempotent channel, settle it as unknown. */
async function abandonExpiredLease(deps: DeliveryDeps, sendId: string, idempotent: string[], now: number): Promise<DeliveryOutcome> {
  const { rows } = await deps.store.query<{ channel: string; attempts: number; last_error: string }>(
    `UPDATE outbox
        SET status = 'unknown', lease_until = NULL,
            last_error = 'the lease ran out during attempt ' || attempts || ', inside the ' || channel
              || ' provider call (the worker died or stalled); this channel takes no idempotency key, so it is not retried: check the provider for send id '
              || send_id
      WHERE send_id = $1 AND status = 'sending' AND lease_until < $2 AND NOT (channel = ANY($3::text[]))
      RETURNING channel, attempts, last_error`,
    [sendId, new Date(now), idempotent],
  );
  const row = rows[0];
  if (!row) return { sendId, status: "skipped" };
  return { sendId, channel: row.channel, status: "unknown", attempts: row.attempts, error: row.last_error };
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `deliver` queue's handler. A retry is not the queue's business: deliverOne has put the row
 * back to pending with its deliver_after, and the sweep (dueDeliveries) queues it then.
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
