/**
 * Scores (docs/ir.md, "Scores"): points per event, halving every half-life. The store keeps a
 * score as its value at the last change and the time of that change; these functions decay it and
 * count the points an event earns.
 */
import type { Score } from "@journey/compiler/ir";
import { type ConditionContext, type EventRecord, holdsOn } from "./conditions.js";
import { parseDuration } from "./time.js";

/**
 * A score worth `value` at `asOf`, decayed to `now`: value · 0.5^((now − asOf) / halfLife), a month
 * being 30 days (as PostgreSQL counts, so it agrees with the segment SQL). No half-life: no decay.
 */
export function decayed(value: number, asOf: Date, now: Date, halfLife?: string): number {
  if (halfLife === undefined || value === 0) return value;
  const period = parseDuration(halfLife).totalMs;
  if (period <= 0) throw new RangeError(`a score's half-life must be positive, not ${halfLife}`);
  return value * 0.5 ** ((now.getTime() - asOf.getTime()) / period);
}

/** The points `event` earns in `score`: the sum of its rules for this event whose `where` holds (read with source "event" = the event's properties). */
export function pointsFor(score: Score, event: EventRecord, ctx: ConditionContext): number {
  let points = 0;
  for (const rule of score.rules) {
    if (rule.event !== event.name) continue;
    if (rule.where && !holdsOn(rule.where, ctx, event.properties)) continue;
    points += rule.points;
  }
  return points;
}
