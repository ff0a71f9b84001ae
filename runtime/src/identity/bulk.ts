/**
 * Identity resolution for thousands of rows at once (imports): one lookup for every key of a chunk,
 * new customers and their keys created set-based with deterministic ids, and only the rows that
 * need judgement (keys shared within the chunk, keys of several customers, keys taken meanwhile)
 * sent, in file order, through the per-row resolveCustomer, which merges and reports conflicts.
 */
import type { LoadedProject } from "../model/project.js";
import type { SqlQueryable } from "../store/port.js";
import { customerIdFor, type IdentityKey, sortKeys } from "./keys.js";
import { resolveCustomer } from "./resolve.js";

/**
 * Loads `rows` (values in `columns` order, e.g. "id uuid, kind text") as a relation aliased `r`,
 * runs `statement(source)` over it with `params` as $1…, and returns the statement's rows.
 */
export type RowLoader = <R extends Record<string, unknown>>(
  rows: readonly (readonly unknown[])[],
  columns: string,
  statement: (source: string) => string,
  params?: readonly unknown[],
) => Promise<R[]>;

export interface BulkCustomerRow {
  keys: readonly IdentityKey[];
  /** Written as the profile of a customer this row creates (through `newProfileSql`). */
  profile?: Record<string, unknown>;
}

export interface BulkOptions {
  /**
   * The jsonb expression a new customer's profile is made of, given `r.profile` (the row's profile
   * as jsonb). Absent: new customers start with an empty profile, as the caller writes it after.
   */
  newProfileSql?: (profile: string) => string;
}

export interface BulkResolution {
  /** The live customer of each input row, in input order. */
  customerIds: string[];
  /** Rows whose customer this call created, its profile written from the row (only with newProfileSql). */
  profileWritten: boolean[];
  /** Rows that went through resolveCustomer one by one. */
  oneByOne: number;
}

type Plan = { kind: "new"; id: string; keys: IdentityKey[] } | { kind: "existing"; id: string; missing: IdentityKey[] } | { kind: "single" };

const keyId = (key: IdentityKey) => `${key.kind}\u0000${key.value}`;

/**
 * Resolves each row's identity keys to one customer, as resolveCustomer would row after row. The
 * profile fill of resolveCustomer (a learnt key fills the field of its name) is left to the caller,
 * whose profile update carries the keys anyway.
 */
export async function resolveCustomersBulk(
  tx: SqlQueryable,
  project: LoadedProject,
  rows: readonly BulkCustomerRow[],
  now: Date,
  load: RowLoader,
  options: BulkOptions = {},
): Promise<BulkResolution> {
  const sorted = rows.map((row) => sortKeys(project, row.keys));
  const result: BulkResolution = {
    customerIds: new Array<string>(rows.length).fill(""),
    profileWritten: new Array<boolean>(rows.length).fill(false),
    oneByOne: 0,
  };

  // Keys seen earlier in the chunk make a row depend on an earlier one: those go one by one, after.
  const seen = new Set<string>();
  const shared: boolean[] = sorted.map((keys) => {
    let hit = false;
    for (const key of keys) {
      const id = keyId(key);
      if (seen.has(id)) hit = true;
      seen.add(id);
    }
    return hit;
  });

  const kinds: string[] = [];
  const values: string[] = [];
  for (const keys of sorted) {
    for (const key of keys) {
      kinds.push(key.kind);
      values.push(key.value);
    }
  }
  const owners = new Map<string, { customer: string; mergedInto: string | null }>();
  if (kinds.length > 0) {
    const found = await tx.query<{ kind: string; value: string; customer_id: string; merged_into: string | null }>(
      `SELECT i.kind, i.value, i.customer_id, c.merged_into
       FROM unnest($1::text[], $2::text[]) AS k(kind, value)
       JOIN identities i ON i.kind = k.kind AND i.value = k.value
       JOIN customers c ON c.customer_id = i.customer_id`,
      [kinds, values],
    );
    for (const row of found.rows) owners.set(keyId(row), { customer: row.customer_id, mergedInto: row.merged_into });
  }

  const plans: Plan[] = sorted.map((keys, i) => {
    const best = keys[0];
    if (shared[i] || !best) return { kind: "single" };
    const known = new Set<string>();
    const missing: IdentityKey[] = [];
    for (const key of keys) {
      const owner = owners.get(keyId(key));
      if (!owner) missing.push(key);
      // A merged owner (an old anonymous visitor) is resolveCustomer's business: it follows the chain.
      else if (owner.mergedInto) return { kind: "single" };
      else known.add(owner.customer);
    }
    if (known.size === 0) return { kind: "new", id: customerIdFor(best), keys };
    if (known.size === 1) return { kind: "existing", id: [...known][0] as string, missing };
    return { kind: "single" };
  });

  // New customers: deterministic ids, so a row another transaction created meanwhile is not created twice.
  const fresh = plans.flatMap((p, i) => (p.kind === "new" ? [[i, p.id] as const] : []));
  const profileSql = options.newProfileSql;
  const inserted = new Set(
    (
      await load<{ customer_id: string }>(
        fresh.map(([i, id]) => (profileSql ? [id, rows[i]?.profile ?? {}] : [id])),
        profileSql ? "id uuid, profile jsonb" : "id uuid",
        (source) =>
          `INSERT INTO customers (customer_id, profile, created_at, updated_at)
           SELECT r.id, ${profileSql ? profileSql("r.profile") : "'{}'::jsonb"}, $1, $1 FROM ${source}
           ON CONFLICT (customer_id) DO NOTHING RETURNING customer_id`,
        [now],
      )
    ).map((r) => r.customer_id),
  );
  for (const [i, id] of fresh) {
    if (inserted.has(id)) result.profileWritten[i] = profileSql !== undefined;
    else plans[i] = { kind: "single" };
  }

  // Their keys, and the keys existing customers did not have yet; a key taken meanwhile sends its row one by one.
  const attach: [string, string, string][] = [];
  for (const plan of plans) {
    if (plan.kind === "new") for (const key of plan.keys) attach.push([key.kind, key.value, plan.id]);
    if (plan.kind === "existing") for (const key of plan.missing) attach.push([key.kind, key.value, plan.id]);
  }
  const attached = new Set(
    (
      await load<{ kind: string; value: string }>(
        attach,
        "kind text, value text, id uuid",
        (source) =>
          `INSERT INTO identities (kind, value, customer_id, created_at) SELECT r.kind, r.value, r.id, $1 FROM ${source}
           ON CONFLICT (kind, value) DO NOTHING RETURNING kind, value`,
        [now],
      )
    ).map(keyId),
  );
  plans.forEach((plan, i) => {
    if (plan.kind === "single") return;
    const keys = plan.kind === "new" ? plan.keys : plan.missing;
    if (keys.every((key) => attached.has(keyId(key)))) result.customerIds[i] = plan.id;
    else {
      // Resolved again below, perhaps to another customer: the caller writes the profile there.
      plans[i] = { kind: "single" };
      result.profileWritten[i] = false;
    }
  });

  let merges = 0;
  for (const [i, plan] of plans.entries()) {
    if (plan.kind !== "single") continue;
    const resolution = await resolveCustomer(tx, project, sorted[i] ?? [], now);
    result.customerIds[i] = resolution.customerId;
    merges += resolution.merged.length;
    result.oneByOne++;
  }
  // A later row's merge may have absorbed a customer an earlier (bulk) row resolved to: point at the survivor.
  if (merges > 0) {
    const { rows: moved } = await tx.query<{ customer_id: string; merged_into: string }>(
      "SELECT customer_id, merged_into FROM customers WHERE customer_id = ANY($1::uuid[]) AND merged_into IS NOT NULL",
      [[...new Set(result.customerIds)]],
    );
    const survivor = new Map(moved.map((r) => [r.customer_id, r.merged_into] as const));
    result.customerIds = result.customerIds.map((id) => survivor.get(id) ?? id);
  }
  return result;
}
