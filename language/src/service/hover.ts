import { expr as printExpression } from "../format/printer.js";
import type { Reference } from "../semantics/references.js";
import { describeType, type FieldInfo } from "../semantics/types.js";
import type * as A from "../syntax/ast.js";
import type { ParseResult } from "../syntax/parse.js";
import { journeyAt } from "./graph.js";
import { keywordDocs } from "./keywordDocs.js";
import { describeDuration, durationAt } from "./durations.js";
import type { Location, ProjectIndex } from "./project.js";
import { findStep, stepSummary } from "./steps.js";

export interface Hover {
  /** Markdown. */
  contents: string;
  location: Location;
}

const fence = (code: string) => `\`\`\`journey\n${code}\n\`\`\``;

/** What the name (or duration) at `offset` is: its type, its doc comment, a segment's definition, an event's fields. */
export function hover(project: ProjectIndex, file: string, offset: number): Hover | undefined {
  const ref = project.referenceAt(file, offset);
  if (ref) {
    const contents = describeSymbol(project, ref);
    if (contents) return { contents, location: project.location(ref.file, ref.span) };
  }
  const parsed = project.file(file);
  if (!parsed) return undefined;
  const word = wordAt(parsed.text, offset);
  if (word && (word.text === "customer" || word.text === "trigger")) {
    const contents = describeVariable(project, parsed, word.text, offset);
    if (contents) return { contents, location: project.location(file, word) };
  }
  const duration = durationAt(parsed.ast, offset);
  if (!duration && word && Object.hasOwn(keywordDocs, word.text) && isKeywordHere(parsed.text, word)) {
    return { contents: `**${word.text}** — ${keywordDocs[word.text]}`, location: project.location(file, word) };
  }
  if (duration) {
    return { contents: `${fence(printExpression(duration))}\n\n${describeDuration(duration)}`, location: project.location(file, duration.span) };
  }
  return undefined;
}

function withDoc(code: string, doc: string | undefined, more = ""): string {
  return [fence(code), doc, more].filter((part) => part).join("\n\n---\n\n");
}

function fieldLine(field: FieldInfo): string {
  return `${field.name} ${describeType(field.type)}${field.optional ? "?" : ""}`;
}

function fieldsTable(fields: Map<string, FieldInfo>): string {
  if (fields.size === 0) return "_no fields_";
  return [...fields.values()].map((f) => `- \`${fieldLine(f)}\`${f.doc ? ` — ${f.doc.split("\n")[0]}` : ""}`).join("\n");
}

function describeSymbol(project: ProjectIndex, ref: Reference): string | undefined {
  const symbols = project.program.symbols;
  const { kind, name } = ref.symbol;
  switch (kind) {
    case "field": {
      const field = project.field(ref.symbol.owner, name);
      if (!field) return undefined;
      return withDoc(`(field) ${field.owner ? `${field.owner}.` : ""}${fieldLine(field)}${field.hasDefault ? " (has a default)" : ""}`, field.doc);
    }
    case "event": {
      const event = symbols.events.get(name);
      if (!event) return undefined;
      return withDoc(`event ${name}`, event.node.doc?.text, `Fields:\n${fieldsTable(event.fields)}`);
    }
    case "object": {
      const object = symbols.objects.get(name);
      if (!object) return undefined;
      return withDoc(`object ${name} key ${object.node.key?.text ?? "?"}`, object.node.doc?.text, `Fields:\n${fieldsTable(object.fields)}`);
    }
    case "segment": {
      const declared = symbols.segments.get(name);
      if (!declared) return undefined;
      const segment = project.declaration(declared);
      return withDoc(`segment ${name} = ${printExpression(segment.condition)}`, segment.doc?.text);
    }
    case "list": {
      const list = symbols.lists.get(name);
      return list ? withDoc(`list ${name}`, list.node.doc?.text, "A static audience: customers are added and removed by journeys, imports or the API.") : undefined;
    }
    case "score": {
      const declared = symbols.scores.get(name);
      if (!declared) return undefined;
      const score = { node: project.declaration(declared) };
      const rules = score.node.rules.map((r) =>
        r.kind === "ScorePoints"
          ? `  ${r.points >= 0 ? "+" : ""}${r.points} on ${r.event?.event.text ?? "?"}${r.event?.condition ? ` where ${printExpression(r.event.condition)}` : ""}`
          : `  halves every ${printExpression(r.halfLife)}`,
      );
      return withDoc(`score ${name} {\n${rules.join("\n")}\n}`, score.node.doc?.text, "A number per customer.");
    }
    case "template": {
      const declared = symbols.templates.get(name);
      if (!declared) return undefined;
      const template = { node: project.declaration(declared) };
      const props = template.node.props.map((p) => `  ${p.name.text} ${p.fromFile ? "file " : ""}${p.value?.raw ?? ""}`);
      return withDoc(`template ${name} ${template.node.channel?.text ?? ""} {\n${props.join("\n")}\n}`, template.node.doc?.text);
    }
    case "journey": {
      const declared = symbols.journeys.get(name);
      if (!declared) return undefined;
      const journey = { file: declared.file, node: project.declaration(declared) };
      const settings = journey.node.items.filter((i) => ["WhenClause", "EntryClause", "GoalClause", "ExitWhenClause"].includes(i.kind));
      const text = project.file(journey.file)?.text ?? "";
      const lines = settings.map((s) => `  ${text.slice(s.span.start, s.span.end).split("\n")[0]}`);
      return withDoc(`journey ${name}${journey.node.title ? ` ${journey.node.title.raw}` : ""} {\n${lines.join("\n")}\n  …\n}`, journey.node.doc?.text);
    }
    case "label": {
      const declared = ref.symbol.owner ? symbols.journeys.get(ref.symbol.owner) : undefined;
      const step = declared ? findStep(project.declaration(declared), (s) => s.label?.text === name) : undefined;
      return step ? fence(`${name}: ${stepSummary(step)}`) + `\n\nA step label in journey \`${ref.symbol.owner}\`.` : undefined;
    }
    default: {
      const unknown: never = kind;
      return unknown;
    }
  }
}


function wordAt(text: string, offset: number): { start: number; end: number; text: string } | undefined {
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1] ?? "")) start--;
  let end = offset;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end] ?? "")) end++;
  return end > start ? { start, end, text: text.slice(start, end) } : undefined;
}

/** `customer` and `trigger`: the record they stand for where they are written. */
function describeVariable(project: ProjectIndex, parsed: ParseResult, name: string, offset: number): string | undefined {
  const symbols = project.program.symbols;
  if (name === "customer") {
    // Only where it is a value (`customer.x`, `customer in vip`), not the `customer { … }` declaration or `customer enters`.
    if (!/^\s*[.]|^\s+in\b/.test(parsed.text.slice(offset).replace(/^[A-Za-z0-9_]*/, ""))) return undefined;
    return symbols.customer ? withDoc("customer", symbols.customer.node.doc?.text, `Fields:\n${fieldsTable(symbols.customer.fields)}`) : undefined;
  }
  const journey = journeyAt(parsed, offset);
  if (!journey || offset < journey.span.start || offset > journey.span.end) return undefined;
  const when = journey.items.find((i): i is A.WhenClause => i.kind === "WhenClause");
  if (when?.trigger?.kind !== "EventTrigger") return undefined;
  const event = symbols.events.get(when.trigger.event.event.text);
  if (!event) return undefined;
  return withDoc(`trigger: ${event.name}`, `The \`${event.name}\` that started this journey.`, `Fields:\n${fieldsTable(event.fields)}`);
}

/** A word of the language used as one (not a field that happens to be called `event` or `list`): first on its line, or after a label. */
function isKeywordHere(text: string, word: { start: number; end: number; text: string }): boolean {
  const lineStart = text.lastIndexOf("\n", word.start - 1) + 1;
  const before = text.slice(lineStart, word.start);
  if (/^\s*([A-Za-z_][A-Za-z0-9_]*:\s*)?$/.test(before)) return !/^\s*[=:]/.test(text.slice(word.end, word.end + 3)) || before.trim() === "";
  return ["within", "per", "matching", "ever", "since", "no", "contains", "recommend"].includes(word.text);
}
