/**
 * One customer's state while a job holds their row lock: profile, event history, segment and list
 * memberships, scores. Loaded once per transaction, changed in memory by events and steps, and
 * written back at the end of the transaction (flush).
 */
import type { LoadedProject } from "../model/project.js";
import type { SqlQueryable } from "../store/port.js";
import type { Catalogue, RfmTable } from "./catalogue.js";
import { type ConditionContext, type EventRecord, holds } from "./conditions.js";
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

/** Locks the customer's row for the transaction and loads their state; undefined when unknown or merged away. */
export async function lockCustomer(tx: SqlQueryable, customerId: string): Promise<CustomerState | undefined> {
  const found = await tx.query<{ profile: Record<string, unknown>; merged_into: string | null }>(
    "SELECT profile, merged_into FROM customers WHERE customer_id = $1 FOR UPDATE",
    [customerId],
  );
  const row = found.rows[0];
  if (!row || row.merged_into) return undefined;
  const events = await tx.query<{ message_id: string; name: string; occurred_at: Date; properties: Record<string, unknown> }>(
    "SELECT message_id, name, occurred_at, properties FROM events WHERE customer_id = $1 AND evaluated AND name NOT LIKE '$%' ORDER BY occurred_at, event_id",
    [customerId],
  );
  // Memberships and scores in one round trip.
  const held = await tx.query<{ kind: "segment" | "score" | "list"; name: string; value: number | null; as_of: Date | null }>(
    `SELECT 'segment' AS kind, segment AS name, NULL::float8 AS value, NULL::timestamptz AS as_of FROM segment_members WHERE customer_id = $1
     UNION ALL SELECT 'score', score, value, as_of FROM scores WHERE customer_id = $1
     UNION ALL SELECT 'list', list, NULL, NULL FROM list_members WHERE customer_id = $1`,
    [customerId],
  );
  const segments = new Set<string>();
  const scores = new Map<string, ScoreValue>();
  const lists = new Set<string>();
  for (const r of held.rows) {
    if (r.kind === "segment") segments.add(r.name);
    else if (r.kind === "list") lists.add(r.name);
    else scores.set(r.name, { value: r.value ?? 0, asOf: r.as_of ?? new Date(0) });
  }
  return new CustomerState(
    customerId,
    row.profile,
    events.rows.map((e) => ({ messageId: e.message_id, name: e.name, occurredAt: e.occurred_at, properties: e.properties })),
    segments,
    scores,
    lists,
  );
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
