import { Liquid } from "liquidjs";
import { extraFilters, templateScope } from "../semantics/templateCheck.js";
import type { TemplateType } from "../semantics/templates.js";
import { channels, type Symbols } from "../semantics/symbols.js";
import { describeType, type FieldInfo, scalarNames, type Type } from "../semantics/types.js";
import type * as A from "../syntax/ast.js";
import { codeBefore, declarationAt, lineUpTo, nestingAt, wordRange, words } from "./context.js";
import { type ProjectIndex, recordFields } from "./project.js";
import { forEachStep, isStep } from "../semantics/checker.js";
import { keywordDocs } from "./keywordDocs.js";

export type CompletionKind =
  | "keyword"
  | "field"
  | "event"
  | "object"
  | "segment"
  | "list"
  | "score"
  | "template"
  | "journey"
  | "label"
  | "value"
  | "unit"
  | "type"
  | "function"
  | "filter"
  | "variable"
  | "channel"
  | "snippet";

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  /** Text to insert instead of the label; with `snippet`, `$1`-style placeholders. */
  insertText?: string;
  snippet?: boolean;
}

export interface CompletionResult {
  items: CompletionItem[];
  /** The offsets the chosen item replaces (the word being typed). */
  replace: { start: number; end: number };
}

const declarationKeywords = ["customer", "event", "object", "segment", "list", "score", "template", "policy", "journey"];
const settingKeywords = ["when", "entry", "goal", "exit when", "on new version:"];
const stepKeywords = ["send", "show in_app", "wait", "if", "match", "split", "holdout", "experiment", "set", "add to list", "remove from list", "track", "notify", "start journey", "exit"];
const units = ["minutes", "hours", "days", "weeks", "months"];
const scheduleWords = ["day", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const templateParts: Record<string, string[]> = {
  email: ["subject", "preheader", "from", "body"],
  sms: ["body"],
  push: ["title", "body"],
  in_app: ["title", "body"],
  webhook: ["url", "method", "body"],
};
const liquidFilters = [...Object.keys(new Liquid().filters), ...extraFilters].sort();

/** Aggregates, with what they take: also used by signature help. */
export const aggregates: Record<string, { signature: string; doc: string; params: string[] }> = {
  count: { signature: "count(event [where condition], window)", doc: "How many times the customer did the event in the window.", params: ["event [where condition]", "window"] },
  sum: { signature: "sum(event.field, window)", doc: "The total of a number field over the customer's events in the window.", params: ["event.field", "window"] },
  avg: { signature: "avg(event.field, window)", doc: "The average of a number field over the customer's events in the window.", params: ["event.field", "window"] },
  min: { signature: "min(event.field, window)", doc: "The smallest value of a number or date field in the window.", params: ["event.field", "window"] },
  max: { signature: "max(event.field, window)", doc: "The largest value of a number or date field in the window.", params: ["event.field", "window"] },
  rfm: { signature: "rfm(event.money_field)", doc: "Recency, frequency and monetary quintiles (1–5) against the whole customer base: `.recency`, `.frequency`, `.monetary`.", params: ["event.money_field"] },
};

/** Completion at `offset`: keywords valid there, names of the right kind, fields, enum values, Liquid. */
export function completion(project: ProjectIndex, file: string, offset: number): CompletionResult {
  const parsed = project.file(file);
  const word = parsed ? wordRange(parsed.text, offset) : { start: offset, end: offset, prefix: "" };
  const result: CompletionResult = { items: [], replace: { start: word.start, end: word.end } };
  if (!parsed) return result;
  const text = parsed.text;
  const nesting = nestingAt(text, offset);
  if (nesting.comment) return result;
  const context = new Context(project, parsed.ast, text, offset, nesting);
  if (nesting.string) {
    result.items = context.inString(nesting.string, result);
    return result;
  }
  const line = codeBefore(text, word.start);
  if (line === undefined) return result;
  result.items = dedupe(context.inCode(line));
  return result;
}

function dedupe(items: CompletionItem[]): CompletionItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.label)) return false;
    seen.add(item.label);
    return true;
  });
}

class Context {
  private readonly symbols: Symbols;
  private readonly decl: A.Declaration | undefined;

  constructor(
    private readonly project: ProjectIndex,
    ast: A.SourceFile,
    private readonly text: string,
    private readonly offset: number,
    private readonly nesting: ReturnType<typeof nestingAt>,
  ) {
    this.symbols = project.program.symbols;
    this.decl = nesting.openBraces.length > 0 || !this.atLineStart() ? declarationAt(ast, offset) : undefined;
  }

  private atLineStart(): boolean {
    return lineUpTo(this.text, this.offset).trim().length === 0;
  }

  private get journey(): A.JourneyDecl | undefined {
    return this.decl?.kind === "JourneyDecl" ? this.decl : undefined;
  }

  /** The event the current journey starts on. */
  private triggerEvent(): string | undefined {
    const when = this.journey?.items.find((i): i is A.WhenClause => i.kind === "WhenClause");
    return when?.trigger?.kind === "EventTrigger" ? when.trigger.event.event.text : undefined;
  }

  private aliases(): string[] {
    const journey = this.journey;
    if (!journey) return [];
    const names: string[] = [];
    forEachStep(journey.items.filter(isStep), (step) => {
      if (step.kind === "SendStep" && step.alias) names.push(step.alias.text);
    });
    return names;
  }

  private labels(): string[] {
    const journey = this.journey;
    if (!journey) return [];
    const names: string[] = [];
    forEachStep(journey.items.filter(isStep), (step) => {
      if (step.label) names.push(step.label.text);
    });
    return names;
  }

  // ── Items ───────────────────────────────────────────────────────────────

  private keywords(list: string[]): CompletionItem[] {
    return list.map((label) => {
      const doc = keywordDocs[label.split(" ")[0] ?? ""];
      return doc ? { label, kind: "keyword", documentation: doc } : { label, kind: "keyword" };
    });
  }

  private fields(fields: Map<string, FieldInfo> | undefined, owner?: string): CompletionItem[] {
    return [...(fields?.values() ?? [])].map((f) => {
      const item: CompletionItem = { label: f.name, kind: "field", detail: `${owner ?? f.owner ?? ""}${owner ?? f.owner ? "." : ""}${f.name}: ${describeType(f.type)}${f.optional ? "?" : ""}` };
      if (f.doc) item.documentation = f.doc;
      return item;
    });
  }

  private named(kind: CompletionKind, map: Map<string, { node: { doc?: A.DocComment } }>, detail: (name: string) => string): CompletionItem[] {
    return [...map].map(([name, declared]) => {
      const item: CompletionItem = { label: name, kind, detail: detail(name) };
      if (declared.node.doc) item.documentation = declared.node.doc.text;
      return item;
    });
  }

  private events(): CompletionItem[] {
    return this.named("event", this.symbols.events, (n) => `event ${n}`);
  }

  private segments(): CompletionItem[] {
    return this.named("segment", this.symbols.segments, (n) => `segment ${n}`);
  }

  private lists(): CompletionItem[] {
    return this.named("list", this.symbols.lists, (n) => `list ${n}`);
  }

  private journeys(): CompletionItem[] {
    return this.named("journey", this.symbols.journeys, (n) => `journey ${n}`);
  }

  private objects(): CompletionItem[] {
    return this.named("object", this.symbols.objects, (n) => `object ${n}`);
  }

  private templates(channel?: string): CompletionItem[] {
    return [...this.symbols.templates]
      .filter(([, t]) => !channel || t.node.channel?.text === channel)
      .map(([name, t]) => {
        const item: CompletionItem = { label: name, kind: "template", detail: `template ${name} ${t.node.channel?.text ?? ""}`.trim() };
        if (t.node.doc) item.documentation = t.node.doc.text;
        return item;
      });
  }

  private enumValues(type: Type | undefined, quoted: boolean): CompletionItem[] {
    if (type?.kind !== "enum") return [];
    return type.options.map((option) => ({ label: quoted ? option : `"${option}"`, kind: "value", detail: describeType(type) }));
  }

  private durationUnits(): CompletionItem[] {
    return units.map((u) => ({ label: u, kind: "unit" }));
  }

  /** Names an expression can use here: fields of the event being filtered first, then everything else. */
  private expressionNames(local?: Map<string, FieldInfo>, localOwner?: string): CompletionItem[] {
    const items: CompletionItem[] = [];
    if (local) items.push(...this.fields(local, localOwner));
    // Segments name customer fields directly; journeys write `customer.<field>`.
    if (!this.journey) items.push(...this.fields(this.symbols.customer?.fields, "customer"));
    items.push({ label: "customer", kind: "variable", detail: "the customer: its fields follow with `.`" });
    if (this.journey && this.triggerEvent()) items.push({ label: "trigger", kind: "variable", detail: `the ${this.triggerEvent()} that started the journey` });
    for (const alias of this.aliases()) items.push({ label: alias, kind: "variable", detail: "a sent message: `.id`, `.channel`, `.template`" });
    items.push(...this.segments());
    items.push(...this.named("score", this.symbols.scores, (n) => `score ${n}: number`));
    items.push(...this.events());
    for (const [name, fn] of Object.entries(aggregates)) items.push({ label: name, kind: "function", detail: fn.signature, documentation: fn.doc, insertText: `${name}($1)`, snippet: true });
    items.push(...this.keywords(["last", "first", "no", "not", "true", "false"]));
    return items;
  }

  // ── Strings and Liquid ──────────────────────────────────────────────────

  inString(string: { start: number; quote: string }, result: CompletionResult): CompletionItem[] {
    const inside = this.text.slice(string.start, this.offset);
    const open = Math.max(inside.lastIndexOf("{{"), inside.lastIndexOf("{%"));
    const close = Math.max(inside.lastIndexOf("}}"), inside.lastIndexOf("%}"));
    if (open >= 0 && open > close) return this.liquid(inside.slice(open + 2), result);
    // A text after `==` (or in a `match` case): the choices of the compared field.
    const before = codeBefore(this.text, string.start - string.quote.length);
    if (before === undefined || string.quote === '"""') return [];
    result.replace = { start: string.start, end: this.closingQuote(string) };
    return this.enumValues(this.comparedType(words(before)), true);
  }

  private closingQuote(string: { start: number; quote: string }): number {
    let end = this.offset;
    while (end < this.text.length && this.text[end] !== string.quote && this.text[end] !== "\n") end++;
    return end;
  }

  private liquid(expression: string, result: CompletionResult): CompletionItem[] {
    const scope = this.liquidScope();
    if (/\|\s*[A-Za-z_]*$/.test(expression)) {
      return liquidFilters.map((name) => ({ label: name, kind: "filter", detail: extraFilters.includes(name) ? "journey filter" : "Liquid filter" }));
    }
    const path = expression.match(/([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\.([A-Za-z0-9_]*)$/);
    if (path) {
      let type: TemplateType | undefined;
      const [root, ...rest] = (path[1] ?? "").split(".");
      type = scope.variables.get(root ?? "");
      for (const part of rest) type = type?.kind === "record" ? type.fields.get(part) : type?.kind === "list" && part === "first" ? type.element : undefined;
      if (type?.kind === "list") type = type.element;
      if (type?.kind !== "record") return [];
      return [...type.fields].map(([name, t]) => ({ label: name, kind: "field", detail: describeTemplateType(t) }));
    }
    if (/^-?\s*(if|unless|elsif|for .* in|assign \w+ =|case|when)?\s*[A-Za-z_]*$/.test(expression.trimStart()) || /[\s(]$/.test(expression)) {
      result.replace = wordRange(this.text, this.offset);
      return [...scope.variables].map(([name, t]) => ({ label: name, kind: "variable", detail: describeTemplateType(t) }));
    }
    return [];
  }

  private liquidScope() {
    const journey = this.journey;
    if (journey) {
      const trigger = this.triggerEvent();
      return templateScope(this.symbols, trigger ? { event: trigger } : "none", this.aliases());
    }
    return templateScope(this.symbols, "unknown");
  }

  // ── Code ────────────────────────────────────────────────────────────────

  inCode(line: string): CompletionItem[] {
    const prefix = line.trimStart();
    const afterDot = prefix.match(/((?:(?:last|first)\s+)?[A-Za-z_][A-Za-z0-9_]*(?:\([^()]*\))?(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\.$/);
    if (afterDot) return this.members(afterDot[1] ?? "", words(prefix));
    let w = words(prefix);
    // A step label (`reminder: send …`) does not change what may follow it.
    if (w.length >= 2 && /^[A-Za-z_]/.test(w[0] ?? "") && w[1] === ":" && w[0] !== "version") w = w.slice(2);
    const depth = this.nesting.openBraces.length;
    if (w.length === 0) return this.lineStart(depth);
    return this.afterWords(w);
  }

  /** The header line of the innermost open block (`track coupon_issued {`), as words. */
  private blockHeader(): string[] {
    const brace = this.nesting.openBraces[this.nesting.openBraces.length - 1];
    if (brace === undefined) return [];
    return words(lineUpTo(this.text, brace).trim());
  }

  private lineStart(depth: number): CompletionItem[] {
    const decl = this.decl;
    if (depth === 0 || !decl) return this.keywords(declarationKeywords);
    const header = this.blockHeader();
    switch (decl.kind) {
      case "CustomerDecl":
        return depth === 1 ? this.keywords(["identified by"]) : [];
      case "TemplateDecl":
        return this.keywords(templateParts[decl.channel?.text ?? ""] ?? ["body"]);
      case "PolicyDecl":
        return this.keywords(["respect consent", "quiet hours", "at most"]);
      case "ScoreDecl":
        return this.keywords(["halves every"]);
      case "JourneyDecl": {
        if (header.includes("migrate")) return this.labels().map((label) => ({ label, kind: "label" }));
        if (header[0] === "track" && header[1]) return this.fields(this.symbols.events.get(header[1])?.fields, header[1]);
        if (header[0] === "show") return this.keywords(["recommend", "title", "body"]);
        if (header[0] === "match") return this.enumValues(this.comparedType(header.slice(1)), false).concat(this.keywords(["else"]));
        return this.keywords(depth === 1 ? [...settingKeywords, ...stepKeywords] : stepKeywords);
      }
      default:
        return [];
    }
  }

  private afterWords(w: string[]): CompletionItem[] {
    const last = w[w.length - 1] ?? "";
    const first = w[0] ?? "";
    const decl = this.decl;

    // Durations: a number wants its unit.
    if (/^\d+(\.\d+)?$/.test(last) && !["at", "most", "recommend"].includes(w[w.length - 2] ?? "") && first !== "recommend") return this.durationUnits();

    // Schema: a field's type.
    if (decl && ["CustomerDecl", "EventDecl", "ObjectDecl"].includes(decl.kind) && this.nesting.openBraces.length > 0) {
      if (last === "ref") return this.objects();
      if (w.length === 1 && first === "identified") return this.keywords(["by"]);
      if (first === "identified") return this.fields(this.symbols.customer?.fields, "customer");
      if ((w.length === 1 && /^[A-Za-z_]/.test(first)) || (last === "of" && w[w.length - 2] === "list")) {
        return [...scalarNames.map((name) => ({ label: name, kind: "type" as const })), ...this.keywords(["list of", "ref"])];
      }
      return [];
    }
    if (first === "template" && w.length === 2) return channels.map((c) => ({ label: c, kind: "channel" }));
    if (decl?.kind === "PolicyDecl") {
      if (last === "respect") return this.keywords(["consent"]);
      if (last === "quiet") return this.keywords(["hours"]);
      if (last === "at") return this.keywords(["most"]);
      if (w[w.length - 2] === "most") return channels.map((c) => ({ label: c, kind: "channel" }));
      if (last === "per") return this.keywords(["day", "week", "month"]);
      return [];
    }
    if (decl?.kind === "ScoreDecl") {
      if (last === "halves") return this.keywords(["every"]);
      if (/^\d/.test(last) || last === "+" || last === "-") return this.keywords(["on"]);
      if (last === "on") return this.events();
    }

    // Journey steps and settings.
    switch (last) {
      case "send":
        return ["email", "sms", "push", "webhook"].map((c) => ({ label: c, kind: "channel" }));
      case "show":
        return [{ label: "in_app", kind: "channel" }];
      case "notify":
        return this.templates("webhook");
      case "start":
        return this.keywords(["journey"]);
      case "add":
        return this.keywords(["to"]);
      case "remove":
        return this.keywords(["from"]);
      case "entry":
        return this.keywords(["once", "always", "every"]);
      case "track":
      case "goal":
      case "since":
        return this.events();
      case "set":
        return [{ label: "customer", kind: "variable", detail: "the customer: its fields follow with `.`" }];
      case "within":
      case "after":
        return [];
      default:
        break;
    }
    const previous = w[w.length - 2];
    if (previous === "send" && ["email", "sms", "push", "webhook"].includes(last)) return this.templates(last);
    if (previous === "show" && last === "in_app") return this.templates("in_app");
    if (previous === "start" && last === "journey") return this.journeys();
    if ((previous === "add" && last === "to") || (previous === "remove" && last === "from")) return [...this.keywords(["list"]), ...this.lists()];
    if (last === "list" && (previous === "to" || previous === "from")) return this.lists();
    if (first === "exit" && w.length === 1) return this.keywords(["when"]);
    if (first === "exit" && last === "when") return this.events();
    if (first === "on" && w.length === 1) return this.keywords(["new"]);
    if (first === "on" && last === "new") return this.keywords(["version:"]);
    if (first === "on" && (last === "version" || last === ":")) return this.keywords(["drain", "restart", "migrate"]);
    if (first === "pick") return this.keywords(w.length === 1 ? ["winner"] : last === "winner" ? ["by"] : last === "by" ? ["goal"] : last === "goal" ? ["after"] : []);
    if (first === "up" || (last === "up" && first === "wait")) return this.keywords(["to"]);

    if (first === "set" && last === "=") return [...this.enumValues(this.comparedType(w.slice(1, -1)), false), ...this.expressionNames()];
    if (first === "when") return this.trigger(w);
    if (first === "wait") {
      const wait = this.wait(w);
      if (wait) return wait;
    }
    if (first === "recommend") {
      if (w.length === 2) return this.objects();
      const object = this.symbols.objects.get(w[2] ?? "");
      if (["like", "boost", "where"].includes(last) || w.some((x) => ["like", "boost", "where"].includes(x))) {
        if (w.length === 3) return this.keywords(["like", "boost", "where"]);
        return this.expressionNames(last === "like" ? undefined : object?.fields, w[2]);
      }
      if (w.length === 3) return this.keywords(["like", "boost", "where"]);
    }
    if (last === "in") return [...this.lists(), { label: "[", kind: "keyword", insertText: '["$1"]', snippet: true }];
    if (last === "last" && w[w.length - 2] === "in") return [];
    if (["last", "first"].includes(last)) return this.events();
    if (last === "no") return this.events();
    if (["==", "!="].includes(last) || (last === "[" && w[w.length - 2] === "in")) {
      const values = this.enumValues(this.comparedType(w.slice(0, last === "[" ? -2 : -1)), false);
      if (values.length > 0) return values;
    }
    // Inside an aggregate's parentheses: its event first, then a window.
    const paren = this.nesting.openParens[this.nesting.openParens.length - 1];
    if (paren !== undefined) {
      const callee = this.text.slice(0, paren).match(/([A-Za-z_][A-Za-z0-9_]*)\s*$/)?.[1];
      if (callee && callee in aggregates) {
        const inside = words(this.text.slice(paren + 1, this.offset));
        if (inside.length === 0) return this.events();
        if (inside[inside.length - 1] === ",") return this.keywords(["last", "ever", "since"]);
      }
    }
    // A `where` after an event: the event's fields by their bare names.
    const where = w.lastIndexOf("where");
    if (where > 0) {
      const event = w[where - 1] ?? "";
      const fields = this.symbols.events.get(event)?.fields;
      if (fields) return this.expressionNames(fields, event);
    }
    if (this.expects(last) || (decl?.kind === "SegmentDecl" && w.length >= 2 && last === "=")) return this.expressionNames();
    return [];
  }

  /** Whether a condition or value may start after this word. */
  private expects(word: string): boolean {
    return ["if", "and", "or", "not", "(", ",", "match", "=", "where", "like", "boost", "+", "-", "*", "/", "<", ">", "<=", ">=", "==", "!=", "contains", "["].includes(word);
  }

  private trigger(w: string[]): CompletionItem[] {
    const last = w[w.length - 1] ?? "";
    if (w.length === 1) return [...this.events(), ...this.keywords(["customer enters", "customer leaves", "on customer.", "every", "api"])];
    if (w[1] === "customer" && w.length === 2) return this.keywords(["enters", "leaves"]);
    if (last === "enters" || last === "leaves" || last === "for") return this.segments();
    if (w[1] === "every" && w.length === 2) return this.keywords(scheduleWords);
    if (w[1] === "on" && w.length === 2) return [{ label: "customer", kind: "variable" }];
    if (last === "at" || (w[1] === "every" && w.length > 2 && w.length <= 4)) return this.keywords(["at", "for"]);
    const event = this.symbols.events.get(w[1] ?? "");
    if (event) {
      if (last === "per") return this.fields(event.fields, w[1]);
      if (w.length === 2) return this.keywords(["where", "per"]);
    }
    return this.expects(last) ? this.expressionNames(event?.fields, w[1]) : [];
  }

  private wait(w: string[]): CompletionItem[] | undefined {
    const last = w[w.length - 1] ?? "";
    if (w.length === 1) return [...this.keywords(["for", "until", "for best send time"]), ...["1 hour", "1 day", "2 days", "1 week"].map((d) => ({ label: d, kind: "unit" as const }))];
    if (w[1] === "until" && w.length === 2) return [{ label: "customer", kind: "variable" }];
    if (w[1] !== "for") return undefined;
    if (w.length === 2) return [...this.events(), ...this.keywords(["best send time"])];
    const event = this.symbols.events.get(w[2] ?? "");
    if (last === "matching") {
      const trigger = this.triggerEvent();
      const triggerFields = trigger ? this.symbols.events.get(trigger)?.fields : undefined;
      const shared = [...(event?.fields.values() ?? [])].filter((f) => !triggerFields || triggerFields.has(f.name));
      return this.fields(new Map(shared.map((f) => [f.name, f])), w[2]);
    }
    if (w.length === 3 && event) return this.keywords(["where", "matching", "up to"]);
    if (last === "to" && w[w.length - 2] === "up") return [];
    return undefined;
  }

  /** The type of the value before a comparison: `customer.loyalty_tier ==` → its choices. */
  private comparedType(w: string[]): Type | undefined {
    let end = w.length;
    while (end > 0 && ["==", "!=", "in", "[", "="].includes(w[end - 1] ?? "")) end--;
    const path: string[] = [];
    let i = end - 1;
    while (i >= 0 && /^[A-Za-z_]/.test(w[i] ?? "")) {
      path.unshift(w[i] ?? "");
      i--;
      if (w[i] !== ".") break;
      i--;
    }
    if (path.length === 0) return undefined;
    const occurrence = ["last", "first"].includes(w[i] ?? "") || ["last", "first"].includes(path[0] ?? "");
    if (path[0] === "last" || path[0] === "first") path.shift();
    return this.resolvePath(path, occurrence, w);
  }

  /** The type a dotted path names where the cursor is (a local event field, the customer, the trigger…). */
  private resolvePath(path: string[], occurrence: boolean, w: string[]): Type | undefined {
    const [root, ...rest] = path;
    if (!root) return undefined;
    let fields: Map<string, FieldInfo> | undefined;
    let type: Type | undefined;
    const local = this.localFields(w);
    if (occurrence || (rest.length > 0 && this.symbols.events.has(root) && !this.symbols.customer?.fields.has(root))) {
      fields = this.symbols.events.get(root)?.fields;
    } else if (root === "customer") fields = this.symbols.customer?.fields;
    else if (root === "trigger") fields = this.symbols.events.get(this.triggerEvent() ?? "")?.fields;
    else if (local?.has(root)) type = local.get(root)?.type;
    else if (this.symbols.customer?.fields.has(root)) type = this.symbols.customer.fields.get(root)?.type;
    for (const part of rest) {
      if (type) fields = this.fieldsOfType(type);
      type = fields?.get(part)?.type;
      fields = undefined;
    }
    if (rest.length === 0 && !type) return undefined;
    return type;
  }

  private fieldsOfType(type: Type): Map<string, FieldInfo> | undefined {
    if (type.kind === "ref") return this.symbols.objects.get(type.object)?.fields;
    if (type.kind === "event") return this.symbols.events.get(type.event)?.fields;
    return recordFields(type);
  }

  /** Fields of the event a `where` filters, if the cursor is in one. */
  private localFields(w: string[]): Map<string, FieldInfo> | undefined {
    const where = w.lastIndexOf("where");
    if (where > 0) return this.symbols.events.get(w[where - 1] ?? "")?.fields ?? this.symbols.objects.get(w[2] ?? "")?.fields;
    return undefined;
  }

  /** After a dot: the fields of what is before it. */
  private members(path: string, w: string[]): CompletionItem[] {
    if (/^rfm\(/.test(path)) {
      return ["recency", "frequency", "monetary"].map((label) => ({ label, kind: "field", detail: "int: a quintile from 1 to 5" }));
    }
    const occurrence = /^(last|first)\s+/.test(path);
    const parts = path.replace(/^(last|first)\s+/, "").split(".");
    const [root, ...rest] = parts;
    if (!root) return [];
    const alias = this.aliases().includes(root) && rest.length === 0;
    if (alias) {
      return [
        { label: "id", kind: "field", detail: "text: the id of the sent message" },
        { label: "channel", kind: "field", detail: "text" },
        { label: "template", kind: "field", detail: "text" },
      ];
    }
    if (rest.length === 0) {
      if (occurrence || root === "trigger") {
        const event = occurrence ? root : this.triggerEvent();
        return this.fields(this.symbols.events.get(event ?? "")?.fields, event);
      }
      if (root === "customer") return this.fields(this.symbols.customer?.fields, "customer");
      const local = this.localFields(w);
      if (this.symbols.events.has(root) && !local?.has(root) && !this.symbols.customer?.fields.has(root)) {
        return this.fields(this.symbols.events.get(root)?.fields, root);
      }
    }
    const type = this.resolvePath(parts, occurrence, w);
    const fields = type ? this.fieldsOfType(type) : undefined;
    return this.fields(fields);
  }
}

function describeTemplateType(type: TemplateType): string {
  switch (type.kind) {
    case "scalar":
      return `${type.name}${type.optional ? "?" : ""}`;
    case "enum":
      return `${type.options.map((o) => `"${o}"`).join(" | ")}${type.optional ? "?" : ""}`;
    case "record":
      return `record${type.optional ? "?" : ""}`;
    case "list":
      return `list${type.optional ? "?" : ""}`;
    case "any":
      return "any";
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}
