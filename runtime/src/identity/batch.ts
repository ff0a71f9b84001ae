/**
 * Identity resolution for a batch of API messages, in message order, after one lookup: the keys'
 * owners are held in memory and each message resolved against them as resolveCustomer would (new
 * customers and learnt keys planned, then written set-based); a message whose keys point to
 * several customers (a merge or a conflict) is left to resolveCustomer, one by one.
 */
import type { LoadedProject } from "../model/project.js";
import type { SqlQueryable } from "../store/port.js";
import { customerIdFor, type IdentityKey, sortKeys } from "./keys.js";

export interface BatchStep {
  customerId: string;
  /** Profile fields this message's learnt keys fill when the customer lacks them (kind → value), as resolveCustomer does. */
  fill: Record<string, string>;
}

/** A key's owner: the live customer, or null when the owner's merge chain is longer than one hop (resolveCustomer follows it). */
export type KeyOwner = string | null;

/** A key as one string, the form owner maps are keyed by. */
export const keyId = (key: IdentityKey) => `${key.kind}\u0000${key.value}`;

/** Thrown by write() when another transaction took a planned customer id or key meanwhile: start over one by one. */
export class IdentityRaceError extends Error {
  constructor(what: string) {
    super(`identity resolution raced with another transaction (${what}); resolving one by one instead`);
    this.name = "IdentityRaceError";
  }
}

/** The live customer from a row and its merge target's merged_into; null past one hop. */
export function liveOwner(customerId: string, mergedInto: string | null, next: string | null): KeyOwner {
  if (!mergedInto) return customerId;
  return next ? null : mergedInto;
}

export class IdentityBatch {
  readonly #project: LoadedProject;
  readonly #owners: Map<string, KeyOwner>;
  readonly #customers: { id: string; profile: Record<string, string> }[] = [];
  readonly #keys: { kind: string; value: string; id: string }[] = [];

  /** `owners`: each key (kind NUL value, normalised as sortKeys does) the store knows, with its live owner. */
  constructor(project: LoadedProject, owners: Map<string, KeyOwner>) {
    this.#project = project;
    this.#owners = owners;
  }

  /**
   * The customer of `keys` given the store and the messages resolved before in this batch, or
   * undefined when it takes resolveCustomer: keys of several customers, or a long merge chain.
   */
  resolve(keys: readonly IdentityKey[]): BatchStep | undefined {
    const sorted = sortKeys(this.#project, keys);
    const best = sorted[0];
    if (!best) return undefined;
    const owners = new Set<string>();
    const missing: IdentityKey[] = [];
    for (const key of sorted) {
      const owner = this.#owners.get(keyId(key));
      if (owner === null) return undefined;
      if (owner === undefined) missing.push(key);
      else owners.add(owner);
    }
    if (owners.size > 1) return undefined;
    const fields = this.#project.customerFields;
    const fill: Record<string, string> = {};
    for (const key of missing) if (fields.has(key.kind) && !(key.kind in fill)) fill[key.kind] = key.value;
    let customerId = [...owners][0];
    if (customerId === undefined) {
      // A new customer: its id from the best key (as resolveCustomer), its profile the key fields.
      customerId = customerIdFor(best);
      this.#customers.push({ id: customerId, profile: fill });
    }
    for (const key of missing) {
      this.#keys.push({ kind: key.kind, value: key.value, id: customerId });
      this.#owners.set(keyId(key), customerId);
    }
    return { customerId, fill: owners.size === 0 ? {} : fill };
  }

  /** Writes the planned customers and keys (at most two statements); throws IdentityRaceError when one was taken meanwhile. */
  async write(tx: SqlQueryable, now: Date): Promise<void> {
    const customers = this.#customers.splice(0).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const keys = this.#keys.splice(0).sort((a, b) => (keyId(a) < keyId(b) ? -1 : keyId(a) > keyId(b) ? 1 : 0));
    if (customers.length > 0) {
      const inserted = await tx.query(
        `INSERT INTO customers (customer_id, profile, created_at, updated_at)
         SELECT r.id, r.profile, $1, $1 FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, profile jsonb)
         ON CONFLICT (customer_id) DO NOTHING`,
        [now, JSON.stringify(customers)],
      );
      if (inserted.rowCount !== customers.length) throw new IdentityRaceError(`${customers.length - inserted.rowCount} new customer id(s) already taken`);
    }
    if (keys.length > 0) {
      const attached = await tx.query(
        `INSERT INTO identities (kind, value, customer_id, created_at)
         SELECT r.kind, r.value, r.id, $1 FROM jsonb_to_recordset($2::jsonb) AS r(kind text, value text, id uuid)
         ON CONFLICT (kind, value) DO NOTHING`,
        [now, JSON.stringify(keys)],
      );
      if (attached.rowCount !== keys.length) throw new IdentityRaceError(`${keys.length - attached.rowCount} identity key(s) already taken`);
    }
  }
}
