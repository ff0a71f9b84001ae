import type { Expr, Segment } from "../ir/schema.js";
import { forEachExpr } from "../ir/walk.js";

export { forEachExpr };

export type Dependencies = Segment["dependsOn"];

export interface ScoreFacts {
  events: string[];
  decays: boolean;
}

/**
 * What a segment's membership depends on: the segments it names, and (through them too) the events,
 * lists and scores it reads; `clock` when time alone can change it (a window, a decaying score);
 * `population` when other customers' data can (RFM quintiles).
 */
export function segmentDependencies(predicates: ReadonlyMap<string, Expr>, scores: ReadonlyMap<string, ScoreFacts>): Map<string, Dependencies> {
  const done = new Map<string, Dependencies>();
  const visit = (name: string): Dependencies => {
    const known = done.get(name);
    if (known) return known;
    const segments = new Set<string>();
    const events = new Set<string>();
    const lists = new Set<string>();
    const scoreNames = new Set<string>();
    let clock = false;
    let population = false;
    const predicate = predicates.get(name);
    if (predicate) {
      forEachExpr(predicate, (expr) => {
        switch (expr.kind) {
          case "segment": {
            segments.add(expr.name);
            const inner = visit(expr.name);
            for (const e of inner.events) events.add(e);
            for (const l of inner.lists) lists.add(l);
            for (const s of inner.scores) scoreNames.add(s);
            clock ||= inner.clock;
            population ||= inner.population;
            return;
          }
          case "happened":
          case "aggregate":
            events.add(expr.event);
            if (expr.window.kind === "since") events.add(expr.window.event);
            if (expr.window.kind === "last") clock = true;
            return;
          case "occurred_within":
            events.add(expr.event);
            clock = true;
            return;
          case "occurrence":
            events.add(expr.event);
            return;
          case "rfm":
            events.add(expr.event);
            population = true;
            return;
          case "in_list":
            lists.add(expr.list);
            return;
          case "score": {
            scoreNames.add(expr.name);
            const facts = scores.get(expr.name);
            for (const e of facts?.events ?? []) events.add(e);
            clock ||= facts?.decays ?? false;
            return;
          }
          default:
            return;
        }
      });
    }
    const sorted = (set: Set<string>) => [...set].sort();
    const result = { segments: sorted(segments), events: sorted(events), lists: sorted(lists), scores: sorted(scoreNames), clock, population };
    done.set(name, result);
    return result;
  };
  for (const name of predicates.keys()) visit(name);
  return done;
}
