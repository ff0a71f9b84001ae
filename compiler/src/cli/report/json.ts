import type { Diagnostic, Range } from "@journey/language";

/** The JSON report: a stable contract (docs/cli.md). Lines and columns are 1-based. */
export function renderJson(diagnostics: Diagnostic[], summary: { files: number; errors: number; warnings: number }): string {
  const range = (r: Range) => ({
    start: { line: r.start.line + 1, column: r.start.column + 1 },
    end: { line: r.end.line + 1, column: r.end.column + 1 },
  });
  return JSON.stringify(
    {
      diagnostics: diagnostics.map((d) => ({
        code: d.code,
        severity: d.severity,
        message: d.message,
        file: d.file,
        range: range(d.range),
        related: d.related.map((r) => ({ file: r.file, range: range(r.range), message: r.message })),
        fixes: d.fixes.map((f) => ({
          title: f.title,
          applicability: f.applicability,
          edits: f.edits.map((e) => ({ file: e.file, range: range(e.range), newText: e.newText })),
        })),
      })),
      summary,
    },
    null,
    2,
  );
}
