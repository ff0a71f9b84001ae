/**
 * Merging two customers found to be one person (an anonymous visitor who logs in, a loyalty card
 * seen online). The merged row stays, pointing at the survivor, so ids seen earlier still resolve.
 */
import type { Field } from "@journey/compiler/ir";
import { Duration } from "luxon";
import type { SqlQueryable } from "../store/port.js";
import { profileMergeSql } from "./profile.js";

export interface MergeOptions {
  /** Half-life (ISO duration) of each decaying score, so both customers' points are decayed to `now` before summing. */
  scoreHalfLives?: ReadonlyMap<string, string>;
  /** The customer's fields, so nested records (consent …) are filled field by field; without them, top-level fields only. */
  customerFields?: readonly Field[];
}

/**
 * Moves everything of `merged` to `survivor`, in the caller's transaction. Both rows are locked in
 * uuid order first, so two merges of the same pair in opposite directions wait instead of deadlocking.
 */
export async function mergeCustomers(tx: SqlQueryable, survivor: string, merged: string, now: Date, options: MergeOptions = {}): Promise<void> {
  if (survivor === merged) throw new Error(`cannot merge customer ${merged} into itself`);
  const locked = await tx.query<{ customer_id: string; merged_into: string | null }>(
    "SELECT customer_id, merged_into FROM customers WHERE customer_id IN ($1, $2) ORDER BY customer_id FOR UPDATE",
    [survivor, merged],
  );
  const found = new Map(locked.rows.map((r) => [r.customer_id, r.merged_into] as const));
  for (const id of [survivor, merged]) {
    if (!found.has(id)) throw new Error(`cannot merge: customer ${id} does not exist`);
    const into = found.get(id);
    if (into) throw new Error(`cannot merge: customer ${id} was already merged into ${into}; merge its survivor instead`);
  }

  await tx.query("UPDATE identities SET customer_id = $1 WHERE customer_id = $2", [survivor, merged]);
  await tx.query("UPDATE events SET customer_id = $1 WHERE customer_id = $2", [survivor, merged]);

  await tx.query(
    `INSERT INTO list_members (list, customer_id, added_at)
     SELECT list, $1, added_at FROM list_members WHERE customer_id = $2
     ON CONFLICT (list, customer_id) DO UPDATE SET added_at = LEAST(list_members.added_at, EXCLUDED.added_at)`,
    [survivor, merged],
  );
  await tx.query("DELETE FROM list_members WHERE customer_id = $1", [merged]);
  // Segment membership is derived data: the engine recomputes the survivor's from the merged history.
  await tx.query("DELETE FROM segment_members WHERE customer_id = $1", [merged]);

  await mergeScores(tx, survivor, merged, now, options.scoreHalfLives ?? new Map());

  // An enrollment the survivor already runs for the same (journey, correlation key) wins; the other ends.
  await tx.query(
    `UPDATE enrollments m SET state = 'exited', ended_at = $3, end_reason = 'merged', wake_at = NULL,
            updated_at = $3, version = m.version + 1
     WHERE m.customer_id = $2 AND m.ended_at IS NULL
       AND EXISTS (SELECT 1 FROM enrollments s WHERE s.customer_id = $1 AND s.ended_at IS NULL
                   AND s.journey = m.journey AND s.correlation_key = m.correlation_key)`,
    [survivor, merged, now],
  );
  await tx.query("UPDATE enrollments SET customer_id = $1, updated_at = $3 WHERE customer_id = $2", [survivor, merged, now]);
  await tx.query("UPDATE outbox SET customer_id = $1 WHERE customer_id = $2", [survivor, merged]);
  await tx.query("UPDATE in_app_messages SET customer_id = $1 WHERE customer_id = $2", [survivor, merged]);

  // The survivor's own fields win; the merged one only fills what the survivor lacks.
  const fill = profileMergeSql(options.customerFields ?? [], "m.profile", "s.profile");
  await tx.query(
    `UPDATE customers s SET profile = ${fill}, updated_at = $3 FROM customers m
     WHERE s.customer_id = $1 AND m.customer_id = $2`,
    [survivor, merged, now],
  );
  await tx.query("UPDATE customers SET merged_into = $1, updated_at = $3 WHERE customer_id = $2 OR merged_into = $2", [survivor, merged, now]);
}

/** Points earned under either identity belong to the person: both values, decayed to `now`, summed. */
async function mergeScores(tx: SqlQueryable, survivor: string, merged: string, now: Date, halfLives: ReadonlyMap<string, string>): Promise<void> {
  const rows = await tx.query<{ score: string; customer_id: string; value: number; as_of: Date }>(
    "SELECT score, customer_id, value, as_of FROM scores WHERE customer_id IN ($1, $2) ORDER BY score, customer_id",
    [survivor, merged],
  );
  const sums = new Map<string, number>();
  for (const row of rows.rows) {
    const halfLife = halfLives.get(row.score);
    const ms = halfLife ? Duration.fromISO(halfLife).as("milliseconds") : 0;
    const elapsed = Math.max(0, now.getTime() - row.as_of.getTime());
    const value = ms > 0 ? row.value * 0.5 ** (elapsed / ms) : row.value;
    sums.set(row.score, (sums.get(row.score) ?? 0) + value);
  }
  await tx.query("DELETE FROM scores WHERE customer_id IN ($1, $2)", [survivor, merged]);
  for (const [score, value] of sums) {
    await tx.query("INSERT INTO scores (score, customer_id, value, as_of) VALUES ($1, $2, $3, $4)", [score, survivor, value, now]);
  }
}
