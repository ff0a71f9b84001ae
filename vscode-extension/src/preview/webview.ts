/**
 * The graph preview's page script (runs in the webview): lays the journey out with dagre and
 * draws it as SVG. Clicking a node asks the extension to reveal its source.
 */
import dagre from "@dagrejs/dagre";
import type { FromPage, JourneyGraph, ToPage } from "./protocol.js";

interface VsCodeApi {
  postMessage(message: FromPage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const svgNs = "http://www.w3.org/2000/svg";
const charWidth = 7.6;

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(svgNs, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function clip(text: string, max = 48): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function render(graph: JourneyGraph | null): void {
  const container = document.getElementById("graph") as HTMLElement;
  const empty = document.getElementById("empty") as HTMLElement;
  const title = document.getElementById("title") as HTMLElement;
  container.textContent = "";
  document.body.classList.toggle("stale", graph?.stale === true);
  if (!graph || graph.nodes.length === 0) {
    empty.style.display = "block";
    title.textContent = "Journey graph";
    return;
  }
  empty.style.display = "none";
  title.textContent = `journey ${graph.journey}`;

  const layout = new dagre.graphlib.Graph({ multigraph: true });
  layout.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 36, edgesep: 12, marginx: 4, marginy: 4 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const label = clip(node.label);
    const kind = node.name ? `${node.kind} · ${node.name}` : node.kind;
    layout.setNode(node.id, { width: Math.max(label.length, kind.length) * charWidth + 24, height: 40 });
  }
  graph.edges.forEach((edge, i) => {
    const label = edge.label ? clip(edge.label, 40) : "";
    layout.setEdge(edge.from, edge.to, { label, width: label.length * 6.2, height: label ? 14 : 0, labelpos: "c" }, `e${i}`);
  });
  dagre.layout(layout);
  const size = layout.graph();
  const width = (size.width ?? 0) + 8;
  const height = (size.height ?? 0) + 8;
  const svg = element("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `journey ${graph.journey}` });
  const defs = element("defs");
  const marker = element("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.appendChild(element("path", { d: "M 0 0 L 10 5 L 0 10 z" }));
  defs.appendChild(marker);
  svg.appendChild(defs);

  graph.edges.forEach((edge, i) => {
    const laid = layout.edge({ v: edge.from, w: edge.to, name: `e${i}` }) as { points?: { x: number; y: number }[]; x?: number; y?: number; label?: string };
    const group = element("g", { class: "edge", "data-from": edge.from, "data-to": edge.to });
    const points = laid?.points ?? [];
    if (points.length > 0) group.appendChild(element("path", { d: points.map((p, j) => `${j === 0 ? "M" : "L"} ${p.x} ${p.y}`).join(" ") }));
    if (laid?.label && laid.x !== undefined && laid.y !== undefined) {
      const w = laid.label.length * 6.2;
      group.appendChild(element("rect", { x: laid.x - w / 2 - 2, y: laid.y - 8, width: w + 4, height: 15 }));
      group.appendChild(element("text", { x: laid.x, y: laid.y + 4, "text-anchor": "middle" }, laid.label));
    }
    svg.appendChild(group);
  });

  for (const node of graph.nodes) {
    const laid = layout.node(node.id) as { x: number; y: number; width: number; height: number };
    const group = element("g", { class: `node kind-${node.kind.replace(/\s+/g, "-")}`, "data-id": node.id, tabindex: 0, transform: `translate(${laid.x - laid.width / 2}, ${laid.y - laid.height / 2})` });
    group.appendChild(element("title", {}, node.label));
    group.appendChild(element("rect", { width: laid.width, height: laid.height }));
    group.appendChild(element("text", { class: "kind", x: 12, y: 14 }, node.name ? `${node.kind} · ${node.name}` : node.kind));
    group.appendChild(element("text", { class: "label", x: 12, y: 31 }, clip(node.label)));
    const reveal = () => vscode.postMessage({ type: "reveal", uri: graph.uri, range: node.range });
    group.addEventListener("click", reveal);
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") reveal();
    });
    svg.appendChild(group);
  }
  container.appendChild(svg);
}

window.addEventListener("message", (event: MessageEvent<ToPage>) => {
  const message = event.data;
  if (message?.type !== "graph") return;
  vscode.setState(message.graph);
  render(message.graph);
});

// A reopened webview shows what it showed before, until the next graph arrives.
render((vscode.getState() as JourneyGraph | null) ?? null);
vscode.postMessage({ type: "ready" });
