import { closestName } from "./suggest.js";
/**
 * Template analysis: checks a Liquid template (a subject, an inline `send` text, a `.liquid` body)
 * against the data it will be rendered with.
 *
 * Parsing is liquidjs's own, so what we accept is exactly what will render. The check walks the
 * parsed templates through liquidjs's static-analysis hooks (`arguments()`, `localScope()`,
 * `blockScope()`, `children()`, `partialScope()`) — the same ones `Liquid#analyzeSync` uses — but
 * keeps the tokens, so every problem points at the exact characters of the variable or filter,
 * and it tracks types, so `item` in `{% for item in customer.orders %}` is known to be an order.
 *
 * All offsets are 0-based UTF-16 offsets into the template source given to `analyzeTemplate`
 * (start inclusive, end exclusive); the caller maps them into the `.journey` or `.liquid` file.
 */

import { EchoTag, ForTag, IfTag, Liquid, LiquidError, Output, TablerowTag, TypeGuards, toValueSync, Value } from "liquidjs";
import type { Expression, PropertyAccessToken, Template, Token, ValueToken } from "liquidjs";

// ── Public API ──────────────────────────────────────────────────────────────

export type TemplateType =
  | { kind: "scalar"; name: string; optional: boolean }
  | { kind: "enum"; options: string[]; optional: boolean }
  | { kind: "record"; fields: Map<string, TemplateType>; optional: boolean }
  | { kind: "list"; element: TemplateType; optional: boolean }
  | { kind: "any" };

export interface TemplateScope {
  /** Top-level variables: e.g. customer, trigger, links, and step aliases such as promo. */
  variables: Map<string, TemplateType>;
  /** Filter names allowed beyond Liquid's standard ones (e.g. coupon, money). */
  extraFilters: string[];
}

export interface TemplateProblem {
  kind: "syntax" | "unknownVariable" | "unknownFilter" | "optionalWithoutDefault";
  message: string;
  /** 0-based offsets into the template source (not the .journey file): start inclusive, end exclusive. */
  start: number;
  end: number;
  /** For unknownVariable / unknownFilter: the closest valid name, if any (edit distance), for a fix. */
  suggestion?: string;
}

/**
 * Check `source` against `scope`. Never throws: a template liquidjs cannot parse gives one `syntax`
 * problem; otherwise every variable path and filter is checked. Problems are sorted by offset.
 *
 * Ranges: an unknown root or member covers just that name (so a fix replaces `[start, end)` with
 * `suggestion`; a quoted member `x["a b"]` covers the text inside the quotes); an unknown filter
 * covers the filter name; an optional value covers the whole variable path.
 */
export { closestName };

export function analyzeTemplate(source: string, scope: TemplateScope): TemplateProblem[] {
  let templates: Template[];
  try {
    templates = engine.parse(source);
  } catch (error) {
    return [syntaxProblem(source, error)];
  }
  const checker = new Checker(source, scope);
  try {
    checker.visitAll(templates);
  } catch {
    // A liquidjs internal we did not expect: keep what was found rather than fail the whole check.
  }
  return checker.problems.sort((a, b) => a.start - b.start || a.end - b.end);
}

// ── Parsing ─────────────────────────────────────────────────────────────────

/** Default options: lenient filters (we report unknown ones ourselves); partials are never loaded. */
const engine = new Liquid();
const builtinFilters: readonly string[] = Object.keys(engine.filters);

function syntaxProblem(source: string, error: unknown): TemplateProblem {
  const raw = error instanceof Error ? error.message : String(error);
  // liquidjs appends ", line:N, col:M" and then a code frame; we give offsets instead.
  const reason = (raw.split("\n")[0] ?? raw).replace(/, line:\d+, col:\d+$/, "").trim();
  let start = 0;
  let end = source.length;
  let token: Token | undefined;
  if (LiquidError.is(error)) {
    const candidate: unknown = error.token;
    if (candidate !== undefined && isToken(candidate) && candidate.input === source) {
      token = candidate;
      start = clamp(candidate.begin, 0, source.length);
      end = clamp(candidate.end, start, source.length);
    }
  }
  // liquidjs marks some errors with an empty token (e.g. the missing condition in `{% if %}`): show one character.
  if (end === start && start < source.length) end = start + 1;
  return { kind: "syntax", message: `${explainSyntax(reason, token, source)} (liquidjs: ${reason})`, start, end };
}

function explainSyntax(reason: string, token: Token | undefined, source: string): string {
  const text = token ? source.slice(token.begin, token.end) : "";
  let match: RegExpMatchArray | null;
  if ((match = reason.match(/^tag "(\w+)" not found$/)) !== null) {
    const name = match[1] ?? "";
    if (name.startsWith("end") && name.length > 3) {
      return `\`${oneLine(text)}\` has no matching \`{% ${name.slice(3)} %}\` before it: remove it or add the opening tag`;
    }
    const suggestion = closestName(name, Object.keys(engine.tags));
    return `\`${name}\` is not a Liquid tag${suggestion ? `; did you mean \`${suggestion}\`?` : ""}`;
  }
  if ((match = reason.match(/^tag (\{%-?\s*(\w+)[\s\S]*) not closed$/)) !== null) {
    return `\`${oneLine(match[1] ?? "")}\` is never closed: add \`{% end${match[2] ?? ""} %}\``;
  }
  if (/^output .* not closed$/s.test(reason)) return "an output tag `{{` is never closed: add `}}` (check the quotes too)";
  if (/^raw .* not closed$/s.test(reason)) return "`{% raw %}` is never closed: add `{% endraw %}`";
  if (reason.startsWith("illegal tag syntax")) return "`{%` must be followed by a tag name, as in `{% if … %}`";
  if (reason.startsWith("illegal tag: {% for")) return "a `for` tag needs the form `{% for item in list %}`";
  if (reason.startsWith("illegal tag")) return `\`${oneLine(text)}\` is not written the way this tag expects`;
  if (reason.startsWith("invalid value expression")) return "a value is missing here";
  if (reason === 'expected ":" after filter name') return "put `:` between a filter and its arguments, e.g. `| default: \"there\"`";
  if (reason === 'expected "|" before filter') return "put `|` before a filter";
  if (reason === "expected variable name") return "`assign` needs a variable name, e.g. `{% assign name = customer.first_name %}`";
  if (reason === "duplicated else") return "a block can have only one `{% else %}`";
  return "the template is not valid Liquid here";
}

// ── Types ───────────────────────────────────────────────────────────────────

const anyType: TemplateType = { kind: "any" };
const intType: TemplateType = { kind: "scalar", name: "int", optional: false };
const boolType: TemplateType = { kind: "scalar", name: "bool", optional: false };
const textType: TemplateType = { kind: "scalar", name: "text", optional: false };

function record(fields: Record<string, TemplateType>): TemplateType {
  return { kind: "record", fields: new Map(Object.entries(fields)), optional: false };
}

const loopCounters = { index: intType, index0: intType, rindex: intType, rindex0: intType, first: boolType, last: boolType, length: intType };
const forloopType = record({ ...loopCounters, name: textType, parentloop: anyType });
const tablerowloopType = record({ ...loopCounters, col: intType, col0: intType, col_first: boolType, col_last: boolType, row: intType });

function isOptional(type: TemplateType): boolean {
  return type.kind !== "any" && type.optional;
}

function describe(type: TemplateType): string {
  switch (type.kind) {
    case "scalar":
      return type.name;
    case "enum":
      return `one of ${type.options.map((o) => `\`${o}\``).join(", ")}`;
    case "record":
      return "a record";
    case "list":
      return "a list";
    case "any":
      return "anything";
  }
}

// ── The checker ─────────────────────────────────────────────────────────────

interface Resolved {
  type: TemplateType;
  optional: boolean;
}

interface FilterLike {
  name: string;
  begin: number;
  end: number;
  input: string;
}

class Checker {
  readonly problems: TemplateProblem[] = [];
  private readonly filterNames: Set<string>;
  /** `assign`/`capture`/`increment` targets seen so far: Liquid makes them template-wide, in order. */
  private readonly locals = new Map<string, TemplateType>();
  /** Names bound by the enclosing `for`, `tablerow`, `block`, partial scopes: innermost last. */
  private readonly blocks: Map<string, TemplateType>[] = [];
  /** Paths an enclosing `{% if path %}` / `{% if path != blank %}` branch has shown to be present. */
  private readonly narrowed: Set<string>[] = [];
  /** Names assigned later in an enclosing loop's body: set by the previous iteration (empty on the first). */
  private readonly loopCarried: Set<string>[] = [];
  /** Every name assigned anywhere in the template, for "used before it is assigned". */
  private assignedAnywhere = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly scope: TemplateScope,
  ) {
    this.filterNames = new Set([...builtinFilters, ...scope.extraFilters]);
  }

  visitAll(templates: Template[]): void {
    this.assignedAnywhere = assignedNames(templates);
    for (const template of templates) this.visit(template);
  }

  private visit(template: Template): void {
    if (template instanceof ForTag || template instanceof TablerowTag) {
      this.visitLoop(template);
      return;
    }
    if (template instanceof IfTag) {
      this.visitIf(template);
      return;
    }
    const printed = template instanceof Output || template instanceof EchoTag;
    if (template.arguments) {
      for (const argument of template.arguments()) this.checkArgument(argument, printed);
    }
    if (template.localScope) {
      for (const identifier of template.localScope()) this.locals.set(identifier.content, anyType);
    }
    if (template.children) {
      const names = new Map<string, TemplateType>();
      for (const name of template.blockScope?.() ?? []) names.set(name, anyType);
      const partial = template.partialScope?.();
      for (const entry of partial?.scope ?? []) names.set(typeof entry === "string" ? entry : entry[0], anyType);
      this.blocks.push(names);
      for (const child of childrenOf(template)) this.visit(child);
      this.blocks.pop();
    }
  }

  /** `for` and `tablerow`: the loop variable has the element type of the collection. */
  private visitLoop(tag: InstanceType<typeof ForTag> | InstanceType<typeof TablerowTag>): void {
    let element: TemplateType = anyType;
    for (const argument of tag.arguments()) {
      if (argument === tag.collection) {
        const resolved = this.checkValueToken(argument, false);
        if (resolved?.type.kind === "list") element = resolved.type.element;
      } else {
        // `offset: continue` names the loop's own continuation, not a variable.
        this.blocks.push(new Map([["continue", anyType]]));
        this.checkArgument(argument, false);
        this.blocks.pop();
      }
    }
    const names = new Map<string, TemplateType>([[tag.variable, element]]);
    names.set(tag instanceof ForTag ? "forloop" : "tablerowloop", tag instanceof ForTag ? forloopType : tablerowloopType);
    const children = childrenOf(tag);
    this.blocks.push(names);
    this.loopCarried.push(assignedNames(children));
    for (const child of children) this.visit(child);
    this.loopCarried.pop();
    this.blocks.pop();
  }

  /**
   * `if`/`elsif`: inside a branch whose condition requires a path to be present, that path is not
   * optional any more, so `{% if customer.first_name %}Hi {{ customer.first_name }}{% endif %}`
   * needs no `default`.
   */
  private visitIf(tag: InstanceType<typeof IfTag>): void {
    for (const argument of tag.arguments()) this.checkArgument(argument, false);
    for (const branch of tag.branches) {
      this.narrowed.push(presentPaths(branch.value.initial));
      for (const child of branch.templates) this.visit(child);
      this.narrowed.pop();
    }
    for (const child of tag.elseTemplates ?? []) this.visit(child);
  }

  private isNarrowed(path: string): boolean {
    return this.narrowed.some((paths) => paths.has(path));
  }

  private checkArgument(argument: Value | ValueToken, printed: boolean): void {
    if (argument instanceof Value) {
      const hasDefault = argument.filters.some((filter) => filter.name === "default");
      // A misspelt filter (`defualt`) is the one mistake to report: no "may be empty" on top of it.
      const unknownFilter = argument.filters.some((filter) => !this.filterNames.has(filter.name));
      this.checkExpression(argument.initial, printed && !hasDefault && !unknownFilter);
      for (const filter of argument.filters) {
        const token = filterToken(filter);
        if (token) this.checkFilter(token);
        this.checkFilterArgs(filter.args);
      }
    } else {
      this.checkValueToken(argument, false);
    }
  }

  private checkExpression(expression: Expression, warnOptional: boolean): Resolved | undefined {
    const tokens = expression.postfix;
    this.checkArity(tokens);
    let result: Resolved | undefined;
    for (const token of tokens) {
      if (TypeGuards.isOperatorToken(token)) continue;
      result = this.checkValueToken(token as ValueToken, warnOptional);
    }
    return tokens.length === 1 ? result : { type: anyType, optional: false };
  }

  /** liquidjs accepts `{{ a b }}` and `{% if a == %}`; they render nonsense, so say so. */
  private checkArity(tokens: Token[]): void {
    let depth = 0;
    for (const token of tokens) {
      if (TypeGuards.isOperatorToken(token)) {
        const needs = token.operator === "not" ? 1 : 2;
        if (depth < needs) {
          this.problems.push({
            kind: "syntax",
            message: `\`${token.operator}\` needs a value ${needs === 1 ? "after it" : "on each side"}`,
            start: token.begin,
            end: token.end,
          });
          return;
        }
        depth -= needs - 1;
      } else {
        depth++;
      }
    }
    if (depth > 1) {
      const start = Math.min(...tokens.map((t) => t.begin));
      const end = Math.max(...tokens.map((t) => t.end));
      this.problems.push({
        kind: "syntax",
        message: `\`${oneLine(this.source.slice(start, end))}\` has values side by side: put \`|\` before a filter, or an operator such as \`==\`, \`and\`, \`or\` or \`contains\` between values`,
        start,
        end,
      });
    }
  }

  private checkFilterArgs(args: readonly unknown[]): void {
    for (const arg of args) {
      if (Array.isArray(arg)) {
        const value: unknown = arg[1];
        if (value !== undefined && isToken(value)) this.checkValueToken(value as ValueToken, false);
      } else if (isToken(arg)) {
        this.checkValueToken(arg as ValueToken, false);
      }
    }
  }

  private checkFilter(token: FilterLike): void {
    if (this.filterNames.has(token.name) || token.input !== this.source) return;
    let start = token.begin;
    if (this.source.slice(start, start + token.name.length) !== token.name) {
      const found = this.source.indexOf(token.name, token.begin);
      if (found < 0) return;
      start = found;
    }
    const suggestion = closestName(token.name, this.filterNames);
    const extra = this.scope.extraFilters.length ? ` or one of ours (${this.scope.extraFilters.join(", ")})` : "";
    this.problems.push({
      kind: "unknownFilter",
      message: suggestion
        ? `\`${token.name}\` is not a filter; did you mean \`${suggestion}\`?`
        : `\`${token.name}\` is not a filter: use a standard Liquid filter${extra}`,
      start,
      end: start + token.name.length,
      ...(suggestion ? { suggestion } : {}),
    });
  }

  /** Check one operand; returns its type when it can be known (undefined after an error). */
  private checkValueToken(token: ValueToken, warnOptional: boolean): Resolved | undefined {
    if (TypeGuards.isPropertyAccessToken(token)) {
      const resolved = this.resolvePath(token);
      if (resolved?.optional && warnOptional) {
        const path = this.source.slice(token.begin, token.end);
        this.problems.push({
          kind: "optionalWithoutDefault",
          message: `\`${path}\` may be empty: add \`| default: "…"\``,
          start: token.begin,
          end: token.end,
        });
      }
      return resolved;
    }
    if (TypeGuards.isRangeToken(token)) {
      this.checkValueToken(token.lhs, false);
      this.checkValueToken(token.rhs, false);
      return { type: { kind: "list", element: intType, optional: false }, optional: false };
    }
    if (TypeGuards.isFilteredValueToken(token)) {
      const initial = this.checkExpression(token.initial, false);
      for (const filter of token.filters) {
        this.checkFilter(filter);
        this.checkFilterArgs(filter.args);
      }
      return token.filters.length === 0 ? initial : { type: anyType, optional: false };
    }
    if (TypeGuards.isQuotedToken(token)) return { type: textType, optional: false };
    if (TypeGuards.isNumberToken(token)) return { type: intType, optional: false };
    return { type: anyType, optional: false };
  }

  private lookup(name: string): TemplateType | undefined {
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const type = this.blocks[i]?.get(name);
      if (type) return type;
    }
    const found = this.locals.get(name) ?? this.scope.variables.get(name);
    if (found) return found;
    return this.loopCarried.some((names) => names.has(name)) ? anyType : undefined;
  }

  private visibleNames(): Set<string> {
    const names = new Set(this.scope.variables.keys());
    for (const name of this.locals.keys()) names.add(name);
    for (const block of this.blocks) for (const name of block.keys()) names.add(name);
    return names;
  }

  private resolvePath(token: PropertyAccessToken): Resolved | undefined {
    const props = token.props;
    let type: TemplateType;
    let path: string;
    let rest: typeof props;
    if (token.variable !== undefined) {
      // A literal root: `"abc".size`, `(1..3).first`.
      const root = this.checkValueToken(token.variable, false);
      if (!root) return undefined;
      type = root.type;
      path = this.source.slice(token.variable.begin, token.variable.end);
      rest = props;
    } else {
      const [root, ...others] = props;
      if (root === undefined) return undefined;
      if (TypeGuards.isPropertyAccessToken(root)) {
        // `[name]`: a dynamic root; check the inner path, the outer one is unknowable.
        this.resolvePath(root);
        return { type: anyType, optional: false };
      }
      const name = keyOf(root);
      if (name === undefined) return { type: anyType, optional: false };
      const found = this.lookup(name);
      if (!found) {
        this.unknownRoot(name, root);
        return undefined;
      }
      type = found;
      path = name;
      rest = others;
    }
    let optional = isOptional(type) && !this.isNarrowed(path);
    for (const prop of rest) {
      if (type.kind === "any") {
        // Nothing to check below `any`, except variables used as indexes: `trigger.items[i]`.
        if (TypeGuards.isPropertyAccessToken(prop)) this.resolvePath(prop);
        continue;
      }
      let next: TemplateType | undefined;
      const key = keyOf(prop);
      const segment = segmentText(prop) ?? `[${this.source.slice(prop.begin, prop.end)}]`;
      if (TypeGuards.isPropertyAccessToken(prop)) {
        // `list[i]`, `record[key]`: check `i`/`key` as a variable of its own.
        this.resolvePath(prop);
        next = type.kind === "list" ? type.element : anyType;
      } else if (TypeGuards.isNumberToken(prop)) {
        if (type.kind !== "list") {
          this.problem(prop, `\`${path}${segment}\` does not exist: \`${path}\` is ${describe(type)}, not a list`);
          return undefined;
        }
        next = type.element;
      } else if (key !== undefined) {
        next = this.member(type, key);
        if (!next) {
          this.unknownMember(type, path, key, segment, prop);
          return undefined;
        }
      } else {
        next = anyType;
      }
      type = next;
      path += segment;
      optional = (optional || isOptional(type)) && !this.isNarrowed(path);
    }
    return { type, optional };
  }

  private member(type: TemplateType, key: string): TemplateType | undefined {
    switch (type.kind) {
      case "any":
        return anyType;
      case "record":
        return type.fields.get(key) ?? (key === "size" ? intType : undefined);
      case "list":
        if (key === "size") return intType;
        if (key === "first" || key === "last") return type.element;
        return undefined;
      case "scalar":
      case "enum":
        return key === "size" ? intType : undefined;
    }
  }

  private unknownRoot(name: string, root: Token): void {
    if (this.assignedAnywhere.has(name)) {
      this.problem(root, `\`${name}\` is used before it is assigned: move its \`assign\` or \`capture\` above this line`);
      return;
    }
    const visible = this.visibleNames();
    const suggestion = closestName(name, visible);
    const known = [...visible].sort();
    const list = known.length > 8 ? `${known.slice(0, 8).join(", ")}, …` : known.join(", ");
    this.problem(
      root,
      suggestion
        ? `\`${name}\` is not defined in this template; did you mean \`${suggestion}\`?`
        : `\`${name}\` is not defined in this template${list ? `: use one of ${list}` : ""}, or \`assign\` it first`,
      suggestion,
    );
  }

  private unknownMember(type: TemplateType, path: string, key: string, segment: string, prop: Token): void {
    const full = `${path}${segment}`;
    if (type.kind === "record") {
      const fields = [...type.fields.keys()];
      const suggestion = closestName(key, fields);
      const list = fields.length > 8 ? `${fields.slice(0, 8).join(", ")}, …` : fields.join(", ");
      this.problem(
        prop,
        suggestion
          ? `\`${full}\` is not a field of ${path}; did you mean \`${suggestion}\`?`
          : `\`${full}\` is not a field of ${path}${list ? `; its fields are ${list}` : ""}`,
        suggestion,
      );
    } else if (type.kind === "list") {
      const suggestion = closestName(key, ["size", "first", "last"]);
      this.problem(
        prop,
        suggestion
          ? `\`${full}\` does not exist: \`${path}\` is a list; did you mean \`${suggestion}\`?`
          : `\`${full}\` does not exist: \`${path}\` is a list; loop over it with \`{% for item in ${path} %}\`, or use \`.first\`, \`.last\`, \`.size\` or \`[0]\``,
        suggestion,
      );
    } else {
      this.problem(prop, `\`${full}\` does not exist: \`${path}\` is ${describe(type)}, which has no fields`);
    }
  }

  private problem(token: Token, message: string, suggestion?: string): void {
    let start = token.begin;
    let end = token.end;
    if (TypeGuards.isQuotedToken(token) && end - start >= 2) {
      start++;
      end--;
    }
    this.problems.push({ kind: "unknownVariable", message, start, end, ...(suggestion ? { suggestion } : {}) });
  }
}

// ── liquidjs plumbing ───────────────────────────────────────────────────────

/** The templates nested in a block tag; with partials off, `include`/`render` load no files. */
function childrenOf(template: Template): Template[] {
  if (!template.children) return [];
  return toValueSync(template.children(false, true)) as Template[];
}

/** Names that `assign`, `capture`, `increment`, `decrement` bind anywhere in `templates`. */
function assignedNames(templates: Template[]): Set<string> {
  const names = new Set<string>();
  const walk = (template: Template): void => {
    for (const identifier of template.localScope?.() ?? []) names.add(identifier.content);
    for (const child of childrenOf(template)) walk(child);
  };
  for (const template of templates) walk(template);
  return names;
}

/** A `Filter` keeps its token (with the name's offset) in a field the typings mark private. */
function filterToken(filter: Value["filters"][number]): FilterLike | undefined {
  const token: unknown = (filter as unknown as { token?: unknown }).token;
  if (!isToken(token)) return undefined;
  const name: unknown = (token as { name?: unknown }).name;
  return typeof name === "string" ? { name, begin: token.begin, end: token.end, input: token.input } : undefined;
}

/** The name a property segment spells: `first_name` in `.first_name` or `["first_name"]`. */
function keyOf(token: Token): string | undefined {
  if (TypeGuards.isWordToken(token) || TypeGuards.isQuotedToken(token)) return String(token.content);
  return undefined;
}

/** How a segment reads in a path: `.first_name`, `["first name"]`, `[0]`; undefined for `[variable]`. */
function segmentText(token: Token): string | undefined {
  if (TypeGuards.isNumberToken(token)) return `[${token.content}]`;
  const key = keyOf(token);
  if (key === undefined) return undefined;
  return TypeGuards.isQuotedToken(token) && !/^[A-Za-z_][\w-]*\??$/.test(key) ? `["${key}"]` : `.${key}`;
}

/** The path a token spells (`customer.first_name`), if it is a plain path without `[variable]`. */
function pathText(token: PropertyAccessToken): string | undefined {
  if (token.variable !== undefined) return undefined;
  const [root, ...rest] = token.props;
  const name = root === undefined ? undefined : keyOf(root);
  if (name === undefined) return undefined;
  let path = name;
  for (const prop of rest) {
    const segment = segmentText(prop);
    if (segment === undefined) return undefined;
    path += segment;
  }
  return path;
}

/**
 * The paths a true condition proves present: `a`, `a and b`, `a != blank` (or nil, empty, "").
 * Anything involving `or`, `not` or other comparisons proves nothing.
 */
function presentPaths(condition: Expression): Set<string> {
  interface Item {
    paths: Set<string>;
    path?: string;
    emptyish?: boolean;
  }
  const stack: Item[] = [];
  for (const token of condition.postfix) {
    if (TypeGuards.isOperatorToken(token)) {
      const right = stack.pop();
      const left = token.operator === "not" ? undefined : stack.pop();
      if (right === undefined || (token.operator !== "not" && left === undefined)) return new Set();
      if (token.operator === "and" && left) {
        stack.push({ paths: new Set([...left.paths, ...right.paths]) });
      } else if (token.operator === "!=" && left && (left.emptyish || right.emptyish)) {
        const path = left.emptyish ? right.path : left.path;
        stack.push({ paths: new Set(path === undefined ? [] : [path]) });
      } else {
        stack.push({ paths: new Set() });
      }
    } else if (TypeGuards.isPropertyAccessToken(token)) {
      const path = pathText(token);
      stack.push(path === undefined ? { paths: new Set() } : { paths: new Set([path]), path });
    } else if (TypeGuards.isLiteralToken(token)) {
      stack.push({ paths: new Set(), emptyish: ["nil", "null", "blank", "empty"].includes(token.literal) });
    } else if (TypeGuards.isQuotedToken(token)) {
      stack.push({ paths: new Set(), emptyish: token.content === "" });
    } else {
      stack.push({ paths: new Set() });
    }
  }
  return stack.length === 1 && stack[0] ? stack[0].paths : new Set();
}

function isToken(value: unknown): value is Token {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Token).begin === "number" &&
    typeof (value as Token).end === "number" &&
    typeof (value as Token).input === "string"
  );
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
