/** What the server's `journey/graph` request returns (see docs/editor.md), and the messages between the page and the extension. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface GraphNode {
  id: string;
  kind: string;
  label: string;
  name?: string;
  range: Range;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

export interface JourneyGraph {
  uri: string;
  journey: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  stale: boolean;
}

/** extension → page */
export type ToPage = { type: "graph"; graph: JourneyGraph | null };
/** page → extension */
export type FromPage = { type: "reveal"; uri: string; range: Range } | { type: "ready" };
