import type * as A from "../syntax/ast.js";
import type { DiagnosticCode } from "../diagnostics/catalog.js";
import { Reporter } from "./report.js";
import type { Symbols } from "./symbols.js";
import { analyzeTemplate, type TemplateProblem, type TemplateScope, type TemplateType } from "./templates.js";
import type { FieldInfo, Type } from "./types.js";

/** Filters our runtime adds to Liquid's standard ones. */
export const extraFilters = ["coupon", "money"];

const problemCodes: Record<TemplateProblem["kind"], DiagnosticCode> = {
  syntax: "J5001",
  unknownVariable: "J5002",
  unknownFilter: "J5003",
  optionalWithoutDefault: "J5004",
};

/** Converts a schema type to what the template analyser understands. */
function templateType(type: Type, optional: boolean, symbols: Symbols, depth = 0): TemplateType {
  if (depth > 8) return { kind: "any" };
  switch (type.kind) {
    case "scalar":
      return { kind: "scalar", name: type.name, optional };
    case "enum":
      return { kind: "enum", options: type.options, optional };
    case "list":
      return { kind: "list", element: templateType(type.element, false, symbols, depth + 1), optional };
    case "record":
      return { kind: "record", fields: templateFields(type.fields, symbols, depth + 1), optional };
    case "ref": {
      const object = symbols.objects.get(type.object);
      return object ? { kind: "record", fields: templateFields(object.fields, symbols, depth + 1), optional } : { kind: "any" };
    }
    case "event": {
      const event = symbols.events.get(type.event);
      return event ? { kind: "record", fields: templateFields(event.fields, symbols, depth + 1), optional } : { kind: "any" };
    }
    case "error":
      return { kind: "any" };
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}

function templateFields(fields: Map<string, FieldInfo>, symbols: Symbols, depth: number): Map<string, TemplateType> {
  const result = new Map<string, TemplateType>();
  for (const [name, field] of fields) result.set(name, templateType(field.type, field.optional && !field.hasDefault, symbols, depth));
  return result;
}

const messageRecord: TemplateType = {
  kind: "record",
  optional: false,
  fields: new Map([
    ["id", { kind: "scalar", name: "text", optional: false }],
    ["channel", { kind: "scalar", name: "text", optional: false }],
    ["template", { kind: "scalar", name: "text", optional: false }],
  ]),
};

/**
 * The variables a template sees: the customer, the trigger event (precise inside a journey that starts
 * on an event; unknown for a shared template), tracked `links`, `recommendations`, and sent messages.
 */
export function templateScope(symbols: Symbols, trigger: { event: string } | "unknown" | "none", aliases: Iterable<string> = []): TemplateScope {
  const variables = new Map<string, TemplateType>();
  const customerFields = symbols.customer?.fields;
  variables.set("customer", customerFields ? { kind: "record", fields: templateFields(customerFields, symbols, 0), optional: false } : { kind: "any" });
  if (trigger === "unknown") variables.set("trigger", { kind: "any" });
  else if (trigger !== "none") variables.set("trigger", templateType({ kind: "event", event: trigger.event }, false, symbols));
  variables.set("links", { kind: "any" });
  variables.set("recommendations", { kind: "any" });
  for (const alias of aliases) variables.set(alias, messageRecord);
  return { variables, extraFilters };
}

/** Maps an offset in a string's value to its offset in the source (quotes and escapes skipped). */
export function rawOffset(raw: string, valueOffset: number): number {
  if (raw.startsWith('"""')) return 3 + valueOffset;
  let value = 0;
  let i = 1;
  while (i < raw.length && value < valueOffset) {
    i += raw[i] === "\\" ? 2 : 1;
    value++;
  }
  return i;
}

function reportProblems(reporter: Reporter, file: string, problems: TemplateProblem[], toSource: (offset: number) => number, quote = '"'): void {
  // Inside a "…" text the inserted default must use the other quotes, or it would end the text.
  const empty = quote === '"' ? "''" : '""';
  for (const problem of problems) {
    const span = { start: toSource(problem.start), end: toSource(problem.end) };
    const place = { file, span };
    reporter.report(problemCodes[problem.kind], place, problem.message, {
      fixes:
        problem.kind === "optionalWithoutDefault"
          ? [{ title: `add \`| default: ${empty}\``, edits: [{ file, span: { start: span.end, end: span.end }, newText: ` | default: ${empty}` }] }]
          : Reporter.rename(place, problem.suggestion),
    });
  }
}

/** Checks a template written in a string literal of a `.journey` file. */
export function checkTemplateString(literal: A.StringLiteral, file: string, scope: TemplateScope, reporter: Reporter): void {
  if (!literal.value.includes("{{") && !literal.value.includes("{%")) return;
  const quote = literal.raw.startsWith('"') && !literal.raw.startsWith('"'.repeat(3)) ? '"' : "'";
  reportProblems(reporter, file, analyzeTemplate(literal.value, scope), (offset) => literal.span.start + rawOffset(literal.raw, offset), quote);
}

function folderOf(file: string): string {
  const slash = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return slash < 0 ? "" : file.slice(0, slash + 1);
}

/** Checks every declared template: inline parts and `file "…"` bodies. */
export function checkTemplates(symbols: Symbols, reporter: Reporter, readFile: ((path: string) => string | undefined) | undefined): void {
  const scope = templateScope(symbols, "unknown");
  for (const template of symbols.templates.values()) {
    checkTemplateParts(template.node.props, template.file, scope, reporter, readFile);
  }
}

/**
 * Checks template parts (of a `template`, or of a `show in_app { … }` block): inline texts, and
 * `file "…"` bodies read through `readFile`; a part given twice is reported.
 */
export function checkTemplateParts(
  props: A.TemplateProp[],
  file: string,
  scope: TemplateScope,
  reporter: Reporter,
  readFile: ((path: string) => string | undefined) | undefined,
): void {
  const seen = new Map<string, A.TemplateProp>();
  for (const prop of props) {
    const first = seen.get(prop.name.text);
    if (first) {
      reporter.report("J2012", { file, span: prop.name.span }, `\`${prop.name.text}\` is already given above: a message has one ${prop.name.text}; remove one of them`, {
        related: [{ file, span: first.name.span, message: "the first one is here" }],
      });
      continue;
    }
    seen.set(prop.name.text, prop);
    if (!prop.value) continue;
    if (!prop.fromFile) {
      checkTemplateString(prop.value, file, scope, reporter);
      continue;
    }
    if (!readFile) continue;
    const path = `${folderOf(file)}${prop.value.value}`;
    const text = readFile(path);
    if (text === undefined) {
      reporter.report("J5005", { file, span: prop.value.span }, `the template file \`${path}\` does not exist: create it, or fix the path (it is relative to this .journey file)`);
      continue;
    }
    reporter.addFile(path, text);
    reportProblems(reporter, path, analyzeTemplate(text, scope), (offset) => offset, "'");
  }
}
