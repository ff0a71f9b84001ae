import { catalog, type Diagnostic, LineIndex } from "@journey/language";
import type { Paint } from "./color.js";

/**
 * The human report, in the manner of rustc and Elm: code and message, the place, the source lines
 * with the range underlined, related places, and the fixes on offer.
 */
export function renderPretty(diagnostics: Diagnostic[], sources: Map<string, string>, colors: Paint): string {
  return diagnostics.map((d) => renderOne(d, sources, colors)).join("\n");
}

function renderOne(d: Diagnostic, sources: Map<string, string>, c: Paint): string {
  const tone = d.severity === "error" ? c.red : d.severity === "warning" ? c.yellow : c.cyan;
  const title = (catalog as Record<string, { title: string }>)[d.code]?.title;
  const out: string[] = [];
  out.push(`${tone(c.bold(`${d.severity}[${d.code}]`))}${c.bold(`: ${d.message}`)}`);
  const start = d.range.start;
  const gutterWidth = String(d.range.end.line + 1).length;
  const pad = " ".repeat(gutterWidth);
  out.push(`${pad}${c.blue("-->")} ${d.file}:${start.line + 1}:${start.column + 1}${title ? c.dim(`  (${title})`) : ""}`);
  const text = sources.get(d.file);
  if (text !== undefined) {
    const lines = new LineIndex(text);
    out.push(`${pad} ${c.blue("|")}`);
    const last = Math.min(d.range.end.line, start.line + 5);
    for (let line = start.line; line <= last; line++) {
      const content = lines.lineText(line).replace(/\t/g, " ");
      out.push(`${c.blue(String(line + 1).padStart(gutterWidth))} ${c.blue("|")} ${content}`);
      const from = line === start.line ? start.column : content.search(/\S|$/);
      const to = line === d.range.end.line ? d.range.end.column : content.length;
      const width = Math.max(1, to - from);
      out.push(`${pad} ${c.blue("|")} ${" ".repeat(from)}${tone("^".repeat(width))}`);
    }
    if (d.range.end.line > last) out.push(`${pad} ${c.blue("|")} ${c.dim("…")}`);
  }
  for (const related of d.related) {
    out.push(`${pad} ${c.blue("=")} ${c.bold("note")}: ${related.message} (${related.file}:${related.range.start.line + 1}:${related.range.start.column + 1})`);
  }
  for (const fix of d.fixes) {
    out.push(`${pad} ${c.blue("=")} ${c.bold("help")}: ${fix.title}`);
  }
  return `${out.join("\n")}\n`;
}

export function summaryLine(files: number, errors: number, warnings: number, c: Paint): string {
  const parts = [`${files} file${files === 1 ? "" : "s"}`];
  parts.push(errors ? c.red(`${errors} error${errors === 1 ? "" : "s"}`) : "0 errors");
  parts.push(warnings ? c.yellow(`${warnings} warning${warnings === 1 ? "" : "s"}`) : "0 warnings");
  return parts.join(", ");
}
