import type * as A from "../syntax/ast.js";
import { walk } from "./steps.js";

/** Minutes in each unit; a month counts as 30 days (what a reader expects from "about a month"). */
const minutesPer: Record<A.DurationUnit, number> = { minute: 1, hour: 60, day: 1440, week: 10080, month: 43200 };

export function minutesOf(d: A.DurationLiteral): number {
  return d.amount * minutesPer[d.unit];
}

/** `1d 1h 30m`: a length of time in minutes, compactly. */
export function compactDuration(minutes: number): string {
  if (minutes <= 0) return "0m";
  const parts: string[] = [];
  let rest = Math.round(minutes);
  for (const [unit, size] of [
    ["d", 1440],
    ["h", 60],
    ["m", 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join(" ");
}

/** What a duration resolves to, for a hover: `36 hours` is 1 day 12 hours. */
export function describeDuration(d: A.DurationLiteral): string {
  const minutes = minutesOf(d);
  const approx = d.unit === "month" ? " (a month counts as 30 days)" : "";
  return `A duration: ${compactDuration(minutes)}, that is ${minutes.toLocaleString("en-US")} minutes${approx}.`;
}

/** The duration literal at `offset`, if any. */
export function durationAt(ast: A.SourceFile, offset: number): A.DurationLiteral | undefined {
  let found: A.DurationLiteral | undefined;
  // Only the declaration under the cursor: a 20,000-line file is not walked for one hover.
  const declaration = ast.declarations.find((d) => d.span.start <= offset && offset <= d.span.end);
  walk(declaration, (node) => {
    if (node.kind === "DurationLiteral" && node.span.start <= offset && offset <= node.span.end) found = node as A.DurationLiteral;
  });
  return found;
}
