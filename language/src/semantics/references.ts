import type { Span } from "../syntax/ast.js";

export type SymbolKind = "event" | "object" | "segment" | "list" | "score" | "template" | "journey" | "field" | "label";

/** A declared thing a name can point at. `owner` scopes fields (`customer`, `purchase`, `customer.consent`) and labels (the journey). */
export interface SymbolInfo {
  kind: SymbolKind;
  name: string;
  owner?: string;
  file?: string;
  span?: Span;
}

/** One occurrence of a name: where it is written and what it means. */
export interface Reference {
  file: string;
  span: Span;
  symbol: SymbolInfo;
  declaration: boolean;
}

/** A stable key for a symbol: the same declaration gives the same key from every reference. */
export function symbolKey(symbol: SymbolInfo): string {
  return `${symbol.kind}:${symbol.owner ?? ""}:${symbol.name}`;
}

/** Every resolved name in a project: the data behind go-to-definition, find-references, rename and hover. */
export class ReferenceIndex {
  readonly references: Reference[] = [];

  add(file: string, span: Span, symbol: SymbolInfo, declaration = false): void {
    this.references.push({ file, span, symbol, declaration });
  }
}
