import { catalog, type DiagnosticCode } from "../diagnostics/catalog.js";
import type { Applicability, Diagnostic } from "../diagnostics/diagnostic.js";
import { LineIndex } from "../diagnostics/lineIndex.js";
import type { Span } from "../syntax/ast.js";

export interface Place {
  file: string;
  span: Span;
}

export interface FixSpec {
  title: string;
  applicability?: Applicability;
  edits: { file: string; span: Span; newText: string }[];
}

/** Builds diagnostics from (file, span) places; one catalog, one constructor. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly lineIndexes: Map<string, LineIndex>) {}

  /** Makes positions in another file (a template file) reportable. */
  addFile(file: string, text: string): void {
    if (!this.lineIndexes.has(file)) this.lineIndexes.set(file, new LineIndex(text));
  }

  private range(file: string, span: Span) {
    const index = this.lineIndexes.get(file);
    if (!index) {
      const position = { line: 0, column: 0, offset: span.start };
      return { start: position, end: { ...position, offset: span.end } };
    }
    return index.range(span.start, Math.max(span.start, span.end));
  }

  /** `file:line:column` (1-based), for messages that mention another place. */
  where(place: Place): string {
    const start = this.range(place.file, place.span).start;
    return `${place.file}:${start.line + 1}:${start.column + 1}`;
  }

  report(
    code: DiagnosticCode,
    place: Place,
    message: string,
    options: { related?: (Place & { message: string })[]; fixes?: FixSpec[] } = {},
  ): void {
    this.diagnostics.push({
      code,
      severity: catalog[code].severity,
      message,
      file: place.file,
      range: this.range(place.file, place.span),
      related: (options.related ?? []).map((r) => ({ file: r.file, range: this.range(r.file, r.span), message: r.message })),
      fixes: (options.fixes ?? []).map((fix) => ({
        title: fix.title,
        applicability: fix.applicability ?? "suggestion",
        edits: fix.edits.map((e) => ({ file: e.file, range: this.range(e.file, e.span), newText: e.newText })),
      })),
    });
  }

  /** A did-you-mean fix that replaces the name at `place` with `suggestion`. */
  static rename(place: Place, suggestion: string | undefined): FixSpec[] {
    if (!suggestion) return [];
    return [{ title: `change to \`${suggestion}\``, edits: [{ file: place.file, span: place.span, newText: suggestion }] }];
  }
}

export function didYouMean(suggestion: string | undefined): string {
  return suggestion ? `; did you mean \`${suggestion}\`?` : "";
}
