import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { LineIndex } from "../diagnostics/lineIndex.js";
import type { Span } from "./ast.js";
import type { ParseResult } from "./parse.js";

/**
 * A readable, stable text dump of a parse: the syntax tree as an indented outline (kind, key
 * fields, span as 1-based `line:col-line:col`), then the diagnostics. Golden tests compare these
 * dumps, so a change to the tree or to a message shows up as a small text diff.
 *
 * Conventions: names and literals are shown inline (`name=welcome`, `timeout=2 days`); a part the
 * builder left out of a broken file is `key=<missing>`; a span that does not fit the text is shown
 * as `<bad span a..b>`, and one that leaves its parent's span is marked `<outside parent>`, so that
 * a wrong range is visible at a glance.
 */
export function dumpParse(result: Pick<ParseResult, "text" | "ast" | "diagnostics">): string {
  const lines = new LineIndex(result.text);
  return `${dumpTree(result.ast, result.text, lines)}\n${dumpDiagnostics(result.diagnostics)}`;
}

/** The outline of one syntax node and everything under it. */
export function dumpTree(node: object, text: string, lines = new LineIndex(text)): string {
  const out: string[] = [];
  writeNode(node as Record<string, unknown>, "", 0, { start: 0, end: text.length }, text.length, lines, out);
  return `${out.join("\n")}\n`;
}

/** The diagnostics, one per line (related locations indented below), or `(none)`. */
export function dumpDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const out = ["diagnostics:"];
  if (diagnostics.length === 0) out.push("  (none)");
  for (const d of diagnostics) {
    out.push(`  ${d.code} ${d.severity} ${formatRange(d.range)} ${escape(d.message)}`);
    for (const related of d.related) out.push(`    related ${formatRange(related.range)} ${escape(related.message)}`);
    for (const fix of d.fixes) out.push(`    fix (${fix.applicability}) ${escape(fix.title)}`);
  }
  return `${out.join("\n")}\n`;
}

/** `line:col-line:col`, 1-based, for a diagnostic range. */
export function formatRange(range: Diagnostic["range"]): string {
  return `${range.start.line + 1}:${range.start.column + 1}-${range.end.line + 1}:${range.end.column + 1}`;
}

/** `line:col-line:col`, 1-based, for a node span; `<bad span a..b>` when it does not fit the text. */
export function formatSpan(span: Span, textLength: number, lines: LineIndex): string {
  const fits =
    Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 && span.start <= span.end && span.end <= textLength;
  if (!fits) return `<bad span ${span.start}..${span.end}>`;
  const start = lines.position(span.start);
  const end = lines.position(span.end);
  return `${start.line + 1}:${start.column + 1}-${end.line + 1}:${end.column + 1}`;
}

/** Nodes small enough to show inline as `key=value` instead of on a line of their own. */
function inline(value: Record<string, unknown>): string | undefined {
  switch (value.kind) {
    case "Identifier":
      return String(value.text);
    case "StringLiteral":
      return escape(String(value.raw));
    case "NumberLiteral":
    case "TimeLiteral":
    case "PercentLiteral":
      return String(value.text);
    case "BooleanLiteral":
      return String(value.value);
    case "DurationLiteral":
      return `${value.amount} ${value.unitText}`;
    default:
      return undefined;
  }
}

/** Control and invisible characters as `\uXXXX`, so that a dump shows what is really there. */
function escape(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\ud800-\udfff]/gu, (ch) =>
    ch === "\n" ? "\\n" : ch === "\t" ? "\\t" : ch === "\r" ? "\\r" : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function isNode(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { kind?: unknown }).kind === "string";
}

function isDoc(key: string, value: unknown): value is { text: string } {
  return key === "doc" && typeof value === "object" && value !== null && typeof (value as { text?: unknown }).text === "string";
}

function writeNode(
  node: Record<string, unknown>,
  prefix: string,
  depth: number,
  parent: Span,
  textLength: number,
  lines: LineIndex,
  out: string[],
): void {
  const indent = "  ".repeat(depth);
  const span = node.span as Span | undefined;
  const outside = span !== undefined && (span.start < parent.start || span.end > parent.end);
  const where = span ? ` ${formatSpan(span, textLength, lines)}${outside ? " <outside parent>" : ""}` : "";
  const shownInline = inline(node);
  if (shownInline !== undefined) {
    out.push(`${indent}${prefix}${String(node.kind)}${where} ${shownInline}`);
    return;
  }
  const fields: string[] = [];
  const children: Array<[string, Record<string, unknown>]> = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "kind" || key === "span") continue;
    if (value === undefined) {
      fields.push(`${key}=<missing>`);
    } else if (key === "comments" && Array.isArray(value)) {
      // Comments are trivia: their count is enough here; doc comments show on what they document.
      fields.push(`comments=${value.length}`);
    } else if (isDoc(key, value)) {
      fields.push(`doc=${JSON.stringify(value.text)}`);
    } else if (Array.isArray(value)) {
      const shown = value.map((item) => (isNode(item) ? inline(item) : String(item)));
      if (value.length > 0 && shown.every((s) => s !== undefined)) {
        fields.push(`${key}=[${shown.join(", ")}]`);
      } else if (value.length === 0) {
        fields.push(`${key}=[]`);
      } else {
        for (const item of value) {
          if (isNode(item)) children.push(["", item]);
          else fields.push(`${key}[]=${String(item)}`);
        }
      }
    } else if (isNode(value)) {
      const shown = inline(value);
      if (shown !== undefined) fields.push(`${key}=${shown}`);
      else children.push([`${key}: `, value]);
    } else if (typeof value === "string") {
      fields.push(`${key}=${JSON.stringify(value)}`);
    } else {
      fields.push(`${key}=${String(value)}`);
    }
  }
  out.push(`${indent}${prefix}${String(node.kind)}${where}${fields.length ? ` ${fields.join(" ")}` : ""}`);
  const inner = span && !outside ? span : parent;
  for (const [childPrefix, child] of children) writeNode(child, childPrefix, depth + 1, inner, textLength, lines, out);
}
