/**
 * Storing messages: validated ones become events (idempotent by message id) on the resolved
 * customer, invalid ones rows in rejected_events; all of one call in one transaction.
 */
import { v4 as uuidv4 } from "uuid";
import type { Clock } from "../engine/clock.js";
import { ANONYMOUS_ID } from "../identity/keys.js";
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

  const parsed: ({ ok: true; index: number; message: ParsedMessage } | { ok: false; index: number; rejected: RejectedMessage; payload: string })[] = [];
  messages.forEach((raw, index) => {
    const payload = JSON.stringify(raw) ?? String(raw);
    const bytes = Buffer.byteLength(payload);
    if (options.maxMessageBytes !== undefined && bytes > options.maxMessageBytes) {
      const messageId = (raw as { messageId?: unknown } | null)?.messageId;
      const rejected: RejectedMessage = {
        index,
        errors: [{ path: "(message)", message: `message is ${bytes} bytes, over the limit of ${options.maxMessageBytes} bytes per message` }],
      };
      if (typeof messageId === "string") rejected.messageId = messageId;
      parsed.push({ ok: false, index, rejected, payload });
      return;
    }
    const result = parseMessage(project, validators, raw, options.defaultType);
    if (result.ok) parsed.push({ ok: true, index, message: result.message });
    else {
      const rejected: RejectedMessage = { index, errors: result.errors };
      if (result.messageId !== undefined) rejected.messageId = result.messageId;
      parsed.push({ ok: false, index, rejected, payload });
    }
  });

  // Ids for messages sent without one, fixed before the transaction so a retried attempt reuses them.
  const messageIds = parsed.map((p) => (p.ok ? (p.message.messageId ?? uuidv4()) : ""));

  const outcome = await store.transaction(async (tx) => {
    const accepted: AcceptedMessage[] = [];
    const rejected: RejectedMessage[] = [];
    const touched = new Set<string>();
    for (const [position, item] of parsed.entries()) {
      if (!item.ok) {
        rejected.push(item.rejected);
        await rejectRow(tx, {
          now,
          messageId: item.rejected.messageId,
          errors: item.rejected.errors,
          payload: item.payload,
          source,
          location: options.location?.(item.index),
        });
        continue;
      }
      const messageId = messageIds[position] ?? uuidv4();
      const result = await storeMessage(tx, project, item.message, messageId, now);
      accepted.push({ index: item.index, ...result.accepted });
      for (const id of result.touched) touched.add(id);
    }
    return { accepted, rejected, touched: [...touched] };
  });

  if (outcome.touched.length > 0) await deps.onAccepted?.(outcome.touched);
  return { accepted: outcome.accepted, rejected: outcome.rejected };
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
