import type { SymbolKind } from "../semantics/references.js";
import type { ProjectIndex } from "./project.js";

export interface SemanticToken {
  line: number;
  column: number;
  length: number;
  type: SymbolKind;
  declaration: boolean;
}

/**
 * Every resolved name of a file, by what it names (event, segment, field…), in position order.
 * Keywords, strings and comments are left to the TextMate grammar; these tokens add what only the
 * checker knows: that `engaged` is a segment and `total` a field.
 */
export function semanticTokens(project: ProjectIndex, file: string): SemanticToken[] {
  const parsed = project.file(file);
  if (!parsed) return [];
  const tokens: SemanticToken[] = [];
  let lastEnd = -1;
  for (const ref of project.referencesIn(file)) {
    // Tokens must not overlap: a field path `customer.consent` records the whole path and its parts.
    if (ref.span.start < lastEnd) continue;
    const start = parsed.lineIndex.position(ref.span.start);
    const end = parsed.lineIndex.position(ref.span.end);
    if (start.line !== end.line || ref.span.end <= ref.span.start) continue;
    // A name's occurrence may cover a whole path (`count(purchase.total)` records `total`); colour the last word.
    const written = parsed.text.slice(ref.span.start, ref.span.end);
    const nameStart = written.endsWith(ref.symbol.name) ? ref.span.end - ref.symbol.name.length : ref.span.start;
    const at = parsed.lineIndex.position(nameStart);
    tokens.push({ line: at.line, column: at.column, length: ref.span.end - nameStart, type: ref.symbol.kind, declaration: ref.declaration });
    lastEnd = ref.span.end;
  }
  return tokens;
}
