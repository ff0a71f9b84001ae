import type * as A from "@journey/language";
import type { FieldInfo, ParseResult, Symbols, Type } from "@journey/language";
import type { Expr, FieldSource, ValueType, Window } from "../ir/schema.js";
import { fail, isoDuration, literalValue, required, timeOfDay } from "./common.js";

/** What the names in an expression mean where it stands (the checker's `Scope`, resolved). */
export interface ExprScope {
  /** Fields usable by their bare name first: the event in a `where`, or the recommended object. */
  local?: { source: "event" | "object"; owner: string; fields: Map<string, FieldInfo> };
  journey?: { triggerEvent: string | undefined; aliases: ReadonlySet<string> };
}

/** A lowered expression and the checker's type for it (to resolve `.field` after it). */
interface Typed {
  expr: Expr;
  type: Type;
}

const messageFields = new Set(["id", "channel", "template"]);
const rfmDimensions = new Set(["recency", "frequency", "monetary"]);

/**
 * Lowers checked expressions to IR expression trees. Names resolve exactly as the checker resolves
 * them (local field, customer field, `customer`, `trigger`, sent message, segment, score), so the
 * tree means what the checker approved.
 */
export class ExpressionLowerer {
  private readonly defaults = new Map<string, string | number | boolean>();

  constructor(
    private readonly symbols: Symbols,
    files: ParseResult[],
  ) {
    for (const { file, ast } of files) {
      for (const decl of ast.declarations) {
        if (decl.kind === "CustomerDecl") this.indexDefaults(file, decl.members.filter((m): m is A.FieldDecl => m.kind === "FieldDecl"));
        if (decl.kind === "EventDecl" || decl.kind === "ObjectDecl") this.indexDefaults(file, decl.fields);
      }
    }
  }

  private indexDefaults(file: string, fields: A.FieldDecl[]): void {
    for (const field of fields) {
      if (field.defaultValue) this.defaults.set(defaultKey(file, field.name.span.start), literalValue(field.defaultValue));
      let type = field.type;
      while (type && (type.kind === "OptionalType" || type.kind === "ListType")) type = type.kind === "OptionalType" ? type.inner : type.element;
      if (type?.kind === "RecordType") this.indexDefaults(file, type.fields);
    }
  }

  /** The default a field declares, if any. */
  defaultOf(field: FieldInfo): string | number | boolean | undefined {
    if (!field.hasDefault || !field.file || !field.span) return undefined;
    return this.defaults.get(defaultKey(field.file, field.span.start));
  }

  condition(expr: A.Expression | undefined, scope: ExprScope): Expr {
    return this.lower(required(expr, "a condition"), scope);
  }

  lower(expr: A.Expression, scope: ExprScope): Expr {
    return this.typed(expr, scope).expr;
  }

  private typed(expr: A.Expression, scope: ExprScope): Typed {
    switch (expr.kind) {
      case "NumberLiteral":
        return { expr: { kind: "number", value: expr.value }, type: { kind: "scalar", name: "number" } };
      case "StringLiteral":
        return { expr: { kind: "text", value: expr.value }, type: { kind: "scalar", name: "text" } };
      case "BooleanLiteral":
        return { expr: { kind: "bool", value: expr.value }, type: { kind: "scalar", name: "bool" } };
      case "DurationLiteral":
        return { expr: { kind: "duration", value: isoDuration(expr) }, type: { kind: "scalar", name: "duration" } };
      case "TimeLiteral":
        return { expr: { kind: "time", value: timeOfDay(expr) }, type: { kind: "scalar", name: "time" } };
      case "PercentLiteral":
        return { expr: { kind: "percent", value: expr.value }, type: { kind: "scalar", name: "percent" } };
      case "ListLiteral": {
        const items = expr.items.map((item) => this.typed(item, scope));
        return { expr: { kind: "list", items: items.map((i) => i.expr) }, type: { kind: "list", element: items[0]?.type ?? { kind: "scalar", name: "text" } } };
      }
      case "Parenthesized":
        return this.typed(required(expr.inner, "the inside of ( )"), scope);
      case "NameRef":
        return this.name(expr, scope);
      case "MemberAccess":
        return this.member(expr, scope);
      case "Call":
        return this.call(expr, scope);
      case "Binary":
        return this.binary(expr, scope);
      case "Unary": {
        const operand = this.typed(required(expr.operand, `the operand of \`${expr.operator}\``), scope);
        if (expr.operator === "not") return { expr: { kind: "not", operand: operand.expr }, type: boolType };
        if (operand.expr.kind === "number") return { expr: { kind: "number", value: -operand.expr.value }, type: operand.type };
        return { expr: { kind: "negate", operand: operand.expr }, type: operand.type };
      }
      case "IsSet": {
        const isSet: Expr = { kind: "is_set", subject: this.lower(expr.subject, scope) };
        return { expr: expr.negated ? { kind: "not", operand: isSet } : isSet, type: boolType };
      }
      case "Membership": {
        const collection = required(expr.collection, "the collection after `in`");
        if (collection.kind === "NameRef") {
          if (!(expr.subject.kind === "NameRef" && expr.subject.name.text === "customer")) fail("only `customer` can be `in` a list");
          const list = collection.name.text;
          if (!this.symbols.lists.has(list)) fail(`unknown list \`${list}\``);
          return { expr: { kind: "in_list", list }, type: boolType };
        }
        return {
          expr: { kind: "in", subject: this.lower(expr.subject, scope), items: collection.items.map((item) => this.lower(item, scope)) },
          type: boolType,
        };
      }
      case "EventQuery": {
        const event = expr.event.text;
        const happened: Expr = {
          kind: "happened",
          event,
          ...(expr.condition ? { where: this.lower(expr.condition, this.eventScope(event, scope)) } : {}),
          window: this.window(expr.window),
        };
        return { expr: expr.negated ? { kind: "not", operand: happened } : happened, type: boolType };
      }
      case "Occurrence": {
        const event = required(expr.event, "the event after `last`/`first`").text;
        this.eventFields(event);
        if (expr.within) return { expr: { kind: "occurred_within", which: expr.which, event, within: isoDuration(expr.within) }, type: boolType };
        return { expr: { kind: "occurrence", which: expr.which, event, path: [], type: "record" }, type: { kind: "event", event } };
      }
      case "Filtered":
        return fail("a `where` filter outside an aggregate");
      case "WindowArg":
        return fail("a time window outside an aggregate");
      default: {
        const unknown: never = expr;
        return unknown;
      }
    }
  }

  private eventFields(event: string): Map<string, FieldInfo> {
    return this.symbols.events.get(event)?.fields ?? fail(`unknown event \`${event}\``);
  }

  /** The scope of a `where` on an event: its fields by bare name, the rest as around it. */
  eventScope(event: string, scope: ExprScope): ExprScope {
    return { ...scope, local: { source: "event", owner: event, fields: this.eventFields(event) } };
  }

  objectScope(object: string, scope: ExprScope): ExprScope {
    const fields = this.symbols.objects.get(object)?.fields ?? fail(`unknown object \`${object}\``);
    return { ...scope, local: { source: "object", owner: object, fields } };
  }

  window(window: A.Window | undefined): Window {
    if (!window || window.kind === "Ever") return { kind: "ever" };
    if (window.kind === "InLast") return { kind: "last", duration: isoDuration(window.duration) };
    const event = required(window.event, "the event after `since`").text;
    this.eventFields(event);
    return { kind: "since", event };
  }

  private fieldRef(source: FieldSource, field: FieldInfo): Typed {
    return { expr: this.withDefault({ kind: "field", source, path: [field.name], ...valueTypeOf(field.type) }, field), type: field.type };
  }

  private withDefault(expr: PathExpr, field: FieldInfo): PathExpr {
    const value = this.defaultOf(field);
    return value === undefined ? expr : { ...expr, default: value };
  }

  private name(ref: A.NameRef, scope: ExprScope): Typed {
    const name = ref.name.text;
    const local = scope.local?.fields.get(name);
    if (local && scope.local) return this.fieldRef(scope.local.source, local);
    const customer = this.symbols.customer?.fields.get(name);
    if (customer) return this.fieldRef("customer", customer);
    if (name === "customer" && this.symbols.customer) {
      return { expr: { kind: "field", source: "customer", path: [], type: "record" }, type: { kind: "record", name: "customer", fields: this.symbols.customer.fields } };
    }
    if (name === "trigger") {
      const event = scope.journey?.triggerEvent ?? fail("`trigger` in a journey that does not start on an event");
      this.eventFields(event);
      return { expr: { kind: "field", source: "trigger", path: [], type: "record" }, type: { kind: "event", event } };
    }
    if (scope.journey?.aliases.has(name)) fail(`the sent message \`${name}\` used without a field (\`${name}.id\`)`);
    if (this.symbols.segments.has(name)) return { expr: { kind: "segment", name }, type: boolType };
    if (this.symbols.scores.has(name)) return { expr: { kind: "score", name }, type: { kind: "scalar", name: "number" } };
    return fail(`unknown name \`${name}\``);
  }

  private member(expr: A.MemberAccess, scope: ExprScope): Typed {
    const member = expr.member.text;
    const object = expr.object;
    if (object.kind === "NameRef" && scope.journey?.aliases.has(object.name.text) && !this.shadowsAlias(object.name.text, scope)) {
      if (!messageFields.has(member)) fail(`a sent message has no field \`${member}\``);
      return { expr: { kind: "message", alias: object.name.text, field: member as "id" | "channel" | "template" }, type: { kind: "scalar", name: "text" } };
    }
    let unwrapped = object;
    while (unwrapped.kind === "Parenthesized" && unwrapped.inner) unwrapped = unwrapped.inner;
    if (unwrapped.kind === "Call" && unwrapped.callee.text === "rfm") {
      if (!rfmDimensions.has(member)) fail(`rfm(…) has no field \`${member}\``);
      const [argument] = unwrapped.args;
      const { event, value, where } = this.eventFieldArgument(required(argument, "the argument of rfm"), scope);
      return { expr: { kind: "rfm", event, value, ...(where ? { where } : {}), dimension: member as "recency" | "frequency" | "monetary" }, type: { kind: "scalar", name: "int" } };
    }
    const base = this.typed(object, scope);
    const type = base.type;
    if (type.kind === "list") {
      if (member === "size") return { expr: { kind: "list_op", op: "size", of: base.expr, type: "number" }, type: { kind: "scalar", name: "int" } };
      if (member === "first" || member === "last") {
        return { expr: { kind: "list_op", op: member, of: base.expr, type: valueTypeOf(type.element).type }, type: type.element };
      }
      return fail(`a list has no field \`${member}\``);
    }
    const fields = this.fieldsOf(type) ?? fail(`\`${member}\` read from a value with no fields`);
    const field = fields.get(member) ?? fail(`no field \`${member}\``);
    const typed = valueTypeOf(field.type);
    if (type.kind === "ref") {
      const lookup: Expr = { kind: "lookup", object: type.object, key: base.expr };
      return { expr: this.withDefault({ kind: "get", of: lookup, path: [member], ...typed }, field), type: field.type };
    }
    const source = base.expr;
    // `customer.consent.email`, `trigger.cart_id`, `last purchase.items`: one path, not a chain.
    const path = [...(source.kind === "field" || source.kind === "occurrence" || source.kind === "get" ? source.path : []), member];
    let read: PathExpr;
    if (source.kind === "field") read = { kind: "field", source: source.source, path, ...typed };
    else if (source.kind === "occurrence") read = { kind: "occurrence", which: source.which, event: source.event, path, ...typed };
    else if (source.kind === "get") read = { kind: "get", of: source.of, path, ...typed };
    else read = { kind: "get", of: source, path, ...typed };
    return { expr: this.withDefault(read, field), type: field.type };
  }

  /** `promo.id` reads the sent message unless a field of the same name is in scope (as the checker resolves it). */
  private shadowsAlias(name: string, scope: ExprScope): boolean {
    return Boolean(scope.local?.fields.has(name) || this.symbols.customer?.fields.has(name) || name === "customer" || name === "trigger");
  }

  private fieldsOf(type: Type): Map<string, FieldInfo> | undefined {
    switch (type.kind) {
      case "record":
        return type.fields;
      case "ref":
        return this.symbols.objects.get(type.object)?.fields;
      case "event":
        return this.symbols.events.get(type.event)?.fields;
      default:
        return undefined;
    }
  }

  /** `purchase.total` as an aggregate's argument, or `purchase.total where channel == "store"`. */
  private eventFieldArgument(argument: A.Expression, scope: ExprScope): { event: string; value: Expr; field: FieldInfo; where?: Expr } {
    const arg = argument.kind === "Filtered" ? argument.subject : argument;
    if (arg.kind !== "MemberAccess" || arg.object.kind !== "NameRef") fail("an aggregate needs an event's field, such as `purchase.total`");
    const event = arg.object.name.text;
    const field = this.eventFields(event).get(arg.member.text) ?? fail(`${event} has no field \`${arg.member.text}\``);
    const where = argument.kind === "Filtered" ? this.lower(required(argument.condition, "the condition after `where`"), this.eventScope(event, scope)) : undefined;
    return { event, value: this.fieldRef("event", field).expr, field, ...(where ? { where } : {}) };
  }

  private call(expr: A.Call, scope: ExprScope): Typed {
    const fn = expr.callee.text;
    const [subject, windowArg, ...extra] = expr.args;
    if (!subject || extra.length > 0) fail(`\`${fn}\` with the wrong arguments`);
    if (windowArg && windowArg.kind !== "WindowArg") fail(`the second argument of \`${fn}\` is not a time window`);
    const window = this.window(windowArg?.kind === "WindowArg" ? windowArg.window : undefined);
    switch (fn) {
      case "count": {
        const named = subject.kind === "Filtered" ? subject.subject : subject;
        if (named.kind !== "NameRef") fail("`count` needs an event");
        const event = named.name.text;
        this.eventFields(event);
        const where = subject.kind === "Filtered" ? this.lower(required(subject.condition, "the condition after `where`"), this.eventScope(event, scope)) : undefined;
        return {
          expr: { kind: "aggregate", fn: "count", event, ...(where ? { where } : {}), window, type: "number" },
          type: { kind: "scalar", name: "int" },
        };
      }
      case "sum":
      case "avg":
      case "min":
      case "max": {
        const { event, value, field, where } = this.eventFieldArgument(subject, scope);
        const type = valueTypeOf(field.type).type;
        const resultType: Type = fn === "sum" || fn === "avg" ? { kind: "scalar", name: "number" } : field.type;
        return { expr: { kind: "aggregate", fn, event, value, ...(where ? { where } : {}), window, type: fn === "sum" || fn === "avg" ? "number" : type }, type: resultType };
      }
      case "rfm":
        return fail("rfm(…) used without `.recency`, `.frequency` or `.monetary`");
      default:
        return fail(`unknown function \`${fn}\``);
    }
  }

  private binary(expr: A.Binary, scope: ExprScope): Typed {
    const op = expr.operator;
    const right = required(expr.right, `the right side of \`${op}\``);
    if (op === "and" || op === "or") {
      const operands = [...this.flatten(expr.left, op), ...this.flatten(right, op)].map((e) => this.lower(e, scope));
      return { expr: { kind: op, operands }, type: boolType };
    }
    const left = this.typed(expr.left, scope);
    const rightTyped = this.typed(right, scope);
    switch (op) {
      case "==":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=":
        return { expr: { kind: "compare", op, left: left.expr, right: rightTyped.expr }, type: boolType };
      case "contains":
        return { expr: { kind: "contains", left: left.expr, right: rightTyped.expr }, type: boolType };
      case "+":
      case "-":
      case "*":
      case "/":
        return { expr: { kind: "arithmetic", op, left: left.expr, right: rightTyped.expr }, type: arithmeticType(op, left.type, rightTyped.type) };
      default: {
        const unknown: never = op;
        return unknown;
      }
    }
  }

  /** `a and (b and c)` is one `and` of three. */
  private flatten(expr: A.Expression, op: "and" | "or"): A.Expression[] {
    let inner = expr;
    while (inner.kind === "Parenthesized" && inner.inner) inner = inner.inner;
    if (inner.kind === "Binary" && inner.operator === op && inner.right) return [...this.flatten(inner.left, op), ...this.flatten(inner.right, op)];
    return [expr];
  }
}

const boolType: Type = { kind: "scalar", name: "bool" };

/** Reads of a field by path: the ones that can carry a default. */
type PathExpr = Extract<Expr, { kind: "field" | "occurrence" | "get" }>;

function defaultKey(file: string, offset: number): string {
  return `${file}\u0000${offset}`;
}

function arithmeticType(op: string, left: Type, right: Type): Type {
  const isDuration = (t: Type) => t.kind === "scalar" && t.name === "duration";
  const isTemporal = (t: Type) => t.kind === "scalar" && (t.name === "date" || t.name === "datetime");
  if ((op === "+" || op === "-") && isTemporal(left) && isDuration(right)) return left;
  if (isDuration(left)) return left;
  return { kind: "scalar", name: "number" };
}

/** The IR's coarse type of a value, and of a list's elements. */
export function valueTypeOf(type: Type): { type: ValueType; element?: ValueType } {
  switch (type.kind) {
    case "scalar":
      switch (type.name) {
        case "int":
        case "number":
        case "money":
        case "percent":
          return { type: "number" };
        case "bool":
          return { type: "bool" };
        case "date":
          return { type: "date" };
        case "datetime":
          return { type: "datetime" };
        case "duration":
          return { type: "duration" };
        case "time":
          return { type: "time" };
        default:
          return { type: "text" };
      }
    case "enum":
    case "ref":
      return { type: "text" };
    case "list":
      return { type: "list", element: valueTypeOf(type.element).type };
    case "record":
    case "event":
      return { type: "record" };
    case "error":
      return fail("a value of unknown type");
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}
