import type { Range } from "../diagnostics/diagnostic.js";
import type { Program } from "../semantics/checker.js";
import { type Reference, type SymbolInfo, symbolKey } from "../semantics/references.js";
import type { FieldInfo, Type } from "../semantics/types.js";
import type { Span } from "../syntax/ast.js";
import type { ParseResult } from "../syntax/parse.js";

/** A place in a file, with both offsets and 0-based line/column positions. */
export interface Location {
  file: string;
  range: Range;
}

/**
 * A checked program and the indexes the language service reads: references by file (sorted by
 * position) and by symbol. Built once per check; every service function is a plain function of it.
 */
export class ProjectIndex {
  private readonly filesByName = new Map<string, ParseResult>();
  private byFile: Map<string, Reference[]> | undefined;
  private byKey: Map<string, Reference[]> | undefined;
  /**
   * Set when this check is exact for one file only within these offsets (a large file's quick
   * check, see the workspace's region parsing); elsewhere in it, ask the full check.
   */
  exactIn: { file: string; regions: { start: number; end: number }[] } | undefined;

  constructor(readonly program: Program) {
    for (const file of program.files) this.filesByName.set(file.file, file);
  }

  /** Whether questions about `offset` in `file` can be answered from this check. */
  isExact(file: string, offset: number): boolean {
    if (!this.exactIn || this.exactIn.file !== file) return true;
    return this.exactIn.regions.some((r) => offset >= r.start && offset <= r.end);
  }

  file(name: string): ParseResult | undefined {
    return this.filesByName.get(name);
  }

  get fileNames(): string[] {
    return [...this.filesByName.keys()];
  }

  /** The references written in one file, sorted by where they start. */
  referencesIn(file: string): Reference[] {
    this.index();
    return this.byFile?.get(file) ?? [];
  }

  /** Every occurrence of a symbol (declaration included), in file and position order. */
  occurrences(symbol: SymbolInfo): Reference[] {
    this.index();
    return this.byKey?.get(symbolKey(symbol)) ?? [];
  }

  /** The resolved name at (or touching) `offset`; the innermost when several overlap. */
  referenceAt(file: string, offset: number): Reference | undefined {
    let best: Reference | undefined;
    for (const ref of this.referencesIn(file)) {
      if (ref.span.start > offset) break;
      if (offset <= ref.span.end && (!best || ref.span.end - ref.span.start <= best.span.end - best.span.start)) best = ref;
    }
    return best;
  }

  /** A span in a file as a Location (line/column from that file's index). */
  location(file: string, span: Span): Location {
    const parsed = this.file(file);
    if (!parsed) {
      const position = { line: 0, column: 0, offset: span.start };
      return { file, range: { start: position, end: { ...position, offset: span.end } } };
    }
    return { file, range: parsed.lineIndex.range(span.start, span.end) };
  }

  private index(): void {
    if (this.byFile && this.byKey) return;
    const byFile = new Map<string, Reference[]>();
    const byKey = new Map<string, Reference[]>();
    const seen = new Set<string>();
    for (const ref of this.program.references) {
      // The checker may visit one expression twice (a shared condition): keep each place once.
      const place = `${ref.file}|${ref.span.start}|${ref.span.end}|${symbolKey(ref.symbol)}`;
      if (seen.has(place)) continue;
      seen.add(place);
      push(byFile, ref.file, ref);
      push(byKey, symbolKey(ref.symbol), ref);
    }
    for (const refs of byFile.values()) refs.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
    for (const refs of byKey.values()) refs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.span.start - b.span.start));
    this.byFile = byFile;
    this.byKey = byKey;
  }

  /**
   * A declaration as written in its file's tree. The symbols may hold a reduced copy (a file's own
   * check sees other files by their declarations only), found again here by kind and name position.
   */
  declaration<T extends { kind: string; span: Span; name?: { span: Span } | undefined }>(declared: { file: string; node: T }): T {
    const parsed = this.file(declared.file);
    const start = declared.node.name?.span.start;
    const found = parsed?.ast.declarations.find((d) => d.kind === declared.node.kind && "name" in d && d.name?.span.start === start);
    return (found as T | undefined) ?? declared.node;
  }

  /** The field a `field` symbol stands for: its owner is a path such as `customer.consent` or `purchase.items`. */
  field(owner: string | undefined, name: string): FieldInfo | undefined {
    if (!owner) return undefined;
    const fields = this.fieldsOf(owner);
    return fields?.get(name);
  }

  /** The fields of an owner path: `customer`, an event, an object, or a record inside one. */
  fieldsOf(owner: string): Map<string, FieldInfo> | undefined {
    const symbols = this.program.symbols;
    const [root, ...path] = owner.split(".");
    if (root === undefined) return undefined;
    let fields: Map<string, FieldInfo> | undefined =
      root === "customer" ? symbols.customer?.fields : (symbols.events.get(root)?.fields ?? symbols.objects.get(root)?.fields);
    for (const part of path) {
      const next = fields?.get(part);
      fields = next ? recordFields(next.type) : undefined;
    }
    return fields;
  }
}

/** The fields of a record, or of a list of records. */
export function recordFields(type: Type): Map<string, FieldInfo> | undefined {
  if (type.kind === "record") return type.fields;
  if (type.kind === "list" && type.element.kind === "record") return type.element.fields;
  return undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
