import { isStep } from "../semantics/checker.js";
import type * as A from "../syntax/ast.js";
import type { ParseResult } from "../syntax/parse.js";
import { compactDuration, minutesOf } from "./durations.js";

export interface InlayHint {
  offset: number;
  line: number;
  column: number;
  label: string;
  tooltip: string;
}

/** How long after entry a customer reaches a point: at least `minutes`, exactly when nothing before waited for an event or a time. */
interface Elapsed {
  minutes: number;
  exact: boolean;
}

/**
 * Resolved durations: after each `wait <duration>` and each `up to <duration>`, how long after
 * entering the journey a customer is there (`t+1d 1h`; `t≥…` when an earlier wait can end sooner or later).
 */
export function inlayHints(parsed: ParseResult, start = 0, end = Number.POSITIVE_INFINITY): InlayHint[] {
  const hints: InlayHint[] = [];
  const hint = (offset: number, elapsed: Elapsed) => {
    if (offset < start || offset > end) return;
    const at = parsed.lineIndex.position(offset);
    const when = `${elapsed.exact ? "t+" : "t≥"}${compactDuration(elapsed.minutes)}`;
    hints.push({
      offset,
      line: at.line,
      column: at.column,
      label: when,
      tooltip: elapsed.exact
        ? `Customers reach this point ${compactDuration(elapsed.minutes)} after entering the journey (a month counts as 30 days).`
        : `Customers reach this point at least ${compactDuration(elapsed.minutes)} after entering the journey; earlier waits for an event or a time can make it later.`,
    });
  };
  const visit = (steps: A.Step[], elapsed: Elapsed): Elapsed | undefined => {
    let now: Elapsed | undefined = { ...elapsed };
    for (const step of steps) {
      if (!now) return undefined;
      now = visitStep(step, now);
    }
    return now;
  };
  const join = (ends: (Elapsed | undefined)[]): Elapsed | undefined => {
    const reached = ends.filter((e): e is Elapsed => e !== undefined);
    if (reached.length === 0) return undefined;
    const minutes = Math.min(...reached.map((e) => e.minutes));
    return { minutes, exact: reached.every((e) => e.exact && e.minutes === minutes) };
  };
  const visitStep = (step: A.Step, now: Elapsed): Elapsed | undefined => {
    switch (step.kind) {
      case "WaitStep": {
        const wait = step.wait;
        if (wait?.kind === "WaitDuration") {
          const after = { minutes: now.minutes + minutesOf(wait.duration), exact: now.exact };
          hint(wait.duration.span.end, after);
          return after;
        }
        if (wait?.kind === "WaitForEvent") {
          if (!wait.timeout) return { minutes: now.minutes, exact: false };
          const timedOut = { minutes: now.minutes + minutesOf(wait.timeout), exact: now.exact };
          hint(wait.timeout.span.end, timedOut);
          const otherwise = wait.otherwise ? visit(wait.otherwise.steps, timedOut) : timedOut;
          return join([{ minutes: now.minutes, exact: false }, otherwise]);
        }
        return { minutes: now.minutes, exact: false };
      }
      case "IfStep":
        return join([...step.branches.map((b) => visit(b.body?.steps ?? [], now)), step.otherwise ? visit(step.otherwise.steps, now) : now]);
      case "MatchStep":
        return join([...step.cases.map((c) => visit(c.body?.steps ?? [], now)), step.cases.some((c) => c.isElse) ? undefined : now]);
      case "SplitStep":
      case "ExperimentStep":
        return join(step.arms.map((a) => visit(a.body?.steps ?? [], now)));
      case "ExitStep":
        return undefined;
      default:
        return now;
    }
  };
  for (const decl of parsed.ast.declarations) {
    if (decl.kind !== "JourneyDecl") continue;
    if (decl.span.end < start || decl.span.start > end) continue;
    visit(decl.items.filter(isStep), { minutes: 0, exact: true });
  }
  return hints.sort((a, b) => a.offset - b.offset);
}
