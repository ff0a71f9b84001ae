import type * as A from "../syntax/ast.js";
import { expr as printExpression } from "../format/printer.js";
import { ReferenceIndex, type SymbolKind } from "./references.js";
import { didYouMean, Reporter } from "./report.js";
import { fieldSymbol } from "./symbols.js";
import { closestName } from "./suggest.js";
import type { Symbols } from "./symbols.js";
import {
  boolType,
  comparable,
  describeType,
  errorType,
  type FieldInfo,
  intType,
  isBool,
  isNumeric,
  isOrdered,
  isTemporal,
  isTextLike,
  numberType,
  scalar,
  textType,
  type Type,
} from "./types.js";

/** What the names in an expression can mean where it stands. */
export interface Scope {
  file: string;
  /** Fields usable by their bare name first: the event's in a `where`, the object's in `boost`. */
  local?: { owner: string; fields: Map<string, FieldInfo> };
  journey?: JourneyContext;
  /** Segments this expression refers to (for the cycle check). */
  segmentRefs?: { name: string; span: A.Span }[];
}

export interface JourneyContext {
  name: string;
  /** The event the journey starts on; `undefined` when it starts otherwise (then `trigger` is an error). */
  triggerEvent: string | undefined;
  /** How the journey starts, for messages when there is no trigger event. */
  triggerDescription: string;
  /** `send email promo as promo`: the names of sent messages. */
  aliases: Map<string, { channel: string }>;
}

const aggregateFunctions = ["count", "sum", "avg", "min", "max", "rfm"] as const;

const messageFields = new Map<string, FieldInfo>([
  ["id", { name: "id", type: textType, optional: false, hasDefault: false, doc: "The id of the sent message." }],
  ["channel", { name: "channel", type: textType, optional: false, hasDefault: false }],
  ["template", { name: "template", type: textType, optional: false, hasDefault: false }],
]);

const rfmFields = new Map<string, FieldInfo>(
  ["recency", "frequency", "monetary"].map((name) => [name, { name, type: intType, optional: false, hasDefault: false, doc: "A quintile score from 1 to 5." }]),
);

/** Types expressions and reports what is wrong in them. Never throws; unknown parts are `error`, silently. */
export class ExpressionChecker {
  constructor(
    private readonly symbols: Symbols,
    private readonly reporter: Reporter,
    private readonly refs: ReferenceIndex = new ReferenceIndex(),
  ) {}

  private fieldRef(file: string, span: A.Span, field: FieldInfo): void {
    this.refs.add(file, span, fieldSymbol(field));
  }

  private declaredRef(kind: SymbolKind, file: string, id: { text: string; span: A.Span }, declared: { file: string; node: { name?: A.Identifier | undefined } } | undefined): void {
    this.refs.add(file, id.span, { kind, name: id.text, file: declared?.file, span: declared?.node.name?.span });
  }

  customerFields(): Map<string, FieldInfo> {
    return this.symbols.customer?.fields ?? new Map();
  }

  /** Checks that `expr` is a yes/no condition. */
  condition(expr: A.Expression | undefined, scope: Scope): void {
    if (!expr) return;
    const type = this.check(expr, scope);
    if (isBool(type)) return;
    this.notACondition(expr, type, scope);
  }

  private notACondition(expr: A.Expression, type: Type, scope: Scope): void {
    const written = printExpression(expr);
    let advice: string;
    if (type.kind === "event") advice = `to ask whether it happened, write \`${written} within 30 days\``;
    else if (isNumeric(type)) advice = `compare it, e.g. \`${written} > 0\``;
    else if (isTextLike(type)) advice = `compare it, e.g. \`${written} == "…"\``;
    else advice = `compare it with something, or use \`${written} is set\``;
    this.reporter.report("J3003", { file: scope.file, span: expr.span }, `\`${written}\` is ${article(describeType(type))}, not a yes/no condition: ${advice}`);
  }

  check(expr: A.Expression, scope: Scope): Type {
    switch (expr.kind) {
      case "NumberLiteral":
        return Number.isInteger(expr.value) && !expr.text.includes(".") ? intType : numberType;
      case "StringLiteral":
        return textType;
      case "BooleanLiteral":
        return boolType;
      case "DurationLiteral":
        return scalar("duration");
      case "TimeLiteral":
        return scalar("time");
      case "PercentLiteral":
        return scalar("percent");
      case "ListLiteral": {
        const items = expr.items.map((item) => this.check(item, scope));
        return { kind: "list", element: items[0] ?? errorType };
      }
      case "Parenthesized":
        return expr.inner ? this.check(expr.inner, scope) : errorType;
      case "NameRef":
        return this.name(expr, scope);
      case "MemberAccess":
        return this.member(expr, scope);
      case "Call":
        return this.call(expr, scope);
      case "Binary":
        return this.binary(expr, scope);
      case "Unary": {
        if (!expr.operand) return errorType;
        if (expr.operator === "not") {
          this.condition(expr.operand, scope);
          return boolType;
        }
        const type = this.check(expr.operand, scope);
        if (!isNumeric(type) && !(type.kind === "scalar" && type.name === "duration")) {
          this.reporter.report("J3004", { file: scope.file, span: expr.span }, `only a number can be negative, but \`${printExpression(expr.operand)}\` is ${article(describeType(type))}`);
          return errorType;
        }
        return type;
      }
      case "IsSet":
        this.check(expr.subject, scope);
        return boolType;
      case "Membership":
        return this.membership(expr, scope);
      case "EventQuery": {
        const event = this.event(expr.event, scope);
        if (event && expr.condition) this.condition(expr.condition, { ...scope, local: { owner: expr.event.text, fields: event } });
        if (expr.window) this.window(expr.window, scope);
        return boolType;
      }
      case "Occurrence": {
        if (!expr.event) return errorType;
        const event = this.event(expr.event, scope);
        if (!event) return errorType;
        return expr.within ? boolType : { kind: "event", event: expr.event.text };
      }
      case "Filtered":
        this.reporter.report(
          "J3015",
          { file: scope.file, span: expr.span },
          `a \`where\` filter on an event only works inside an aggregate such as \`count(${printExpression(expr)}, last 30 days)\`, or with a time window: \`${printExpression(expr)} ever\``,
        );
        return errorType;
      case "WindowArg":
        this.reporter.report(
          "J3015",
          { file: scope.file, span: expr.span },
          "a time window such as `last 30 days` only works as an aggregate's argument, e.g. `count(purchase, last 30 days)`",
        );
        return errorType;
      default: {
        const unknown: never = expr;
        return unknown;
      }
    }
  }

  /** The fields of a known event, or reports an unknown event. */
  event(name: A.Identifier, scope: Scope): Map<string, FieldInfo> | undefined {
    const event = this.symbols.events.get(name.text);
    if (event) {
      this.declaredRef("event", scope.file, name, event);
      return event.fields;
    }
    const suggestion = closestName(name.text, this.symbols.events.keys());
    const place = { file: scope.file, span: name.span };
    this.reporter.report(
      "J2001",
      place,
      `unknown event \`${name.text}\`${didYouMean(suggestion)}${suggestion ? "" : `; declare it with \`event ${name.text} { … }\``}`,
      { fixes: Reporter.rename(place, suggestion) },
    );
    return undefined;
  }

  window(window: A.Window, scope: Scope): void {
    if (window.kind === "Since" && window.event) this.event(window.event, scope);
  }

  private name(ref: A.NameRef, scope: Scope): Type {
    const name = ref.name.text;
    const localField = scope.local?.fields.get(name);
    if (localField) {
      this.fieldRef(scope.file, ref.span, localField);
      return localField.type;
    }
    const customerField = this.customerFields().get(name);
    if (customerField) {
      this.fieldRef(scope.file, ref.span, customerField);
      return customerField.type;
    }
    if (name === "customer" && this.symbols.customer) return { kind: "record", name: "customer", fields: this.customerFields() };
    if (name === "trigger") return this.trigger(ref, scope);
    const alias = scope.journey?.aliases.get(name);
    if (alias) return { kind: "record", name: `the ${alias.channel} message \`${name}\``, fields: messageFields };
    const segment = this.symbols.segments.get(name);
    if (segment) {
      scope.segmentRefs?.push({ name, span: ref.span });
      this.declaredRef("segment", scope.file, ref.name, segment);
      return boolType;
    }
    const score = this.symbols.scores.get(name);
    if (score) {
      this.declaredRef("score", scope.file, ref.name, score);
      return numberType;
    }
    const place = { file: scope.file, span: ref.span };
    if (this.symbols.lists.has(name)) {
      this.reporter.report("J3019", place, `\`${name}\` is a list of customers, not a value: write \`customer in ${name}\``);
      return errorType;
    }
    if (this.symbols.events.has(name)) {
      this.reporter.report(
        "J3006",
        place,
        `\`${name}\` is an event, not a value: write \`${name} ever\`, \`${name} in last 30 days\`, \`last ${name}.<field>\` or \`count(${name}, last 30 days)\``,
      );
      return errorType;
    }
    const candidates = [
      ...(scope.local?.fields.keys() ?? []),
      ...this.customerFields().keys(),
      ...this.symbols.segments.keys(),
      ...this.symbols.scores.keys(),
      ...(scope.journey?.aliases.keys() ?? []),
      "customer",
      ...(scope.journey ? ["trigger"] : []),
    ];
    const suggestion = closestName(name, candidates);
    const where = scope.local ? `a field of ${scope.local.owner}, ` : "";
    this.reporter.report("J2003", place, `unknown name \`${name}\`: it is not ${where}a customer field, a segment or a score${didYouMean(suggestion)}`, {
      fixes: Reporter.rename(place, suggestion),
    });
    return errorType;
  }

  private trigger(ref: A.NameRef, scope: Scope): Type {
    const journey = scope.journey;
    const place = { file: scope.file, span: ref.span };
    if (!journey) {
      this.reporter.report("J3007", place, "`trigger` only means something inside a journey that starts on an event");
      return errorType;
    }
    if (!journey.triggerEvent) {
      this.reporter.report(
        "J3007",
        place,
        `journey \`${journey.name}\` starts ${journey.triggerDescription}, not on an event, so there is no \`trigger\` to read here`,
      );
      return errorType;
    }
    return this.symbols.events.has(journey.triggerEvent) ? { kind: "event", event: journey.triggerEvent } : errorType;
  }

  /** The fields reachable with `.` from a value of this type, and whose they are. */
  private fieldsOf(type: Type): { owner: string; fields: Map<string, FieldInfo> } | undefined {
    switch (type.kind) {
      case "record":
        return { owner: type.name, fields: type.fields };
      case "ref": {
        const object = this.symbols.objects.get(type.object);
        return object ? { owner: type.object, fields: object.fields } : undefined;
      }
      case "event": {
        const event = this.symbols.events.get(type.event);
        return event ? { owner: type.event, fields: event.fields } : undefined;
      }
      default:
        return undefined;
    }
  }

  private member(expr: A.MemberAccess, scope: Scope): Type {
    const object = expr.object;
    if (object.kind === "NameRef" && this.isBareEvent(object.name.text, scope)) {
      const name = object.name.text;
      this.reporter.report(
        "J3006",
        { file: scope.file, span: expr.span },
        `\`${name}.${expr.member.text}\` is a field of every ${name}: pick one with \`last ${name}.${expr.member.text}\`, or aggregate them: \`sum(${name}.${expr.member.text}, last 30 days)\``,
      );
      return errorType;
    }
    const objectType = this.check(object, scope);
    if (objectType.kind === "error") return errorType;
    if (objectType.kind === "record" && objectType.fields === rfmFields) return this.field(expr, { owner: "rfm(…)", fields: rfmFields }, scope);
    const target = this.fieldsOf(objectType);
    if (!target) {
      if (objectType.kind === "list" && ["size", "first", "last"].includes(expr.member.text)) {
        return expr.member.text === "size" ? intType : objectType.element;
      }
      this.reporter.report(
        "J2002",
        { file: scope.file, span: expr.member.span },
        `\`${printExpression(object)}\` is ${article(describeType(objectType))}, which has no fields`,
      );
      return errorType;
    }
    return this.field(expr, target, scope);
  }

  private field(expr: A.MemberAccess, target: { owner: string; fields: Map<string, FieldInfo> }, scope: Scope): Type {
    const field = target.fields.get(expr.member.text);
    if (field) {
      this.fieldRef(scope.file, expr.member.span, field);
      return field.type;
    }
    const suggestion = closestName(expr.member.text, target.fields.keys());
    const place = { file: scope.file, span: expr.member.span };
    this.reporter.report("J2002", place, `${target.owner} has no field \`${expr.member.text}\`${didYouMean(suggestion)}`, {
      fixes: Reporter.rename(place, suggestion),
    });
    return errorType;
  }

  /** Whether a bare name means an event here (not shadowed by a field, segment or score). */
  private isBareEvent(name: string, scope: Scope): boolean {
    if (!this.symbols.events.has(name)) return false;
    if (scope.local?.fields.has(name) || this.customerFields().has(name)) return false;
    if (name === "trigger" || name === "customer" || scope.journey?.aliases.has(name)) return false;
    return true;
  }

  private call(expr: A.Call, scope: Scope): Type {
    const name = expr.callee.text;
    const place = { file: scope.file, span: expr.callee.span };
    if (!(aggregateFunctions as readonly string[]).includes(name)) {
      const suggestion = closestName(name, aggregateFunctions);
      this.reporter.report("J2015", place, `unknown function \`${name}\`${didYouMean(suggestion)}; the functions are ${aggregateFunctions.join(", ")}`, {
        fixes: Reporter.rename(place, suggestion),
      });
      // Its arguments mean nothing without the function: checking them would only add noise.
      return errorType;
    }
    const [subject, window, ...extra] = expr.args;
    const usage = name === "count" ? "count(<event>, last 30 days)" : name === "rfm" ? "rfm(<event>.<money field>)" : `${name}(<event>.<number field>, last 30 days)`;
    if (!subject || extra.length > 0 || (name === "rfm" && window)) {
      this.reporter.report("J3015", { file: scope.file, span: expr.span }, `\`${name}\` takes ${name === "rfm" ? "one argument" : "an event (or one of its fields) and an optional time window"}: \`${usage}\``);
      return errorType;
    }
    if (window) {
      if (window.kind === "WindowArg") this.window(window.window, scope);
      else {
        this.reporter.report("J3015", { file: scope.file, span: window.span }, `the second argument of \`${name}\` is a time window such as \`last 30 days\`, \`ever\` or \`since signed_up\``);
      }
    }
    if (name === "count") {
      this.eventArgument(subject, scope, usage);
      return intType;
    }
    const fieldType = this.fieldArgument(subject, scope, usage, name);
    if (name === "rfm") return { kind: "record", name: "rfm(…)", fields: rfmFields };
    if (name === "avg") return fieldType.kind === "scalar" && fieldType.name === "money" ? fieldType : numberType;
    return fieldType;
  }

  /** `purchase` or `purchase where total > 50`. */
  private eventArgument(arg: A.Expression, scope: Scope, usage: string): void {
    if (arg.kind === "NameRef") {
      this.event(arg.name, scope);
      return;
    }
    if (arg.kind === "Filtered" && arg.subject.kind === "NameRef") {
      const subject = arg.subject.name;
      const fields = this.event(subject, scope);
      if (fields && arg.condition) this.condition(arg.condition, { ...scope, local: { owner: subject.text, fields } });
      return;
    }
    this.reporter.report("J3015", { file: scope.file, span: arg.span }, `count what? Name an event: \`${usage}\``);
  }

  /** `purchase.total`: must be a number (or a date for min/max). */
  private fieldArgument(argument: A.Expression, scope: Scope, usage: string, name: string): Type {
    // `sum(purchase.total where channel == "store", …)`: the filter reads the event's fields.
    const filter = argument.kind === "Filtered" ? argument.condition : undefined;
    const arg = argument.kind === "Filtered" ? argument.subject : argument;
    if (arg.kind !== "MemberAccess" || arg.object.kind !== "NameRef") {
      this.reporter.report("J3015", { file: scope.file, span: arg.span }, `\`${name}\` needs an event's field: \`${usage}\``);
      return errorType;
    }
    const fields = this.event(arg.object.name, scope);
    if (!fields) return errorType;
    if (filter) this.condition(filter, { ...scope, local: { owner: arg.object.name.text, fields } });
    const field = fields.get(arg.member.text);
    if (!field) {
      const suggestion = closestName(arg.member.text, fields.keys());
      const place = { file: scope.file, span: arg.member.span };
      this.reporter.report("J2002", place, `${arg.object.name.text} has no field \`${arg.member.text}\`${didYouMean(suggestion)}`, {
        fixes: Reporter.rename(place, suggestion),
      });
      return errorType;
    }
    this.fieldRef(scope.file, arg.member.span, field);
    const allowed = isNumeric(field.type) || ((name === "min" || name === "max") && isTemporal(field.type));
    if (!allowed) {
      this.reporter.report(
        "J3005",
        { file: scope.file, span: arg.span },
        `\`${name}\` needs numbers, but \`${printExpression(arg)}\` is ${article(describeType(field.type))}${name === "sum" || name === "avg" ? `; to count occurrences write \`count(${arg.object.name.text}, …)\`` : ""}`,
      );
      return errorType;
    }
    return field.type;
  }

  private binary(expr: A.Binary, scope: Scope): Type {
    const op = expr.operator;
    if (op === "and" || op === "or") {
      this.condition(expr.left, scope);
      if (expr.right) this.condition(expr.right, scope);
      return boolType;
    }
    const left = this.check(expr.left, scope);
    const right = expr.right ? this.check(expr.right, scope) : errorType;
    if (left.kind === "error" || right.kind === "error") return ["+", "-", "*", "/"].includes(op) ? errorType : boolType;
    const place = { file: scope.file, span: expr.span };
    switch (op) {
      case "==":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=": {
        if (this.enumLiteral(left, expr.right, scope) || this.enumLiteral(right, expr.left, scope)) return boolType;
        if (!comparable(left, right)) {
          this.reporter.report(
            "J3001",
            place,
            `cannot compare \`${printExpression(expr.left)}\` (${describeType(left)}) with \`${printExpression(expr.right)}\` (${describeType(right)})${comparisonAdvice(expr, left, right)}`,
          );
        } else if (op !== "==" && op !== "!=" && (!isOrdered(left) || !isOrdered(right))) {
          this.reporter.report("J3001", place, `\`${op}\` needs numbers, dates or durations, but \`${printExpression(expr.left)}\` is ${article(describeType(left))}; use \`==\` or \`!=\``);
        }
        return boolType;
      }
      case "contains": {
        const ok = (isTextLike(left) && isTextLike(right)) || (left.kind === "list" && comparable(left.element, right));
        if (!ok) {
          this.reporter.report(
            "J3001",
            place,
            `\`contains\` looks for text in text or for an item in a list, but \`${printExpression(expr.left)}\` is ${article(describeType(left))} and \`${printExpression(expr.right)}\` is ${article(describeType(right))}`,
          );
        }
        return boolType;
      }
      default:
        return this.arithmetic(expr, left, right, scope);
    }
  }

  private arithmetic(expr: A.Binary, left: Type, right: Type, scope: Scope): Type {
    const isDuration = (t: Type) => t.kind === "scalar" && t.name === "duration";
    const op = expr.operator;
    if ((op === "+" || op === "-") && isTemporal(left) && isDuration(right)) return left;
    if ((op === "+" || op === "-") && isDuration(left) && isDuration(right)) return left;
    if ((op === "*" || op === "/") && isDuration(left) && isNumeric(right)) return left;
    if (isNumeric(left) && isNumeric(right)) {
      const money = (t: Type) => t.kind === "scalar" && t.name === "money";
      if (money(left) || money(right)) return scalar("money");
      if (op === "/") return numberType;
      return left.kind === "scalar" && right.kind === "scalar" && left.name === "int" && right.name === "int" ? intType : numberType;
    }
    this.reporter.report(
      "J3004",
      { file: scope.file, span: expr.span },
      `\`${op}\` needs numbers (or a date and a duration), but \`${printExpression(expr.left)}\` is ${article(describeType(left))} and \`${printExpression(expr.right)}\` is ${article(describeType(right))}`,
    );
    return errorType;
  }

  /** `loyalty_tier == "platinum"`: a text literal compared with a choice must be one of the choices. Returns true when handled. */
  private enumLiteral(type: Type, other: A.Expression | undefined, scope: Scope): boolean {
    if (type.kind !== "enum" || other?.kind !== "StringLiteral") return false;
    if (type.options.includes(other.value)) return true;
    const suggestion = closestName(other.value, type.options);
    const place = { file: scope.file, span: other.span };
    this.reporter.report(
      "J3002",
      place,
      `"${other.value}" is not one of the choices ${type.options.map((o) => `"${o}"`).join(", ")}${didYouMean(suggestion ? `"${suggestion}"` : undefined)}`,
      { fixes: Reporter.rename(place, suggestion ? `"${suggestion}"` : undefined) },
    );
    return true;
  }

  private membership(expr: A.Membership, scope: Scope): Type {
    const collection = expr.collection;
    if (collection?.kind === "NameRef") {
      const listName = collection.name.text;
      const place = { file: scope.file, span: collection.span };
      const list = this.symbols.lists.get(listName);
      if (list) this.declaredRef("list", scope.file, collection.name, list);
      if (!list && this.symbols.segments.has(listName)) {
        this.reporter.report("J2008", place, `\`${listName}\` is a segment, not a list: write \`${listName}\` on its own as the condition`);
      } else if (!list) {
        const suggestion = closestName(listName, this.symbols.lists.keys());
        this.reporter.report("J2008", place, `unknown list \`${listName}\`${didYouMean(suggestion)}${suggestion ? "" : `; declare it with \`list ${listName}\``}`, {
          fixes: Reporter.rename(place, suggestion),
        });
      } else if (!(expr.subject.kind === "NameRef" && expr.subject.name.text === "customer")) {
        this.check(expr.subject, scope);
        this.reporter.report("J3019", { file: scope.file, span: expr.subject.span }, `lists hold customers: write \`customer in ${listName}\``);
      }
      return boolType;
    }
    const subject = this.check(expr.subject, scope);
    for (const item of collection?.items ?? []) {
      if (subject.kind === "enum" && item.kind === "StringLiteral") {
        this.enumLiteral(subject, item, scope);
        continue;
      }
      const itemType = this.check(item, scope);
      if (!comparable(subject, itemType)) {
        this.reporter.report(
          "J3001",
          { file: scope.file, span: item.span },
          `\`${printExpression(item)}\` (${describeType(itemType)}) can never equal \`${printExpression(expr.subject)}\` (${describeType(subject)})`,
        );
      }
    }
    return boolType;
  }
}

function comparisonAdvice(expr: A.Binary, left: Type, right: Type): string {
  const quotedNumber = (side: A.Expression | undefined, other: Type) => side?.kind === "StringLiteral" && isNumeric(other) && /^-?\d+(\.\d+)?$/.test(side.value);
  if (quotedNumber(expr.right, left) || quotedNumber(expr.left, right)) return ": write the number without quotes";
  return "";
}

function article(text: string): string {
  if (text.startsWith("an occurrence") || text.startsWith('"') || text.startsWith("the ")) return text;
  return /^[aeiou]/.test(text) ? `an ${text}` : `a ${text}`;
}
