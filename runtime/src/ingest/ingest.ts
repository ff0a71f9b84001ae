/**
 * Storing messages: validated ones become events (idempotent by message id) on the resolved
 * customer, invalid ones rows in rejected_events; all of one call in one transaction.
 */
import { v4 as uuidv4 } from "uuid";
import type { Clock } from "../engine/clock.js";
import { IdentityBatch, IdentityRaceError, type KeyOwner, keyId, liveOwner } from "../identity/batch.js";
import { ANONYMOUS_ID, type IdentityKey, sortKeys } from "../identity/keys.js";
import { profileMergeSql } from "../identity/profile.js";
import { conflictingKind, liveCustomer, mergeOptions, resolveCustomer } from "../identity/resolve.js";
import { mergeCustomers } from "../identity/merge.js";
import type { LoadedProject } from "../model/project.js";
import type { SqlQueryable, SqlStore } from "../store/port.js";
import { type MessageType, type ParsedMessage, parseMessage } from "./messages.js";
import { buildValidators, type FieldError, type Validators } from "./validate.js";

export interface IngestDeps {
  store: SqlStore;
  project: LoadedProject;
  clock: Clock;
  /** Called after the commit with the customers that got new events (or were merged into). */
  onAccepted?: (customerIds: string[]) => void | Promise<void>;
}

export interface AcceptedMessage {
  index: number;
  messageId: string;
  customerId: string;
  duplicate: boolean;
  /** Stored, but something the sender should know (identity keys that point to a different person). */
  warnings?: string[];
}

export interface RejectedMessage {
  index: number;
  messageId?: string;
  errors: FieldError[];
}

export interface IngestResult {
  accepted: AcceptedMessage[];
  rejected: RejectedMessage[];
}

export interface IngestOptions {
  /** The type of a message without `type` (the endpoint it came to: /v1/track …). */
  defaultType?: MessageType;
  /** Messages whose JSON is longer are rejected (Segment: 32 KB). */
  maxMessageBytes?: number;
  /** Where each message came from, stored with a rejection (an import's `file:line`). */
  location?: (index: number) => string | undefined;
}

const validatorCache = new WeakMap<LoadedProject, Validators>();

/** The project's validators, built once per loaded project. */
export function validatorsFor(project: LoadedProject): Validators {
  let validators = validatorCache.get(project);
  if (!validators) {
    validators = buildValidators(project);
    validatorCache.set(project, validators);
  }
  return validators;
}

export async function rejectRow(
  tx: SqlQueryable,
  row: { now: Date; messageId?: string | undefined; errors: FieldError[]; payload: string; source: string; location?: string | undefined },
): Promise<void> {
  const first = row.errors[0];
  const reason = first ? `${first.path}: ${first.message}` : "rejected";
  await tx.query(
    "INSERT INTO rejected_events (received_at, message_id, reason, errors, payload, source, location) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)",
    [row.now, row.messageId ?? null, reason, JSON.stringify(row.errors), row.payload, row.source, row.location ?? null],
  );
}

export async function ingestMessages(
  deps: IngestDeps,
  messages: unknown[],
  source: "api" | "import" = "api",
  options: IngestOptions = {},
): Promise<IngestResult> {
  const { project, store } = deps;
  const validators = validatorsFor(project);
  const now = new Date(deps.clock.now());

  const valid: Valid[] = [];
  const invalid: Invalid[] = [];
  messages.forEach((raw, index) => {
    const payload = () => JSON.stringify(raw) ?? String(raw);
    if (options.maxMessageBytes !== undefined) {
      const text = payload();
      const bytes = Buffer.byteLength(text);
      if (bytes > options.maxMessageBytes) {
        const messageId = (raw as { messageId?: unknown } | null)?.messageId;
        const rejected: RejectedMessage = {
          index,
          errors: [{ path: "(message)", message: `message is ${bytes} bytes, over the limit of ${options.maxMessageBytes} bytes per message` }],
        };
        if (typeof messageId === "string") rejected.messageId = messageId;
        invalid.push({ rejected, payload: text });
        return;
      }
    }
    const result = parseMessage(project, validators, raw, options.defaultType);
    // Ids for messages sent without one, fixed before the transaction so a retried attempt reuses them.
    if (result.ok) valid.push({ index, message: result.message, messageId: result.message.messageId ?? uuidv4() });
    else {
      const rejected: RejectedMessage = { index, errors: result.errors };
      if (result.messageId !== undefined) rejected.messageId = result.messageId;
      invalid.push({ rejected, payload: payload() });
    }
  });

  const attempt = (oneByOne: boolean) =>
    store.transaction(async (tx) => {
      await rejectRows(
        tx,
        now,
        source,
        invalid.map(({ rejected, payload }) => ({ messageId: rejected.messageId, errors: rejected.errors, payload, location: options.location?.(rejected.index) })),
      );
      return oneByOne ? storeOneByOne(tx, project, valid, now) : storeBatched(tx, project, valid, now);
    });
  let stored: Stored[];
  try {
    stored = await attempt(false);
  } catch (error) {
    // Another transaction created one of our new customers or keys meanwhile: resolveCustomer's loop sorts that out.
    if (!(error instanceof IdentityRaceError)) throw error;
    stored = await attempt(true);
  }

  const touched = new Set<string>();
  const accepted = stored.map(({ touched: ids, ...message }) => {
    for (const id of ids) touched.add(id);
    return message;
  });
  if (touched.size > 0) await deps.onAccepted?.([...touched]);
  return { accepted, rejected: invalid.map((i) => i.rejected) };
}

interface Valid {
  index: number;
  message: ParsedMessage;
  messageId: string;
}
interface Invalid {
  rejected: RejectedMessage;
  payload: string;
}
type Stored = AcceptedMessage & { touched: string[] };

/** All rejections of a call in one statement, in message order. */
async function rejectRows(
  tx: SqlQueryable,
  now: Date,
  source: string,
  rows: { messageId?: string | undefined; errors: FieldError[]; payload: string; location?: string | undefined }[],
): Promise<void> {
  if (rows.length === 0) return;
  const records = rows.map((row, n) => {
    const first = row.errors[0];
    return {
      n,
      message_id: row.messageId ?? null,
      reason: first ? `${first.path}: ${first.message}` : "rejected",
      errors: row.errors,
      payload: row.payload,
      location: row.location ?? null,
    };
  });
  await tx.query(
    `INSERT INTO rejected_events (received_at, message_id, reason, errors, payload, source, location)
     SELECT $1, r.message_id, r.reason, r.errors, r.payload, $2, r.location
     FROM jsonb_to_recordset($3::jsonb) AS r(n int, message_id text, reason text, errors jsonb, payload text, location text)
     ORDER BY r.n`,
    [now, source, JSON.stringify(records)],
  );
}

/** The fallback: every message through storeMessage (resolveCustomer, merges), in order. */
async function storeOneByOne(tx: SqlQueryable, project: LoadedProject, valid: readonly Valid[], now: Date): Promise<Stored[]> {
  const stored: Stored[] = [];
  for (const item of valid) {
    const result = await storeMessage(tx, project, item.message, item.messageId, now);
    stored.push({ index: item.index, ...result.accepted, touched: result.touched });
  }
  return stored;
}

/**
 * Messages in runs: a run's messages are looked up together (their ids among the events, their keys
 * among the identities), resolved in memory, and written set-based; a message that needs a merge or
 * is an alias ends the run and goes through storeMessage, then the next run is looked up afresh.
 * So messages keep their order in event_id, and a call without merges takes a handful of statements.
 */
async function storeBatched(tx: SqlQueryable, project: LoadedProject, valid: readonly Valid[], now: Date): Promise<Stored[]> {
  const stored: Stored[] = [];
  let from = 0;
  // Messages looked up at once: all at first; after a merge, a window sized by the last run, so a batch of merges stays linear.
  let window = valid.length;
  while (from < valid.length) {
    const first = valid[from] as Valid;
    if (first.message.type === "alias") {
      const result = await storeMessage(tx, project, first.message, first.messageId, now);
      stored.push({ index: first.index, ...result.accepted, touched: result.touched });
      from++;
      continue;
    }
    const end = Math.min(valid.length, from + window);
    const { events: known, owners } = await lookupRun(tx, project, valid.slice(from, end));
    const batch = new IdentityBatch(project, owners);
    const planned = new Map<string, string>();
    const events: { stored: Stored; message: ParsedMessage; messageId: string }[] = [];
    const profiles: { id: string; fill: Record<string, string>; traits?: Record<string, unknown> }[] = [];
    let at = from;
    for (; at < end; at++) {
      const { index, message, messageId } = valid[at] as Valid;
      if (message.type === "alias") break;
      const earlier = planned.get(messageId) ?? known.get(messageId);
      if (earlier !== undefined) {
        const customerId = typeof earlier === "string" ? earlier : await liveCustomer(tx, earlier.customerId);
        stored.push({ index, messageId, customerId, duplicate: true, touched: [] });
        continue;
      }
      const step = batch.resolve(message.keys);
      if (!step) break;
      planned.set(messageId, step.customerId);
      const item: Stored = { index, messageId, customerId: step.customerId, duplicate: false, touched: [step.customerId] };
      stored.push(item);
      events.push({ stored: item, message, messageId });
      if (message.traits || Object.keys(step.fill).length > 0) {
        profiles.push({ id: step.customerId, fill: step.fill, ...(message.traits ? { traits: message.traits } : {}) });
      }
    }

    await batch.write(tx, now);
    await updateProfiles(tx, project, profiles, now);
    const inserted = await insertEvents(tx, events, now);
    for (const { stored: item } of events) {
      // Stored meanwhile by a concurrent call with the same message id.
      if (!inserted.has(item.messageId)) {
        item.duplicate = true;
        item.touched = [];
      }
    }

    const next = at < end ? valid[at] : undefined;
    if (next) {
      const result = await storeMessage(tx, project, next.message, next.messageId, now);
      stored.push({ index: next.index, ...result.accepted, touched: result.touched });
      window = Math.max(32, 2 * (at - from));
      at++;
    } else window *= 2;
    from = at;
  }
  return stored;
}

/**
 * One statement for a run: the messages' ids already stored (with the event's live customer, or
 * the customer to follow when its merge chain is longer) and the owners of the messages' keys.
 */
async function lookupRun(
  tx: SqlQueryable,
  project: LoadedProject,
  run: readonly Valid[],
): Promise<{ events: Map<string, string | { customerId: string }>; owners: Map<string, KeyOwner> }> {
  const messageIds = run.flatMap((v) => (v.message.type === "alias" ? [] : [v.messageId]));
  const keys = new Map<string, IdentityKey>();
  for (const v of run) for (const key of sortKeys(project, v.message.keys)) keys.set(keyId(key), key);
  const rows = await tx.query<{ source: "event" | "key"; kind: string; value: string | null; customer_id: string; merged_into: string | null; next: string | null }>(
    `SELECT 'event' AS source, e.message_id AS kind, NULL::text AS value, e.customer_id, c.merged_into, s.merged_into AS next
     FROM events e JOIN customers c ON c.customer_id = e.customer_id LEFT JOIN customers s ON s.customer_id = c.merged_into
     WHERE e.message_id = ANY($1::text[])
     UNION ALL
     SELECT 'key', i.kind, i.value, i.customer_id, c.merged_into, s.merged_into
     FROM unnest($2::text[], $3::text[]) AS k(kind, value)
     JOIN identities i ON i.kind = k.kind AND i.value = k.value
     JOIN customers c ON c.customer_id = i.customer_id LEFT JOIN customers s ON s.customer_id = c.merged_into`,
    [messageIds, [...keys.values()].map((k) => k.kind), [...keys.values()].map((k) => k.value)],
  );
  const events = new Map<string, string | { customerId: string }>();
  const owners = new Map<string, KeyOwner>();
  for (const row of rows.rows) {
    const owner = liveOwner(row.customer_id, row.merged_into, row.next);
    if (row.source === "event") events.set(row.kind, owner ?? { customerId: row.customer_id });
    else owners.set(keyId({ kind: row.kind, value: row.value ?? "" }), owner);
  }
  return { events, owners };
}

/**
 * Profile updates of a run in waves, each customer at most once per wave, so one customer's
 * updates land in message order: the learnt keys' fields where missing, then the traits.
 */
async function updateProfiles(
  tx: SqlQueryable,
  project: LoadedProject,
  updates: readonly { id: string; fill: Record<string, string>; traits?: Record<string, unknown> }[],
  now: Date,
): Promise<void> {
  if (updates.length === 0) return;
  const waves: (typeof updates)[number][][] = [];
  const seen = new Map<string, number>();
  for (const update of updates) {
    const n = seen.get(update.id) ?? 0;
    seen.set(update.id, n + 1);
    (waves[n] ??= []).push(update);
  }
  const merge = profileMergeSql([...project.customerFields.values()], "(r.fill || c.profile)", "r.traits");
  for (const wave of waves) {
    await tx.query(
      `UPDATE customers c SET profile = CASE WHEN r.traits IS NULL THEN r.fill || c.profile ELSE ${merge} END,
              updated_at = CASE WHEN r.traits IS NULL THEN c.updated_at ELSE $1 END
       FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, fill jsonb, traits jsonb) WHERE c.customer_id = r.id`,
      [now, JSON.stringify(wave)],
    );
  }
}

/** A run's events in one statement, in message order (event_id follows it); returns the message ids stored. */
async function insertEvents(tx: SqlQueryable, events: readonly { message: ParsedMessage; messageId: string; stored: Stored }[], now: Date): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const rows = events.map(({ message, messageId, stored }, n) => {
    if (message.eventName === undefined) throw new Error(`message ${messageId}: a ${message.type} message has no event name to store`);
    return {
      n,
      message_id: messageId,
      customer_id: stored.customerId,
      name: message.eventName,
      occurred_at: (message.timestamp ? new Date(message.timestamp) : now).toISOString(),
      properties: message.properties,
      context: message.context,
    };
  });
  const inserted = await tx.query<{ message_id: string }>(
    `INSERT INTO events (message_id, customer_id, name, occurred_at, received_at, properties, context, evaluated)
     SELECT r.message_id, r.customer_id, r.name, r.occurred_at, $1, r.properties, r.context, false
     FROM jsonb_to_recordset($2::jsonb) AS r(n int, message_id text, customer_id uuid, name text, occurred_at timestamptz, properties jsonb, context jsonb)
     ORDER BY r.n
     ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
    [now, JSON.stringify(rows)],
  );
  return new Set(inserted.rows.map((r) => r.message_id));
}

async function storeMessage(
  tx: SqlQueryable,
  project: LoadedProject,
  message: ParsedMessage,
  messageId: string,
  now: Date,
): Promise<{ accepted: Omit<AcceptedMessage, "index">; touched: string[] }> {
  if (message.type !== "alias") {
    const seen = await tx.query<{ customer_id: string }>("SELECT customer_id FROM events WHERE message_id = $1", [messageId]);
    const previous = seen.rows[0];
    if (previous) return { accepted: { messageId, customerId: await liveCustomer(tx, previous.customer_id), duplicate: true }, touched: [] };
  }

  const resolution = await resolveCustomer(tx, project, message.keys, now);
  const customerId = resolution.customerId;
  const warnings = resolution.conflicts.map(
    (c) => `the identity keys also match customer ${c.customerId}, which has another ${c.kind}: kept as a different person`,
  );
  const touched = new Set([customerId]);

  if (message.type === "alias") {
    const previousId = message.previousId ?? "";
    const found = await tx.query<{ customer_id: string }>(
      "SELECT customer_id FROM identities WHERE (kind = $1 OR kind = $2) AND value = $3 ORDER BY kind = $1 DESC LIMIT 1",
      [ANONYMOUS_ID, project.identity[0] ?? ANONYMOUS_ID, previousId],
    );
    const previousOwner = found.rows[0] ? await liveCustomer(tx, found.rows[0].customer_id) : undefined;
    if (!previousOwner) {
      // An id never seen before becomes one of the customer's anonymous ids, so its later events land here.
      await tx.query(
        "INSERT INTO identities (kind, value, customer_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, value) DO NOTHING",
        [ANONYMOUS_ID, previousId, customerId, now],
      );
    } else if (previousOwner !== customerId) {
      const kind = await conflictingKind(tx, customerId, previousOwner);
      if (kind !== undefined) warnings.push(`previousId belongs to customer ${previousOwner}, which has another ${kind}: kept as a different person`);
      else await mergeCustomers(tx, customerId, previousOwner, now, mergeOptions(project));
    }
    const accepted: Omit<AcceptedMessage, "index"> = { messageId, customerId, duplicate: false };
    if (warnings.length > 0) accepted.warnings = warnings;
    return { accepted, touched: [...touched] };
  }

  if (message.traits) {
    const merge = profileMergeSql([...project.customerFields.values()], "profile", "$2::jsonb");
    await tx.query(`UPDATE customers SET profile = ${merge}, updated_at = $3 WHERE customer_id = $1`, [
      customerId,
      JSON.stringify(message.traits),
      now,
    ]);
  }
  const occurredAt = message.timestamp ? new Date(message.timestamp) : now;
  const inserted = await tx.query(
    `INSERT INTO events (message_id, customer_id, name, occurred_at, received_at, properties, context, evaluated)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, false) ON CONFLICT (message_id) DO NOTHING`,
    [messageId, customerId, message.eventName, occurredAt, now, JSON.stringify(message.properties), JSON.stringify(message.context)],
  );
  const duplicate = inserted.rowCount === 0;
  const accepted: Omit<AcceptedMessage, "index"> = { messageId, customerId, duplicate };
  if (warnings.length > 0) accepted.warnings = warnings;
  return { accepted, touched: duplicate && resolution.merged.length === 0 ? [] : [...touched] };
}
