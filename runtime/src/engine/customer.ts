/**
 * One customer's state while a job holds their row lock: profile, event history, segment and list
 * memberships, scores. Loaded once per transaction, changed in memory by events and steps, and
 * written back at the end of the transaction (flush).
 */
import type { LoadedProject } from "../model/project.js";
import type { SqlQueryable } from "../store/port.js";
import type { Catalogue, RfmTable } from "./catalogue.js";
import { type ConditionContext, type EventRecord, holds } from "./conditions.js";
import { ENROLLMENT_COLUMNS, type EnrollmentRow } from "./run.js";
import { withDefaults } from "./profile.js";
import { decayed } from "./scores.js";

export interface ScoreValue {
  value: number;
  asOf: Date;
}

export class CustomerState {
  profileDirty = false;
  readonly changedScores = new Set<string>();
  readonly addedLists = new Set<string>();
  readonly removedLists = new Set<string>();
  #view: Record<string, unknown> | undefined;

  constructor(
    readonly id: string,
    public profile: Record<string, unknown>,
    /** Oldest first, by occurred_at then arrival. */
    readonly events: EventRecord[],
    /** Stored memberships: what the last evaluation decided (enter/leave is a change of these). */
    readonly segments: Set<string>,
    readonly scores: Map<string, ScoreValue>,
    readonly lists: Set<string>,
  ) {}

  /** The profile with the schema's defaults filled in: what conditions and templates read. */
  view(project: LoadedProject): Record<string, unknown> {
    this.#view ??= withDefaults(project.project.schema.customer.fields, this.profile);
    return this.#view;
  }

  setProfile(profile: Record<string, unknown>): void {
    this.profile = profile;
    this.profileDirty = true;
    this.#view = undefined;
  }

  /** Adds an event to the history in time order (an import may bring an older one late). */
  addEvent(event: EventRecord): void {
    let at = this.events.length;
    while (at > 0 && (this.events[at - 1] as EventRecord).occurredAt > event.occurredAt) at--;
    this.events.splice(at, 0, event);
  }

  addToList(list: string): void {
    this.lists.add(list);
    this.addedLists.add(list);
    this.removedLists.delete(list);
  }

  removeFromList(list: string): void {
    this.lists.delete(list);
    this.removedLists.add(list);
    this.addedLists.delete(list);
  }
}

export interface PendingEvent {
  eventId: number;
  event: EventRecord;
}

export interface LockedCustomer {
  state: CustomerState;
  /** Active enrollments, oldest first. */
  enrollments: EnrollmentRow[];
  /** Events not evaluated yet, in arrival order (at most `pendingLimit`). */
  pending: PendingEvent[];
}

const at = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

/**
 * Locks the customer's row for the transaction, then loads everything a run needs in one more
 * statement (after the lock, so it sees what the previous holder committed). Undefined when the
 * customer is unknown or was merged into another.
 */
export async function lockCustomer(tx: SqlQueryable, customerId: string, pendingLimit = 0): Promise<LockedCustomer | undefined> {
  const found = await tx.query<{ merged_into: string | null }>("SELECT merged_into FROM customers WHERE customer_id = $1 FOR UPDATE", [customerId]);
  const row = found.rows[0];
  if (!row || row.merged_into) return undefined;
  const loaded = await tx.query<{
    profile: Record<string, unknown>;
    history: [string, string, string, Record<string, unknown>][];
    segments: string[];
    scores: [string, number, string][];
    lists: string[];
    enrollments: (Omit<EnrollmentRow, "wake_at" | "entered_at" | "goal_at"> & { wake_at: string | null; entered_at: string; goal_at: string | null })[];
    pending: [number, string, string, string, Record<string, unknown>][];
  }>(
    `SELECT c.profile,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(e.message_id, e.name, e.occurred_at, e.properties) ORDER BY e.occurred_at, e.event_id), '[]'::jsonb)
          FROM events e WHERE e.customer_id = c.customer_id AND e.evaluated AND e.name NOT LIKE '$%') AS history,
       (SELECT coalesce(jsonb_agg(m.segment), '[]'::jsonb) FROM segment_members m WHERE m.customer_id = c.customer_id) AS segments,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(s.score, s.value, s.as_of)), '[]'::jsonb) FROM scores s WHERE s.customer_id = c.customer_id) AS scores,
       (SELECT coalesce(jsonb_agg(l.list), '[]'::jsonb) FROM list_members l WHERE l.customer_id = c.customer_id) AS lists,
       (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.entered_at, x.id), '[]'::jsonb)
          FROM (SELECT ${ENROLLMENT_COLUMNS} FROM enrollments WHERE customer_id = c.customer_id AND ended_at IS NULL) x) AS enrollments,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(p.event_id, p.message_id, p.name, p.occurred_at, p.properties) ORDER BY p.event_id), '[]'::jsonb)
          FROM (SELECT event_id, message_id, name, occurred_at, properties FROM events
                WHERE customer_id = c.customer_id AND NOT evaluated ORDER BY event_id LIMIT $2) p) AS pending
     FROM customers c WHERE c.customer_id = $1`,
    [customerId, pendingLimit],
  );
  const data = loaded.rows[0];
  if (!data) return undefined;
  const scores = new Map<string, ScoreValue>(data.scores.map(([name, value, asOf]) => [name, { value, asOf: at(asOf) }] as const));
  const state = new CustomerState(
    customerId,
    data.profile,
    data.history.map(([messageId, name, occurredAt, properties]) => ({ messageId, name, occurredAt: at(occurredAt), properties })),
    new Set(data.segments),
    scores,
    new Set(data.lists),
  );
  return {
    state,
    enrollments: data.enrollments.map((e) => ({
      ...e,
      wake_at: e.wake_at === null ? null : at(e.wake_at),
      entered_at: at(e.entered_at),
      goal_at: e.goal_at === null ? null : at(e.goal_at),
    })),
    pending: data.pending.map(([eventId, messageId, name, occurredAt, properties]) => ({
      eventId,
      event: { messageId, name, occurredAt: at(occurredAt), properties },
    })),
  };
}

/** Writes what changed in memory back to the customer's rows. */
export async function flushCustomer(tx: SqlQueryable, state: CustomerState, now: Date): Promise<void> {
  if (state.profileDirty) {
    await tx.query("UPDATE customers SET profile = $2::jsonb, updated_at = $3 WHERE customer_id = $1", [state.id, JSON.stringify(state.profile), now]);
    state.profileDirty = false;
  }
  for (const name of state.changedScores) {
    const score = state.scores.get(name);
    if (!score) continue;
    await tx.query(
      `INSERT INTO scores (score, customer_id, value, as_of) VALUES ($1, $2, $3, $4)
       ON CONFLICT (score, customer_id) DO UPDATE SET value = EXCLUDED.value, as_of = EXCLUDED.as_of`,
      [name, state.id, score.value, score.asOf],
    );
  }
  state.changedScores.clear();
  for (const list of state.addedLists) {
    await tx.query("INSERT INTO list_members (list, customer_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [list, state.id, now]);
  }
  for (const list of state.removedLists) {
    await tx.query("DELETE FROM list_members WHERE list = $1 AND customer_id = $2", [list, state.id]);
  }
  state.addedLists.clear();
  state.removedLists.clear();
}

export interface Population {
  catalogue: Catalogue;
  rfm: RfmTable;
}

export interface ContextExtras {
  trigger?: Record<string, unknown>;
  event?: Record<string, unknown>;
  object?: Record<string, unknown>;
  messages?: Record<string, { id: string; channel: string; template: string }>;
}

/** What a condition sees of this customer at `now`. Segment membership is computed fresh, not read from the table. */
export function conditionContext(project: LoadedProject, population: Population, state: CustomerState, now: Date, extras: ContextExtras = {}): ConditionContext {
  const memo = new Map<string, boolean>();
  const computing = new Set<string>();
  const base: ConditionContext = {
    now,
    customer: state.view(project),
    events: state.events,
    inSegment(name) {
      const known = memo.get(name);
      if (known !== undefined) return known;
      const segment = project.segments.get(name);
      // The checker rejects cycles; a cycle here would be a bug, and must not recurse forever.
      if (!segment || computing.has(name)) return false;
      computing.add(name);
      const member = holds(segment.predicate, base);
      computing.delete(name);
      memo.set(name, member);
      return member;
    },
    score(name) {
      const score = state.scores.get(name);
      if (!score) return 0;
      return decayed(score.value, score.asOf, now, project.project.scores.find((s) => s.name === name)?.halfLife);
    },
    inList: (name) => state.lists.has(name),
    lookup: (object, key) => population.catalogue.lookup(object, key),
    rfmQuintile: (key, dimension, raw) => population.rfm.quintile(key, dimension, raw),
  };
  if (!extras.trigger && !extras.event && !extras.object && !extras.messages) return base;
  return { ...base, ...extras, inSegment: base.inSegment };
}
