import { expr as printExpression } from "../format/printer.js";
import { childBlocks, forEachStep, isStep } from "../semantics/checker.js";
import type * as A from "../syntax/ast.js";

/** The first step of a journey (at any depth) for which `test` holds. */
export function findStep(journey: A.JourneyDecl, test: (step: A.Step) => boolean): A.Step | undefined {
  let found: A.Step | undefined;
  forEachStep(journey.items.filter(isStep), (step) => {
    if (!found && test(step)) found = step;
  });
  return found;
}

export function duration(d: A.DurationLiteral | undefined): string {
  return d ? printExpression(d) : "?";
}

function zone(z: A.TimeZone | undefined): string {
  if (!z) return "";
  return z.kind === "CustomerTime" ? " customer time" : ` in ${z.zone?.raw ?? '""'}`;
}

function pattern(p: A.EventPattern | undefined): string {
  if (!p) return "?";
  return p.condition ? `${p.event.text} where ${printExpression(p.condition)}` : p.event.text;
}

/** One line that says what a step does, as written (bodies left out): `send email promo_email`. */
export function stepSummary(step: A.Step): string {
  switch (step.kind) {
    case "SendStep":
      return `send ${step.channel?.text ?? "?"} ${step.template?.text ?? step.text?.raw ?? "?"}${step.alias ? ` as ${step.alias.text}` : ""}`;
    case "ShowStep":
      return `show ${step.channel?.text ?? "?"}${step.template ? ` ${step.template.text}` : step.text ? ` ${step.text.raw}` : ""}`;
    case "WaitStep":
      return waitSummary(step.wait);
    case "IfStep":
      return `if ${printExpression(step.branches[0]?.condition)}`;
    case "MatchStep":
      return `match ${printExpression(step.subject)}`;
    case "SplitStep":
      return "split";
    case "HoldoutStep":
      return `holdout ${step.percent?.text ?? "?"}`;
    case "ExperimentStep":
      return `experiment${step.name ? ` ${step.name.text}` : ""}`;
    case "SetStep":
      return `set ${printExpression(step.target)} = ${printExpression(step.value)}`;
    case "ListStep":
      return `${step.operation === "add" ? "add to" : "remove from"} list ${step.list?.text ?? "?"}`;
    case "TrackStep":
      return `track ${step.event?.text ?? "?"}`;
    case "NotifyStep":
      return `notify ${step.target?.text ?? "?"}`;
    case "StartJourneyStep":
      return `start journey ${step.journey?.text ?? "?"}`;
    case "ExitStep":
      return "exit";
    case "MissingStep":
      return "(unreadable step)";
    default: {
      const unknown: never = step;
      return unknown;
    }
  }
}

export function waitSummary(wait: A.WaitSpec | undefined): string {
  if (!wait) return "wait";
  switch (wait.kind) {
    case "WaitDuration":
      return `wait ${duration(wait.duration)}`;
    case "WaitUntilTime":
      return `wait until ${wait.time?.text ?? "?"}${zone(wait.zone)}`;
    case "WaitUntilDate":
      return `wait until ${printExpression(wait.field)}`;
    case "WaitForEvent":
      return `wait for ${pattern(wait.event)}${wait.matching ? ` matching ${wait.matching.text}` : ""}${wait.timeout ? ` up to ${duration(wait.timeout)}` : ""}`;
    case "WaitBestTime":
      return "wait for best send time";
    default: {
      const unknown: never = wait;
      return unknown;
    }
  }
}

export function eventPatternText(p: A.EventPattern | undefined): string {
  return pattern(p);
}

export function zoneText(z: A.TimeZone | undefined): string {
  return zone(z);
}

/** Every node of the tree (anything with a span), depth first, in source order. */
export function walk(node: unknown, visit: (node: { span: A.Span; kind?: string }) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!node || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  if (isSpan(record.span)) visit(record as { span: A.Span; kind?: string });
  for (const [key, value] of Object.entries(record)) {
    if (key === "span" || key === "doc" || key === "comments") continue;
    if (value && typeof value === "object") walk(value, visit);
  }
}

function isSpan(value: unknown): value is A.Span {
  return !!value && typeof value === "object" && typeof (value as A.Span).start === "number" && typeof (value as A.Span).end === "number";
}

export { childBlocks, isStep };
