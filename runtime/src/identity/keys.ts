/**
 * Identity keys as the store holds them: a kind (a customer identity field, or `anonymous_id`) and a
 * value, and the deterministic id of a customer first seen with a key.
 */
import { v5 as uuidv5 } from "uuid";
import type { LoadedProject } from "../model/project.js";

export interface IdentityKey {
  kind: string;
  value: string;
}

/** The namespace of customer ids: uuidv5("<kind>:<value>", CUSTOMER_NAMESPACE). */
export const CUSTOMER_NAMESPACE = "5b0f6c1e-8f3a-5d7e-9a41-6a6f75726e79";

export const ANONYMOUS_ID = "anonymous_id";

/** The id a customer gets when `key` is the best key known of them at creation. */
export function customerIdFor(key: IdentityKey): string {
  return uuidv5(`${key.kind}:${key.value}`, CUSTOMER_NAMESPACE);
}

/** 0 for the first declared key (userId); anonymous_id after every declared key. */
export function keyPriority(project: LoadedProject, kind: string): number {
  const index = project.identity.indexOf(kind);
  if (index >= 0) return index;
  if (kind === ANONYMOUS_ID) return project.identity.length;
  throw new Error(`"${kind}" is not an identity key: the customer is identified by ${[...project.identity, ANONYMOUS_ID].join(", ")}`);
}

/**
 * The form a key is looked up by: emails are case-insensitive in practice (Simona@x.it is
 * simona@x.it), so email-typed keys are trimmed and lower-cased; other kinds are kept exactly.
 */
export function normalizeKey(project: LoadedProject, key: IdentityKey): IdentityKey {
  const type = project.customerFields.get(key.kind)?.type;
  if (type?.kind === "scalar" && type.name === "email") return { kind: key.kind, value: key.value.trim().toLowerCase() };
  return key;
}

/** Distinct keys, best first. */
export function sortKeys(project: LoadedProject, keys: readonly IdentityKey[]): IdentityKey[] {
  const seen = new Set<string>();
  const distinct: IdentityKey[] = [];
  for (const raw of keys) {
    const key = normalizeKey(project, raw);
    const id = `${key.kind}\u0000${key.value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    distinct.push(key);
  }
  return distinct.sort((a, b) => keyPriority(project, a.kind) - keyPriority(project, b.kind));
}
