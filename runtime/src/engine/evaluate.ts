/**
 * Per-customer evaluation: under the customer's row lock, apply their new events in order (scores,
 * goals, exits, waits for events, event triggers), recompute their segments (enter/leave
 * triggers), and fire their due waits. One transaction; the caller queues the follow-ups.
 */
import type { JourneyFile } from "@journey/compiler/ir";
import type { SqlQueryable } from "../store/port.js";
import { type CustomerState, conditionContext, flushCustomer, lockCustomer } from "./customer.js";
import type { EventRecord } from "./conditions.js";
import { holds } from "./conditions.js";
import { enrollmentId, enrollmentId as enrollmentIdFor } from "./ids.js";
import { type Enrollment, type EngineContext, enrollmentFromRow, Run } from "./run.js";
import { pointsFor, decayed } from "./scores.js";
import { addDuration } from "./time.js";
import { endEnrollment, enroll, resume, saveEnrollment } from "./step.js";

/** Events applied per transaction; the rest wait for the next pass (queued by the caller). */
const EVENTS_PER_PASS = 200;
/**
 * An event that reaches evaluation more than this long after it happened (history loaded by an
 * import, a device that was offline for days) is history: it counts in segments, scores and
 * conditions, but it starts no journey and ends no wait.
 */
export const LATE_EVENT_MS = 24 * 3_600_000;
/** Passes for events the customer's own journeys write (`track`), so a loop of tracks cannot spin forever. */
const MAX_PASSES = 20;

export interface CustomerRunResult {
  customerId: string;
  /** Outbox rows written: to deliver. */
  sends: string[];
  /** Events left unevaluated (more than one pass could take): evaluate again. */
  more: boolean;
  visited: [string, string][];
  eventsApplied: number;
}

/** The whole per-customer job, in one transaction of `db`. */
export async function runCustomer(db: SqlQueryable, engine: EngineContext, customerId: string, now: Date): Promise<CustomerRunResult> {
  const locked = await lockCustomer(db, customerId, EVENTS_PER_PASS);
  if (!locked) return { customerId, sends: [], more: false, visited: [], eventsApplied: 0 };
  const customer = locked.state;
  const run = new Run(db, engine, customer, now);
  for (const row of locked.enrollments) run.enrollments.set(row.id, enrollmentFromRow(row));

  let applied = 0;
  let more = false;
  let pending = locked.pending;
  for (let pass = 0; pass < MAX_PASSES && pending.length > 0; pass++) {
    run.tracked = 0;
    for (const { event, eventId } of pending) await applyEvent(run, event, eventId);
    await db.query("UPDATE events SET evaluated = true WHERE event_id = ANY($1::bigint[])", [pending.map((p) => p.eventId)]);
    applied += pending.length;
    more = pending.length === EVENTS_PER_PASS || run.tracked > 0;
    if (!more) break;
    pending = (
      await db.query<{ event_id: number; message_id: string; name: string; occurred_at: Date; properties: Record<string, unknown> }>(
        "SELECT event_id, message_id, name, occurred_at, properties FROM events WHERE customer_id = $1 AND NOT evaluated ORDER BY event_id LIMIT $2",
        [customerId, EVENTS_PER_PASS],
      )
    ).rows.map((r) => ({ eventId: r.event_id, event: { messageId: r.message_id, name: r.name, occurredAt: r.occurred_at, properties: r.properties } }));
    more = pending.length > 0;
  }
  await fireDueWaits(run);
  await refreshSegments(run, `wait@${now.toISOString()}`);
  await flushCustomer(db, customer, now);
  return { customerId, sends: run.sends, more, visited: run.visited, eventsApplied: applied };
}

async function applyEvent(run: Run, event: EventRecord, eventId: number): Promise<void> {
  const internal = event.name.startsWith("$");
  if (!internal) {
    applyScores(run, event);
    run.customer.addEvent(event);
    await applyGoalsAndExits(run, event);
    if (event.occurredAt.getTime() >= run.now.getTime() - LATE_EVENT_MS) {
      run.eventTime = event.occurredAt;
      try {
        await resumeWaitsFor(run, event);
        await triggerJourneys(run, event);
      } finally {
        run.eventTime = undefined;
      }
    }
  }
  await refreshSegments(run, `event:${eventId}`);
}

function applyScores(run: Run, event: EventRecord): void {
  const ctx = conditionContext(run.project, run.engine.population, run.customer, run.now);
  for (const score of run.project.project.scores) {
    const points = pointsFor(score, event, ctx);
    if (points === 0) continue;
    const old = run.customer.scores.get(score.name);
    // Decay runs from the latest instant either value is known at, so a late (older) event counts for what it is worth now.
    let value: number;
    let asOf: Date;
    if (!old) {
      value = points;
      asOf = event.occurredAt;
    } else if (event.occurredAt >= old.asOf) {
      value = decayed(old.value, old.asOf, event.occurredAt, score.halfLife) + points;
      asOf = event.occurredAt;
    } else {
      value = old.value + decayed(points, event.occurredAt, old.asOf, score.halfLife);
      asOf = old.asOf;
    }
    run.customer.scores.set(score.name, { value, asOf });
    run.customer.changedScores.add(score.name);
  }
}

function patternHolds(run: Run, enrollment: Enrollment, pattern: { event: string; where?: JourneyFile["exits"][number]["where"] }, event: EventRecord): boolean {
  if (pattern.event !== event.name) return false;
  if (!pattern.where) return true;
  const ctx = conditionContext(run.project, run.engine.population, run.customer, run.now, {
    trigger: enrollment.context.trigger,
    event: event.properties,
    messages: enrollment.context.messages,
  });
  return holds(pattern.where, ctx);
}

async function applyGoalsAndExits(run: Run, event: EventRecord): Promise<void> {
  for (const enrollment of [...run.enrollments.values()]) {
    const journey = await run.engine.journeyVersion(run.tx, enrollment.journey, enrollment.journeyVersion);
    const { goal, exits } = journey.ir;
    let changed = false;
    if (goal && !enrollment.goalAt && event.occurredAt >= enrollment.enteredAt && patternHolds(run, enrollment, goal, event)) {
      if (!goal.within || event.occurredAt <= addDuration(enrollment.enteredAt, goal.within)) {
        enrollment.goalAt = event.occurredAt;
        run.trace(enrollment, enrollment.node, "goal", { event: event.name, messageId: event.messageId });
        changed = true;
      }
    }
    const exit = exits.find((pattern) => event.occurredAt >= enrollment.enteredAt && patternHolds(run, enrollment, pattern, event));
    if (exit) {
      await endEnrollment(run, enrollment, `exit when ${exit.event}`);
      continue;
    }
    if (changed) await saveEnrollment(run, enrollment);
  }
}

async function resumeWaitsFor(run: Run, event: EventRecord): Promise<void> {
  for (const enrollment of [...run.enrollments.values()]) {
    if (enrollment.state !== "waiting" || !enrollment.node) continue;
    const journey = await run.engine.journeyVersion(run.tx, enrollment.journey, enrollment.journeyVersion);
    const node = journey.nodes.get(enrollment.node);
    if (node?.kind !== "wait" || node.wait.kind !== "event" || node.wait.event !== event.name) continue;
    // Only an event that happened after the wait began ends it (an imported old event does not).
    const since = enrollment.context.waitSince ? new Date(enrollment.context.waitSince) : enrollment.enteredAt;
    if (event.occurredAt < since) continue;
    if (node.wait.timeout && enrollment.wakeAt && event.occurredAt > enrollment.wakeAt) continue;
    if (node.wait.where && !patternHolds(run, enrollment, { event: event.name, where: node.wait.where }, event)) continue;
    if (node.wait.matching) {
      const key = node.wait.matching;
      const expected = enrollment.context.trigger[key];
      if (expected === undefined || expected === null || event.properties[key] !== expected) continue;
    }
    await resume(run, enrollment, "event", { event: event.name, messageId: event.messageId });
  }
}

async function triggerJourneys(run: Run, event: EventRecord): Promise<void> {
  for (const journey of run.project.journeys.values()) {
    const current = run.engine.currentVersion(journey.name);
    const trigger = current?.ir.trigger;
    if (trigger?.kind !== "event" || trigger.event !== event.name) continue;
    if (trigger.where) {
      const ctx = conditionContext(run.project, run.engine.population, run.customer, run.now, { event: event.properties, trigger: event.properties });
      if (!holds(trigger.where, ctx)) continue;
    }
    await enroll(run, journey.name, event.name, event.properties, enrollmentId(journey.name, run.customer.id, `event/${event.messageId}`));
  }
}

/** Recomputes every segment for the customer; an entry or exit is stored and starts the journeys it triggers. */
export async function refreshSegments(run: Run, cause: string): Promise<void> {
  // Steps can change what segments see (set, lists), so settle in a few rounds.
  for (let round = 0; round < 3; round++) {
    const ctx = conditionContext(run.project, run.engine.population, run.customer, run.now);
    const entered: string[] = [];
    const left: string[] = [];
    for (const segment of run.project.project.segments) {
      const member = ctx.inSegment(segment.name);
      if (member && !run.customer.segments.has(segment.name)) entered.push(segment.name);
      if (!member && run.customer.segments.has(segment.name)) left.push(segment.name);
    }
    if (entered.length === 0 && left.length === 0) return;
    for (const name of entered) {
      run.customer.segments.add(name);
      await run.tx.query("INSERT INTO segment_members (segment, customer_id, entered_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [name, run.customer.id, run.now]);
    }
    for (const name of left) {
      run.customer.segments.delete(name);
      await run.tx.query("DELETE FROM segment_members WHERE segment = $1 AND customer_id = $2", [name, run.customer.id]);
    }
    for (const journey of run.project.journeys.values()) {
      const trigger = run.engine.currentVersion(journey.name)?.ir.trigger;
      if (trigger?.kind !== "segment") continue;
      const changed = trigger.change === "enters" ? entered.includes(trigger.segment) : left.includes(trigger.segment);
      if (!changed) continue;
      await enroll(
        run,
        journey.name,
        `segment:${trigger.segment}:${trigger.change}`,
        {},
        enrollmentId(journey.name, run.customer.id, `segment/${trigger.segment}/${trigger.change}/${cause}`),
      );
    }
  }
}

/** Due waits of this customer: the timeout (or the end of a timed wait) wins if no event ended it first. */
async function fireDueWaits(run: Run): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const due = [...run.enrollments.values()].filter((e) => e.state === "waiting" && e.wakeAt && e.wakeAt <= run.now);
    if (due.length === 0) return;
    due.sort((a, b) => (a.wakeAt as Date).getTime() - (b.wakeAt as Date).getTime() || (a.id < b.id ? -1 : 1));
    for (const enrollment of due) {
      await resume(run, enrollment, "timeout", { due: (enrollment.wakeAt as Date).toISOString() });
    }
  }
}

export type { CustomerState };

/**
 * Starts a journey for a customer because another system asked (`when api`, or any journey by name):
 * the entry rules apply, and `requestId` makes a repeated request start it once.
 */
export async function startByRequest(
  db: SqlQueryable,
  engine: EngineContext,
  customerId: string,
  journey: string,
  properties: Record<string, unknown>,
  requestId: string,
  now: Date,
): Promise<{ enrollmentId?: string; sends: string[]; visited: [string, string][] }> {
  const locked = await lockCustomer(db, customerId);
  if (!locked) return { sends: [], visited: [] };
  const customer = locked.state;
  const run = new Run(db, engine, customer, now);
  for (const row of locked.enrollments) run.enrollments.set(row.id, enrollmentFromRow(row));
  const enrollmentId = await enroll(run, journey, "api", properties, enrollmentIdFor(journey, customerId, `api/${requestId}`));
  await refreshSegments(run, `api:${requestId}`);
  await flushCustomer(db, customer, now);
  return { ...(enrollmentId ? { enrollmentId } : {}), sends: run.sends, visited: run.visited };
}
