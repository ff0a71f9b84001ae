import type { Diagnostic, Position } from "../diagnostics/diagnostic.js";
import { LineIndex } from "../diagnostics/lineIndex.js";
import type * as A from "../syntax/ast.js";
import { parse, type ParseResult } from "../syntax/parse.js";
import { declarationsOnly } from "./outline.js";

/**
 * Re-parsing a large file by its top-level declarations. A file is cut into regions, each starting
 * at a line where a declaration starts at the top level (with the comments just above it); an
 * edit re-parses only the regions whose text changed, at their place in the file (the text before
 * them is blanked out, line breaks kept, so offsets, lines and columns are those of the whole
 * file). The other regions keep their earlier trees, moved to where they now are.
 *
 * It serves the edited file's quick check while typing; the whole-file parse that `journey check`
 * does still runs when typing pauses, and its result is the one that stands.
 */

export interface Region {
  start: number;
  end: number;
}

const keywords = ["customer", "event", "object", "segment", "list", "score", "template", "policy", "journey"];

/** Whether a top-level declaration starts at `i` (a keyword, then not a name character). */
function startsDeclaration(text: string, i: number): boolean {
  const first = text.charCodeAt(i);
  if (first < 97 || first > 122) return false;
  for (const keyword of keywords) {
    if (text.startsWith(keyword, i)) {
      const after = text.charCodeAt(i + keyword.length);
      if (!(after === 95 || (after >= 48 && after <= 57) || (after >= 65 && after <= 90) || (after >= 97 && after <= 122))) return true;
    }
  }
  return false;
}

/** What a line is, from its first non-blank character: blank, a comment, or code. */
function lineKind(text: string, i: number): "blank" | "comment" | "code" {
  let j = i;
  while (j < text.length) {
    const ch = text.charCodeAt(j);
    if (ch === 32 || ch === 9 || ch === 13) j++;
    else break;
  }
  if (j >= text.length || text.charCodeAt(j) === 10) return "blank";
  return text.charCodeAt(j) === 47 && text.charCodeAt(j + 1) === 47 ? "comment" : "code";
}

/** The regions of a text: consecutive, covering it all, each starting at a line start. */
export function declarationRegions(text: string): Region[] {
  const starts = [0];
  let depth = 0;
  let i = 0;
  let lineStart = 0;
  /** Where the run of comment and blank lines just above the current line began. */
  let runStart = -1;
  const length = text.length;
  while (i <= length) {
    if (i === lineStart) {
      // A line begins: decide from its first characters, before scanning it.
      if (depth === 0 && startsDeclaration(text, i)) {
        const at = runStart >= 0 ? runStart : i;
        if (at > (starts[starts.length - 1] ?? 0)) starts.push(at);
        runStart = -1;
      } else if (lineKind(text, i) === "code") runStart = -1;
      else if (runStart < 0) runStart = i;
    }
    if (i === length) break;
    const ch = text.charCodeAt(i);
    if (ch === 10) {
      i++;
      lineStart = i;
      continue;
    }
    if (ch === 47 && text.charCodeAt(i + 1) === 47) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? length : end;
      continue;
    }
    if (ch === 34 && text.startsWith('"""', i)) {
      const end = text.indexOf('"""', i + 3);
      const stop = end < 0 ? length : end + 3;
      // Lines that start inside a long text start no declaration; tracking resumes at the next line break.
      if (text.lastIndexOf("\n", stop - 1) >= i) lineStart = -1;
      i = stop;
      continue;
    }
    if (ch === 34 || ch === 39) {
      let j = i + 1;
      while (j < length) {
        const c = text.charCodeAt(j);
        if (c === ch || c === 10) break;
        j += c === 92 ? 2 : 1;
      }
      i = text.charCodeAt(j) === ch ? j + 1 : j;
      continue;
    }
    if (ch === 123) depth++;
    else if (ch === 125) depth = Math.max(0, depth - 1);
    i++;
  }
  return starts.map((start, k) => ({ start, end: starts[k + 1] ?? length }));
}

/** The text up to `start` with everything but line breaks made spaces: offsets and lines unchanged. */
export function blankedPrefix(text: string, start: number): string {
  return text.slice(0, start).replace(/[^\r\n]+/g, (run) => " ".repeat(run.length));
}

/** A deep copy of a tree with every span moved by `delta`. */
export function shifted<T>(node: T, delta: number): T {
  if (delta === 0) return node;
  if (Array.isArray(node)) return node.map((item) => shifted(item, delta)) as T;
  if (!node || typeof node !== "object") return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === "span" && value && typeof value === "object") {
      const span = value as A.Span;
      copy[key] = { start: span.start + delta, end: span.end + delta };
    } else copy[key] = value && typeof value === "object" ? shifted(value, delta) : value;
  }
  return copy as T;
}

interface Parsed {
  /** Where the region started (offset and line) when it was parsed. */
  start: number;
  line: number;
  /** Its declarations in full, at `start` (only read while the region has not moved). */
  declarations: A.Declaration[];
  outline: A.Declaration[];
  comments: A.Comment[];
  /** Every diagnostic in the region: syntax, and the checker's once known. */
  diagnostics: Diagnostic[];
}

export interface RegionParse {
  /**
   * The file as the quick check sees it: the re-parsed regions in full, the others as outlines;
   * `diagnostics` holds the re-parsed regions' syntax errors and the other regions' last known
   * diagnostics (moved with their region).
   */
  parsed: ParseResult;
  /** The regions parsed afresh: only there are the checker's new findings exact. */
  fresh: Region[];
}

function within(offset: number, region: Region, last: boolean): boolean {
  return offset >= region.start && (offset < region.end || (last && offset <= region.end));
}

/** One large file's regions and their trees, by region text. */
export class RegionParser {
  private byText = new Map<string, Parsed>();
  private current: { text: string; regions: Region[] } | undefined;

  constructor(private readonly file: string) {}

  /** Seeds the regions from a parse of the whole text (the one the full check made). */
  seed(whole: ParseResult): void {
    const regions = declarationRegions(whole.text);
    const next = new Map<string, Parsed>();
    let d = 0;
    let c = 0;
    regions.forEach((region, k) => {
      const declarations: A.Declaration[] = [];
      while (d < whole.ast.declarations.length && (whole.ast.declarations[d] as A.Declaration).span.start < region.end) declarations.push(whole.ast.declarations[d++] as A.Declaration);
      const comments: A.Comment[] = [];
      while (c < whole.ast.comments.length && (whole.ast.comments[c] as A.Comment).span.start < region.end) comments.push(whole.ast.comments[c++] as A.Comment);
      const last = k === regions.length - 1;
      const diagnostics = whole.diagnostics.filter((x) => within(x.range.start.offset, region, last));
      const outline = declarationsOnly({ ...whole, ast: { ...whole.ast, declarations } }).ast.declarations;
      const line = whole.lineIndex.position(region.start).line;
      next.set(whole.text.slice(region.start, region.end), { start: region.start, line, declarations, outline, comments, diagnostics });
    });
    this.byText = next;
    this.current = { text: whole.text, regions };
  }

  /** Records the diagnostics now known for the file (after a check), region by region. */
  assign(text: string, diagnostics: Diagnostic[]): void {
    if (this.current?.text !== text) return;
    const regions = this.current.regions;
    regions.forEach((region, k) => {
      const entry = this.byText.get(text.slice(region.start, region.end));
      if (!entry || entry.start !== region.start) return;
      entry.diagnostics = diagnostics.filter((x) => x.file === this.file && within(x.range.start.offset, region, k === regions.length - 1));
    });
  }

  /**
   * Parses `text`, re-using the trees of regions whose text is unchanged. `undefined` when too much
   * changed for this to pay, or when a changed region has a syntax error (the caller parses the
   * whole text then, so syntax errors are always reported as `journey check` reports them).
   */
  update(text: string): RegionParse | undefined {
    if (!this.current) return undefined;
    const regions = declarationRegions(text);
    const fresh = regions.filter((region) => !this.byText.has(text.slice(region.start, region.end)));
    const freshLength = fresh.reduce((n, r) => n + r.end - r.start, 0);
    if (freshLength > text.length / 4 && freshLength > 20_000) return undefined;
    const lineIndex = new LineIndex(text);
    const next = new Map<string, Parsed>();
    const declarations: A.Declaration[] = [];
    const comments: A.Comment[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const region of regions) {
      const key = text.slice(region.start, region.end);
      const line = lineIndex.position(region.start).line;
      let entry = next.get(key) ?? this.byText.get(key);
      if (!entry) {
        const result = parse(blankedPrefix(text, region.start) + key, this.file);
        // A syntax error's recovery can reach past the region's end in a whole-file parse: only
        // regions that parse cleanly are taken on their own.
        if (result.diagnostics.some((d) => d.severity === "error")) return undefined;
        entry = {
          start: region.start,
          line,
          declarations: result.ast.declarations,
          outline: declarationsOnly(result).ast.declarations,
          comments: result.ast.comments,
          diagnostics: result.diagnostics,
        };
        declarations.push(...entry.declarations);
      } else {
        const delta = region.start - entry.start;
        if (delta !== 0) {
          const outline = shifted(entry.outline, delta);
          const lines = line - entry.line;
          entry = {
            start: region.start,
            line,
            // The full trees of a moved region are not moved (that would cost a walk of the whole file): only its outline is read.
            declarations: outline,
            outline,
            comments: shifted(entry.comments, delta),
            diagnostics: entry.diagnostics.map((x) => moveDiagnostic(x, this.file, delta, lines)),
          };
        }
        declarations.push(...entry.outline);
      }
      comments.push(...entry.comments);
      diagnostics.push(...entry.diagnostics);
      next.set(key, entry);
    }
    this.byText = next;
    this.current = { text, regions };
    const ast: A.SourceFile = { kind: "SourceFile", declarations, comments, span: { start: 0, end: text.length } };
    return { parsed: { file: this.file, text, ast, diagnostics, lineIndex }, fresh };
  }
}

function movePosition(p: Position, delta: number, lines: number): Position {
  return { line: p.line + lines, column: p.column, offset: p.offset + delta };
}

/** A diagnostic of a region that moved by `delta` characters and `lines` lines (columns stay: regions start at line starts). */
export function moveDiagnostic(d: Diagnostic, file: string, delta: number, lines: number): Diagnostic {
  const range = (r: Diagnostic["range"]) => ({ start: movePosition(r.start, delta, lines), end: movePosition(r.end, delta, lines) });
  return {
    ...d,
    range: range(d.range),
    related: d.related.map((r) => (r.file === file ? { ...r, range: range(r.range) } : r)),
    fixes: d.fixes.map((f) => ({ ...f, edits: f.edits.map((e) => (e.file === file ? { ...e, range: range(e.range) } : e)) })),
  };
}
