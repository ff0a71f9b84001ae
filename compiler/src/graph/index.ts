export { type GraphEdge, type GraphFormat, graphFormats, type GraphNode, type JourneyGraph, journeyGraph, renderDot, renderGraph, renderMermaid } from "./render.js";
