import type { Range } from "../diagnostics/diagnostic.js";
import { expr as printExpression } from "../format/printer.js";
import { isStep } from "../semantics/checker.js";
import type * as A from "../syntax/ast.js";
import type { ParseResult } from "../syntax/parse.js";
import { eventPatternText, stepSummary, zoneText } from "./steps.js";

/**
 * The journey as a flowchart, for the graph preview: built straight from the syntax tree, so it
 * needs no compiler (the language package knows nothing of the compiler's IR).
 *
 * - nodes: `start` (the trigger), one per step, and `end`; a step's node has its kind (`send`,
 *   `wait`, `if`, …), a one-line label as written (`send email promo_email`), the step label if it
 *   has one, and its source range, so clicking it can reveal the step;
 * - edges: the order of the steps; a branching step has one edge per way out, labelled with the
 *   condition as written (`if`, `else if`, `else`), the case values (`match`), the percentage and
 *   arm name (`split`, `experiment`, `holdout`), or the event and the time limit (`wait for`).
 *   `exit` steps have no way out; the last steps of every branch flow to the step after the
 *   branching step, and the last steps of the journey to `end`.
 */
export interface JourneyGraph {
  journey: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** True when the graph is from an earlier version of the text (the current one has syntax errors). */
  stale: boolean;
}

export type GraphNodeKind =
  | "start"
  | "end"
  | "send"
  | "show"
  | "wait"
  | "if"
  | "match"
  | "split"
  | "holdout"
  | "experiment"
  | "set"
  | "list"
  | "track"
  | "notify"
  | "start journey"
  | "exit"
  | "unknown";

export interface GraphNode {
  id: string;
  kind: GraphNodeKind;
  label: string;
  /** The step's label (`reminder:`), when it has one. */
  name?: string;
  range: Range;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

const stepKinds: Record<A.Step["kind"], GraphNodeKind> = {
  SendStep: "send",
  ShowStep: "show",
  WaitStep: "wait",
  IfStep: "if",
  MatchStep: "match",
  SplitStep: "split",
  HoldoutStep: "holdout",
  ExperimentStep: "experiment",
  SetStep: "set",
  ListStep: "list",
  TrackStep: "track",
  NotifyStep: "notify",
  StartJourneyStep: "start journey",
  ExitStep: "exit",
  MissingStep: "unknown",
};

/** An edge still looking for the node it leads to. */
interface Pending {
  from: string;
  label?: string;
}

/** The journey whose declaration holds `offset`, or the file's first journey. */
export function journeyAt(parsed: ParseResult, offset: number): A.JourneyDecl | undefined {
  const journeys = parsed.ast.declarations.filter((d): d is A.JourneyDecl => d.kind === "JourneyDecl");
  return journeys.find((j) => j.span.start <= offset && offset <= j.span.end) ?? [...journeys].reverse().find((j) => j.span.start <= offset) ?? journeys[0];
}

export function journeyGraph(parsed: ParseResult, journey: A.JourneyDecl): JourneyGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const range = (span: A.Span) => parsed.lineIndex.range(span.start, span.end);
  const used = new Set<string>();
  let counter = 0;
  const newId = (preferred: string | undefined) => {
    let id = preferred && !used.has(preferred) && preferred !== "start" && preferred !== "end" ? preferred : `step${++counter}`;
    while (used.has(id)) id = `step${++counter}`;
    used.add(id);
    return id;
  };
  const connect = (pending: Pending[], to: string) => {
    for (const p of pending) edges.push(p.label ? { from: p.from, to, label: p.label } : { from: p.from, to });
  };

  const when = journey.items.find((i): i is A.WhenClause => i.kind === "WhenClause");
  const header = { start: journey.span.start, end: journey.name?.span.end ?? journey.span.start };
  nodes.push({ id: "start", kind: "start", label: triggerText(when?.trigger), range: range(when?.span ?? header) });
  used.add("start");
  used.add("end");

  const block = (steps: A.Step[], incoming: Pending[]): Pending[] => {
    let pending = incoming;
    for (const step of steps) pending = visit(step, pending);
    return pending;
  };
  const body = (b: A.Block | undefined, incoming: Pending[]): Pending[] => (b && b.steps.length > 0 ? block(b.steps, incoming) : incoming);

  const visit = (step: A.Step, incoming: Pending[]): Pending[] => {
    const id = newId(step.label?.text);
    const node: GraphNode = { id, kind: stepKinds[step.kind], label: stepSummary(step), range: range(step.span) };
    if (step.label) node.name = step.label.text;
    nodes.push(node);
    connect(incoming, id);
    switch (step.kind) {
      case "IfStep": {
        const out: Pending[] = [];
        step.branches.forEach((branch, i) => {
          out.push(...body(branch.body, [{ from: id, label: `${i === 0 ? "if" : "else if"} ${printExpression(branch.condition)}` }]));
        });
        out.push(...body(step.otherwise, [{ from: id, label: "else" }]));
        node.label = step.branches.length > 1 ? "if … else if …" : "if";
        return out;
      }
      case "MatchStep": {
        const out: Pending[] = [];
        for (const matchCase of step.cases) {
          out.push(...body(matchCase.body, [{ from: id, label: matchCase.isElse ? "else" : matchCase.values.map((v) => printExpression(v)).join(", ") }]));
        }
        if (!step.cases.some((c) => c.isElse)) out.push({ from: id, label: "no case" });
        return out;
      }
      case "SplitStep":
      case "ExperimentStep": {
        const out: Pending[] = [];
        for (const arm of step.arms) out.push(...body(arm.body, [{ from: id, label: `${arm.percent.text}${arm.name ? ` ${arm.name.text}` : ""}` }]));
        if (step.kind === "ExperimentStep" && step.winner) node.label += `, pick winner by goal${step.winner.after ? ` after ${printExpression(step.winner.after)}` : ""}`;
        return out;
      }
      case "HoldoutStep": {
        const kept = step.percent ? `${Math.round((100 - step.percent.value) * 100) / 100}%` : "rest";
        edges.push({ from: id, to: "end", label: `${step.percent?.text ?? "?"} held out` });
        return [{ from: id, label: kept }];
      }
      case "WaitStep": {
        const wait = step.wait;
        if (wait?.kind !== "WaitForEvent") return [{ from: id }];
        const arrived: Pending = { from: id, label: eventPatternText(wait.event) };
        if (!wait.timeout) return [arrived];
        const timedOut = body(wait.otherwise, [{ from: id, label: `after ${printExpression(wait.timeout)}` }]);
        return [arrived, ...timedOut];
      }
      case "ExitStep":
        return [];
      default:
        return [{ from: id }];
    }
  };

  const end = block(journey.items.filter(isStep), [{ from: "start" }]);
  nodes.push({ id: "end", kind: "end", label: "end", range: range({ start: journey.span.end, end: journey.span.end }) });
  connect(end, "end");
  return { journey: journey.name?.text ?? "journey", nodes, edges, stale: false };
}

function triggerText(trigger: A.Trigger | undefined): string {
  switch (trigger?.kind) {
    case "EventTrigger":
      return `when ${eventPatternText(trigger.event)}${trigger.correlationKey ? ` per ${trigger.correlationKey.text}` : ""}`;
    case "SegmentTrigger":
      return `when customer ${trigger.change} ${trigger.segment?.text ?? "?"}`;
    case "DateTrigger":
      return `when on ${printExpression(trigger.field)}${trigger.at ? ` at ${trigger.at.text}` : ""}${zoneText(trigger.zone)}`;
    case "ScheduleTrigger": {
      const every = trigger.every?.kind === "Identifier" ? trigger.every.text : printExpression(trigger.every);
      return `when every ${every}${trigger.at ? ` at ${trigger.at.text}` : ""}${zoneText(trigger.zone)}${trigger.audience ? ` for ${trigger.audience.text}` : ""}`;
    }
    case "ApiTrigger":
      return "when api";
    default:
      return "start";
  }
}

/**
 * Keeps the last graph drawn from text without syntax errors, per file and journey, so the preview
 * can go on showing it (marked stale) while the journey is being edited into shape.
 */
export class GraphMemory {
  private readonly good = new Map<string, JourneyGraph>();

  graph(parsed: ParseResult, offset: number): JourneyGraph | undefined {
    const journey = journeyAt(parsed, offset);
    if (!journey) return undefined;
    const hasErrors = parsed.diagnostics.some((d) => d.severity === "error");
    const name = journey.name?.text ?? "journey";
    const key = `${parsed.file}\u0000${name}`;
    if (!hasErrors) {
      const graph = journeyGraph(parsed, journey);
      this.good.set(key, graph);
      return graph;
    }
    const previous = this.good.get(key);
    if (previous) return { ...previous, stale: true };
    return { ...journeyGraph(parsed, journey), stale: true };
  }

  forget(file: string): void {
    for (const key of this.good.keys()) if (key.startsWith(`${file}\u0000`)) this.good.delete(key);
  }
}
