/**
 * Deterministic identities: the same decision taken twice (a retried job, a replayed event) names
 * the same row, so a unique key turns the repeat into a no-op.
 */
import { v5 as uuidv5 } from "uuid";

/** The runtime's UUID namespace (uuidv5 of "journey.runtime" in the URL namespace). */
const NAMESPACE = uuidv5("https://journey.dev/runtime", uuidv5.URL);

/** The outbox key and the provider's idempotency key: one send per (journey version, enrollment, node). */
export function sendId(journeyVersion: string, enrollmentId: string, node: string): string {
  return uuidv5(`send/${journeyVersion}/${enrollmentId}/${node}`, NAMESPACE);
}

/** An enrollment caused by something that has an identity of its own (an event, a schedule occurrence, a step). */
export function enrollmentId(journey: string, customerId: string, cause: string): string {
  return uuidv5(`enrollment/${journey}/${customerId}/${cause}`, NAMESPACE);
}

/** The message id of an event a journey step writes (`track`). */
export function trackedMessageId(enrollmentId: string, node: string, enrollmentVersion: number): string {
  return uuidv5(`track/${enrollmentId}/${node}/${enrollmentVersion}`, NAMESPACE);
}

/** A number in [0, 100) from a key, the same on every machine: sticky splits and holdouts. */
export function bucket(key: string): number {
  const hex = uuidv5(`bucket/${key}`, NAMESPACE).replace(/-/g, "").slice(0, 8);
  return (Number.parseInt(hex, 16) % 10_000) / 100;
}
