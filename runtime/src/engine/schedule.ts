/**
 * Schedule triggers (`when every monday at 10:00 customer time for lapsed_buyers`) and date
 * triggers (`when on customer.birthday at 09:00 customer time`). The tick looks at the window
 * since it last ran (trigger_clock), finds who has an occurrence in it — in their own time zone —
 * and enrolls them with an id derived from the occurrence, so a repeated tick enrolls nobody twice.
 */
import type { Trigger } from "@journey/compiler/ir";
import type { LoadedJourney, LoadedProject } from "../model/project.js";
import type { SqlQueryable, SqlStore } from "../store/port.js";
import { conditionContext, flushCustomer, lockCustomer } from "./customer.js";
import { evaluate } from "./conditions.js";
import { enrollmentId } from "./ids.js";
import { type EngineContext, enrollmentFromRow, Run } from "./run.js";
import { enroll } from "./step.js";
import { annualOccurrences, customerZoneField, scheduleOccurrences, zoneName } from "./time.js";

type TimedTrigger = Extract<Trigger, { kind: "schedule" } | { kind: "date" }>;

/** Customers to look at, then one transaction per customer that has an occurrence. Returns the send ids written. */
export async function runTimedTriggers(store: SqlStore, engine: EngineContext, journey: LoadedJourney, now: Date): Promise<{ sends: string[]; visited: [string, string][] }> {
  const trigger = journey.ir.trigger;
  const done = { sends: [] as string[], visited: [] as [string, string][] };
  if (trigger.kind !== "schedule" && trigger.kind !== "date") return done;
  const clock = await store.query<{ ran_until: Date }>("SELECT ran_until FROM trigger_clock WHERE journey = $1 AND version = $2", [journey.name, journey.version]);
  const published = await store.query<{ published_at: Date }>("SELECT published_at FROM journey_versions WHERE journey = $1 AND version = $2", [
    journey.name,
    journey.version,
  ]);
  const from = clock.rows[0]?.ran_until ?? published.rows[0]?.published_at ?? now;
  if (from >= now) return done;
  const candidates = await candidatesOf(store, engine, trigger);
  for (const customerId of candidates) {
    const run = await store.transaction(async (tx) => enrollOnOccurrences(tx, engine, journey, trigger, customerId, from, now));
    done.sends.push(...(run?.sends ?? []));
    done.visited.push(...(run?.visited ?? []));
  }
  await store.query(
    "INSERT INTO trigger_clock (journey, version, ran_until) VALUES ($1, $2, $3) ON CONFLICT (journey, version) DO UPDATE SET ran_until = EXCLUDED.ran_until",
    [journey.name, journey.version, now],
  );
  return done;
}

async function candidatesOf(db: SqlQueryable, engine: EngineContext, trigger: TimedTrigger): Promise<string[]> {
  if (trigger.kind === "schedule" && trigger.audience) {
    // The stored membership: kept current by every evaluation of the customer (and re-checked under the lock).
    const { rows } = await db.query<{ customer_id: string }>("SELECT customer_id FROM segment_members WHERE segment = $1 ORDER BY customer_id", [trigger.audience]);
    return rows.map((r) => r.customer_id);
  }
  if (trigger.kind === "date" && trigger.field.kind === "field" && trigger.field.source === "customer") {
    const { rows } = await db.query<{ customer_id: string }>(
      "SELECT customer_id FROM customers WHERE merged_into IS NULL AND profile #> $1::text[] IS NOT NULL ORDER BY customer_id",
      [trigger.field.path],
    );
    return rows.map((r) => r.customer_id);
  }
  void engine;
  const { rows } = await db.query<{ customer_id: string }>("SELECT customer_id FROM customers WHERE merged_into IS NULL ORDER BY customer_id");
  return rows.map((r) => r.customer_id);
}

async function enrollOnOccurrences(
  tx: SqlQueryable,
  engine: EngineContext,
  journey: LoadedJourney,
  trigger: TimedTrigger,
  customerId: string,
  from: Date,
  now: Date,
): Promise<Run | undefined> {
  const locked = await lockCustomer(tx, customerId);
  if (!locked) return undefined;
  const customer = locked.state;
  const run = new Run(tx, engine, customer, now);
  for (const row of locked.enrollments) run.enrollments.set(row.id, enrollmentFromRow(row));
  const profile = customer.view(engine.project);
  const zone = zoneName(trigger.zone, profile, customerZoneField(engine.project.project.schema.customer.fields));
  let occurrences: Date[];
  if (trigger.kind === "schedule") {
    if (trigger.audience && !conditionContext(engine.project, engine.population, customer, now).inSegment(trigger.audience)) return undefined;
    occurrences = scheduleOccurrences(trigger.every, trigger.at, zone, from, now);
  } else {
    const value = evaluate(trigger.field, conditionContext(engine.project, engine.population, customer, now));
    if (typeof value !== "string") return undefined;
    occurrences = annualOccurrences(value, trigger.at, zone, from, now);
  }
  // Several occurrences in one window (a long pause): the latest one counts, once.
  const occurrence = occurrences.at(-1);
  if (!occurrence) return undefined;
  await enroll(run, journey.name, trigger.kind, {}, enrollmentId(journey.name, customerId, `${trigger.kind}/${journey.version}/${occurrence.toISOString()}`));
  await flushCustomer(tx, customer, now);
  return run;
}

const WEEK = 7 * 86_400_000;

/** When this journey's schedule or date trigger next fires for anyone (within a week), for a virtual clock to stop there. */
export async function nextOccurrence(db: SqlQueryable, project: LoadedProject, journey: LoadedJourney, now: Date): Promise<Date | undefined> {
  const trigger = journey.ir.trigger;
  if (trigger.kind !== "schedule" && trigger.kind !== "date") return undefined;
  const zoneField = customerZoneField(project.project.schema.customer.fields);
  const horizon = new Date(now.getTime() + WEEK);
  let best: Date | undefined;
  const consider = (dates: Date[]) => {
    const first = dates[0];
    if (first && (!best || first < best)) best = first;
  };
  if (trigger.kind === "schedule") {
    const zones = new Set<string>();
    if (trigger.zone.kind === "customer") {
      const { rows } = await db.query<{ profile: Record<string, unknown> }>("SELECT DISTINCT profile FROM customers WHERE merged_into IS NULL");
      for (const row of rows) zones.add(zoneName(trigger.zone, row.profile, zoneField));
    } else zones.add(zoneName(trigger.zone, {}, zoneField));
    for (const zone of zones) consider(scheduleOccurrences(trigger.every, trigger.at, zone, now, horizon));
  } else if (trigger.field.kind === "field" && trigger.field.source === "customer") {
    const { rows } = await db.query<{ value: string; profile: Record<string, unknown> }>(
      "SELECT profile #>> $1::text[] AS value, profile FROM customers WHERE merged_into IS NULL AND profile #> $1::text[] IS NOT NULL",
      [trigger.field.path],
    );
    for (const row of rows) consider(annualOccurrences(row.value, trigger.at, zoneName(trigger.zone, row.profile, zoneField), now, horizon));
  }
  return best;
}
