import { canonicalJson } from "../ir/canonical.js";
import type { IrEdge, IrNode, JourneyFile, SourceRange } from "../ir/schema.js";

/**
 * A journey's flowchart, rendered from its IR: Mermaid for pull-request comments and docs, DOT for
 * Graphviz, JSON for the editor's preview. Conditions are already readable text in the IR (the
 * formatter's printing of the source), so every renderer shows what the marketer wrote.
 */

export const graphFormats = ["mermaid", "dot", "json"] as const;
export type GraphFormat = (typeof graphFormats)[number];

export interface GraphNode {
  id: string;
  kind: IrNode["kind"];
  /** The step's label, when it has one. */
  label?: string;
  /** The step on one line: `wait for purchase matching cart_id up to 1 day`. */
  text: string;
  source: SourceRange;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: IrEdge["kind"];
  /** What takes this edge: a condition, a case, an arm, a timeout; absent for plain `next`. */
  text?: string;
}

/** The JSON the editor preview reads. */
export interface JourneyGraph {
  journey: string;
  title?: string;
  hash: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function journeyGraph(journey: JourneyFile): JourneyGraph {
  return {
    journey: journey.name,
    ...(journey.title ? { title: journey.title } : {}),
    hash: journey.hash,
    nodes: journey.nodes.map((n) => ({ id: n.id, kind: n.kind, ...(n.label ? { label: n.label } : {}), text: n.text, source: n.source })),
    edges: journey.edges.map((e) => ({ from: e.from, to: e.to, kind: e.kind, ...("text" in e ? { text: e.text } : {}) })),
  };
}

export function renderGraph(journey: JourneyFile, format: GraphFormat): string {
  switch (format) {
    case "mermaid":
      return renderMermaid(journey);
    case "dot":
      return renderDot(journey);
    case "json":
      return canonicalJson(journeyGraph(journey));
    default: {
      const unknown: never = format;
      return unknown;
    }
  }
}

const NODE_TEXT = 80;
const EDGE_TEXT = 80;

function shorten(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function nodeText(node: GraphNode | IrNode): string {
  return shorten(node.label ? `${node.label}: ${node.text}` : node.text, NODE_TEXT);
}

/** Timeouts and the holdout's control group are the roads less taken: drawn dashed. */
function dashed(edge: IrEdge): boolean {
  return edge.kind === "timeout" || edge.kind === "control";
}

function edgeText(edge: IrEdge): string | undefined {
  return "text" in edge ? shorten(edge.text, EDGE_TEXT) : undefined;
}

// ── Mermaid ─────────────────────────────────────────────────────────────────

/** Mermaid ids are letters, digits and `_`: `send-0211d95c` becomes `send_0211d95c`, told apart from a label of that spelling if need be. */
function mermaidIds(nodes: IrNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const node of nodes) {
    const base = node.id.replace(/[^A-Za-z0-9_]/g, "_");
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(node.id, id);
  }
  return ids;
}

function mermaidText(text: string): string {
  return `"${text.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")}"`;
}

function mermaidShape(node: IrNode, text: string): string {
  switch (node.kind) {
    case "start":
      return `([${text}])`;
    case "end":
    case "exit":
      return `((${text}))`;
    case "wait":
      return `[/${text}/]`;
    case "if":
    case "match":
    case "split":
    case "experiment":
    case "holdout":
      return `{${text}}`;
    default:
      return `[${text}]`;
  }
}

export function renderMermaid(journey: JourneyFile): string {
  const ids = mermaidIds(journey.nodes);
  const id = (nodeId: string) => ids.get(nodeId) ?? nodeId;
  const lines = ["flowchart TD"];
  for (const node of journey.nodes) lines.push(`  ${id(node.id)}${mermaidShape(node, mermaidText(nodeText(node)))}`);
  for (const edge of journey.edges) {
    const text = edgeText(edge);
    const arrow = dashed(edge) ? "-.->" : "-->";
    lines.push(`  ${id(edge.from)} ${arrow}${text ? `|${mermaidText(text)}|` : ""} ${id(edge.to)}`);
  }
  return `${lines.join("\n")}\n`;
}

// ── DOT ─────────────────────────────────────────────────────────────────────

function dotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function dotShape(node: IrNode): string {
  switch (node.kind) {
    case "start":
      return "oval";
    case "end":
    case "exit":
      return "doublecircle";
    case "wait":
      return "parallelogram";
    case "if":
    case "match":
    case "split":
    case "experiment":
    case "holdout":
      return "diamond";
    default:
      return "box";
  }
}

export function renderDot(journey: JourneyFile): string {
  const lines = [
    `digraph ${dotString(journey.name)} {`,
    "  rankdir=TB;",
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const node of journey.nodes) lines.push(`  ${dotString(node.id)} [label=${dotString(nodeText(node))}, shape=${dotShape(node)}];`);
  for (const edge of journey.edges) {
    const attributes = [...(edgeText(edge) ? [`label=${dotString(edgeText(edge) ?? "")}`] : []), ...(dashed(edge) ? ["style=dashed"] : [])];
    lines.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)}${attributes.length > 0 ? ` [${attributes.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
