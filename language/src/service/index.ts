/**
 * The language service: plain functions over a checked program. It knows nothing of LSP (see
 * `../lsp/` for the adapter) and does no I/O: positions are offsets in, Locations (file + range) out.
 */
export { codeActions, type CodeAction } from "./actions.js";
export { completion, type CompletionItem, type CompletionKind, type CompletionResult } from "./completion.js";
export { foldingRanges, type FoldingRange } from "./folding.js";
export { formatEdits, type TextReplacement } from "./formatting.js";
export { GraphMemory, journeyAt, journeyGraph, type GraphEdge, type GraphNode, type GraphNodeKind, type JourneyGraph } from "./graph.js";
export { hover, type Hover } from "./hover.js";
export { inlayHints, type InlayHint } from "./inlayHints.js";
export { definition, highlights, invalidName, prepareRename, references, rename, type RenameEdit, type RenameResult, type RenameTarget } from "./navigation.js";
export { documentSymbols, workspaceSymbols, type OutlineKind, type OutlineSymbol } from "./outline.js";
export { ProjectIndex, type Location } from "./project.js";
export { semanticTokens, type SemanticToken } from "./semanticTokens.js";
export { signatureHelp, type SignatureHelp } from "./signature.js";
