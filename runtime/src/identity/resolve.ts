/**
 * Which customer a message is about, from the identity keys it carries (userId, anonymousId, keys
 * in traits). Runs in the message's transaction; creates, attaches and merges as the keys require.
 */
import type { LoadedProject } from "../model/project.js";
import type { SqlQueryable } from "../store/port.js";
import { ANONYMOUS_ID, customerIdFor, type IdentityKey, sortKeys } from "./keys.js";
import { mergeCustomers, type MergeOptions } from "./merge.js";

export interface Resolution {
  customerId: string;
  created: boolean;
  /** Customers merged into customerId by this resolution. */
  merged: string[];
  /** Customers the keys also pointed to but that were kept apart (they hold another value of a key kind the survivor has). */
  conflicts: { customerId: string; kind: string }[];
}

export function mergeOptions(project: LoadedProject): MergeOptions {
  const scoreHalfLives = new Map<string, string>();
  for (const score of project.project.scores) if (score.halfLife) scoreHalfLives.set(score.name, score.halfLife);
  return { scoreHalfLives, customerFields: [...project.customerFields.values()] };
}

/** Follows merged_into to the live customer (merges flatten chains, so this is one hop at most in practice). */
export async function liveCustomer(tx: SqlQueryable, customerId: string): Promise<string> {
  let id = customerId;
  for (let hops = 0; hops < 32; hops++) {
    const row = await tx.query<{ merged_into: string | null }>("SELECT merged_into FROM customers WHERE customer_id = $1", [id]);
    const next = row.rows[0]?.merged_into;
    if (!next) return id;
    id = next;
  }
  throw new Error(`customer ${customerId}: merged_into chain longer than 32`);
}

/** A kind both customers hold with different values (two customer_ids are two people), or undefined. */
export async function conflictingKind(tx: SqlQueryable, a: string, b: string): Promise<string | undefined> {
  const rows = await tx.query<{ kind: string }>(
    `SELECT x.kind FROM identities x JOIN identities y ON y.kind = x.kind AND y.value <> x.value
     WHERE x.customer_id = $1 AND y.customer_id = $2 AND x.kind <> $3
       AND NOT EXISTS (SELECT 1 FROM identities z WHERE z.customer_id = $1 AND z.kind = x.kind AND z.value = y.value)
     LIMIT 1`,
    [a, b, ANONYMOUS_ID],
  );
  return rows.rows[0]?.kind;
}

async function lookup(tx: SqlQueryable, keys: readonly IdentityKey[]): Promise<Map<string, string>> {
  const rows = await tx.query<{ kind: string; value: string; customer_id: string }>(
    `SELECT i.kind, i.value, i.customer_id FROM identities i
     JOIN jsonb_to_recordset($1::jsonb) AS k(kind text, value text) ON i.kind = k.kind AND i.value = k.value`,
    [JSON.stringify(keys)],
  );
  return new Map(rows.rows.map((r) => [`${r.kind}\u0000${r.value}`, r.customer_id] as const));
}

/**
 * Resolves `keys` to one customer: none known → a new customer with a deterministic id (so two
 * concurrent first messages create one); one → it, with the new keys attached; several → merged
 * into the one holding the best key, unless they hold conflicting values of a key kind.
 */
export async function resolveCustomer(tx: SqlQueryable, project: LoadedProject, keys: readonly IdentityKey[], now: Date): Promise<Resolution> {
  const sorted = sortKeys(project, keys);
  const best = sorted[0];
  if (!best) throw new Error(`a customer needs at least one identity key (${[...project.identity, ANONYMOUS_ID].join(", ")})`);
  let created = false;
  const merged: string[] = [];
  const conflicts: Resolution["conflicts"] = [];
  const options = mergeOptions(project);

  // A concurrent transaction may take a key between our lookup and our insert: then look again.
  for (let round = 0; round < 5; round++) {
    const owners = await lookup(tx, sorted);
    let survivor: string | undefined;
    for (const key of sorted) {
      const owner = owners.get(`${key.kind}\u0000${key.value}`);
      if (owner) {
        survivor = await liveCustomer(tx, owner);
        break;
      }
    }
    if (!survivor) {
      const id = customerIdFor(best);
      const profile: Record<string, string> = {};
      for (const key of sorted) if (project.customerFields.has(key.kind) && !(key.kind in profile)) profile[key.kind] = key.value;
      const inserted = await tx.query(
        "INSERT INTO customers (customer_id, profile, created_at, updated_at) VALUES ($1, $2::jsonb, $3, $3) ON CONFLICT (customer_id) DO NOTHING",
        [id, JSON.stringify(profile), now],
      );
      created ||= inserted.rowCount === 1;
      survivor = await liveCustomer(tx, id);
    }

    const others = new Set<string>();
    for (const owner of owners.values()) {
      const live = await liveCustomer(tx, owner);
      if (live !== survivor) others.add(live);
    }
    for (const other of [...others].sort()) {
      const kind = await conflictingKind(tx, survivor, other);
      if (kind !== undefined) {
        if (!conflicts.some((c) => c.customerId === other)) conflicts.push({ customerId: other, kind });
        continue;
      }
      await mergeCustomers(tx, survivor, other, now, options);
      merged.push(other);
    }

    let lost = false;
    for (const key of sorted) {
      if (owners.has(`${key.kind}\u0000${key.value}`)) continue;
      const attached = await tx.query(
        "INSERT INTO identities (kind, value, customer_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, value) DO NOTHING",
        [key.kind, key.value, survivor, now],
      );
      if (attached.rowCount === 0) lost = true;
      else if (project.customerFields.has(key.kind)) {
        // A key learnt later fills the profile field of the same name when it is empty.
        await tx.query(
          "UPDATE customers SET profile = jsonb_build_object($2::text, $3::text) || profile WHERE customer_id = $1 AND NOT profile ? $2",
          [survivor, key.kind, key.value],
        );
      }
    }
    if (!lost) return { customerId: survivor, created, merged, conflicts };
  }
  throw new Error(`identity keys ${sorted.map((k) => k.kind).join(", ")} kept changing owner while resolving; try again`);
}
