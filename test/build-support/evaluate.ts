/**
 * A reference evaluator of IR predicate trees, for tests only: it gives the meaning docs/ir.md
 * describes (missing values, windows, RFM quintiles, decaying scores) so that the tests can hold the
 * generated SQL to it. The runtime has its own evaluator.
 */
import type { Expr, ProjectFile, Window } from "@journey/compiler";

export interface StoredEvent {
  id: string;
  name: string;
  /** Milliseconds since the epoch. */
  at: number;
  properties: Record<string, unknown>;
}

export interface Customer {
  id: string;
  profile: Record<string, unknown>;
  /** Sorted by (at, id). */
  events: StoredEvent[];
}

export interface Population {
  now: number;
  customers: Customer[];
  lists: Map<string, Set<string>>;
  /** Score name → customer → the value at `updatedAt`. */
  scores: Map<string, Map<string, { value: number; updatedAt: number }>>;
  objects: Map<string, Map<string, Record<string, unknown>>>;
}

/** A moment, to tell it from a number. */
class Instant {
  constructor(readonly ms: number) {}
}

/** A duration: calendar months plus milliseconds. */
class Span {
  constructor(
    readonly months: number,
    readonly ms: number,
  ) {}
  /** As PostgreSQL compares intervals: a month is 30 days. */
  get total(): number {
    return this.months * 30 * DAY + this.ms;
  }
}

type Value = string | number | boolean | Instant | Span | unknown[] | Record<string, unknown> | undefined;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function parseDuration(iso: string): Span {
  const match = /^P(?:(\d+)([DWM])|T(\d+)([HM]))$/.exec(iso);
  if (!match) throw new Error(`not a duration: ${iso}`);
  if (match[1]) {
    const amount = Number(match[1]);
    if (match[2] === "M") return new Span(amount, 0);
    return new Span(0, amount * (match[2] === "W" ? 7 * DAY : DAY));
  }
  return new Span(0, Number(match[3]) * (match[4] === "H" ? HOUR : MINUTE));
}

/** `now` minus a duration on the UTC calendar, as PostgreSQL subtracts an interval from a timestamp (the day is clamped to the month's end). */
export function minus(now: number, span: Span): number {
  const date = new Date(now - span.ms);
  if (span.months === 0) return date.getTime();
  const day = date.getUTCDate();
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - span.months, 1, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime();
}

interface Context {
  customer: Customer;
  event?: StoredEvent;
}

export class Evaluator {
  private readonly segments: Map<string, Expr>;
  private readonly halfLives: Map<string, string | undefined>;
  private readonly rfmCache = new Map<string, Map<string, { recency: number; frequency: number; monetary: number }>>();

  constructor(
    project: ProjectFile,
    private readonly population: Population,
  ) {
    this.segments = new Map(project.segments.map((s) => [s.name, s.predicate]));
    this.halfLives = new Map(project.scores.map((s) => [s.name, s.halfLife]));
  }

  /** The members of a segment, sorted. */
  members(segment: string): string[] {
    const predicate = this.segments.get(segment);
    if (!predicate) throw new Error(`no segment ${segment}`);
    return this.population.customers
      .filter((customer) => this.test(predicate, { customer }))
      .map((c) => c.id)
      .sort();
  }

  test(expr: Expr, context: Context): boolean {
    return this.value(expr, context) === true;
  }

  value(expr: Expr, context: Context): Value {
    switch (expr.kind) {
      case "text":
      case "number":
      case "bool":
      case "time":
      case "percent":
        return expr.value;
      case "duration":
        return parseDuration(expr.value);
      case "list":
        return expr.items.map((item) => this.value(item, context));
      case "and":
        return expr.operands.every((o) => this.test(o, context));
      case "or":
        return expr.operands.some((o) => this.test(o, context));
      case "not":
        return !this.test(expr.operand, context);
      case "field": {
        let base: unknown;
        if (expr.source === "customer") base = context.customer.profile;
        else if (expr.source === "event") base = context.event?.properties;
        else throw new Error(`no ${expr.source} in a segment`);
        return read(base, expr.path, expr.type, expr.default);
      }
      case "occurrence": {
        const events = this.events(context.customer, expr.event, { kind: "ever" });
        const event = expr.which === "last" ? events[events.length - 1] : events[0];
        return event ? read(event.properties, expr.path, expr.type, expr.default) : undefined;
      }
      case "get":
        return read(this.value(expr.of, context), expr.path, expr.type, expr.default);
      case "lookup": {
        const key = this.value(expr.key, context);
        return typeof key === "string" ? this.population.objects.get(expr.object)?.get(key) : undefined;
      }
      case "list_op": {
        const list = this.value(expr.of, context);
        if (!Array.isArray(list)) return undefined;
        if (expr.op === "size") return list.length;
        return read(expr.op === "first" ? list[0] : list[list.length - 1], [], expr.type, undefined);
      }
      case "segment":
        return this.test(this.segments.get(expr.name) as Expr, { customer: context.customer });
      case "score": {
        const row = this.population.scores.get(expr.name)?.get(context.customer.id);
        if (!row) return 0;
        const halfLife = this.halfLives.get(expr.name);
        if (!halfLife) return row.value;
        const seconds = parseDuration(halfLife).total / 1000;
        return row.value * 0.5 ** ((this.population.now - row.updatedAt) / 1000 / seconds);
      }
      case "in_list":
        return this.population.lists.get(expr.list)?.has(context.customer.id) ?? false;
      case "happened":
        return this.events(context.customer, expr.event, expr.window).some((event) => !expr.where || this.test(expr.where, { customer: context.customer, event }));
      case "occurred_within": {
        const events = this.events(context.customer, expr.event, { kind: "ever" });
        const event = expr.which === "last" ? events[events.length - 1] : events[0];
        return event !== undefined && event.at >= minus(this.population.now, parseDuration(expr.within));
      }
      case "aggregate": {
        const events = this.events(context.customer, expr.event, expr.window).filter((event) => !expr.where || this.test(expr.where, { customer: context.customer, event }));
        if (expr.fn === "count") return events.length;
        const valueExpr = expr.value as Expr;
        const values = events.map((event) => this.value(valueExpr, { customer: context.customer, event })).filter((v) => v !== undefined);
        if (expr.fn === "sum") return (values as number[]).reduce((a, b) => a + b, 0);
        if (values.length === 0) return undefined;
        if (expr.fn === "avg") return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
        return values.reduce((a, b) => ((compare(a, b) ?? 0) <= 0 ? (expr.fn === "min" ? a : b) : expr.fn === "min" ? b : a));
      }
      case "rfm":
        return this.rfm(expr.event, expr.value, expr.where).get(context.customer.id)?.[expr.dimension];
      case "compare": {
        const left = this.value(expr.left, context);
        const right = this.value(expr.right, context);
        if (left === undefined || right === undefined) return false;
        const order = compare(left, right);
        if (order === undefined) return false;
        switch (expr.op) {
          case "==":
            return order === 0;
          case "!=":
            return order !== 0;
          case "<":
            return order < 0;
          case "<=":
            return order <= 0;
          case ">":
            return order > 0;
          case ">=":
            return order >= 0;
        }
        return false;
      }
      case "contains": {
        const left = this.value(expr.left, context);
        const right = this.value(expr.right, context);
        if (left === undefined || right === undefined) return false;
        if (typeof left === "string") return typeof right === "string" && left.includes(right);
        if (Array.isArray(left)) return left.some((item) => compare(item as Value, right) === 0);
        return false;
      }
      case "in": {
        const subject = this.value(expr.subject, context);
        if (subject === undefined) return false;
        return expr.items.some((item) => {
          const value = this.value(item, context);
          return value !== undefined && compare(subject, value) === 0;
        });
      }
      case "is_set":
        return this.value(expr.subject, context) !== undefined;
      case "arithmetic": {
        const left = this.value(expr.left, context);
        const right = this.value(expr.right, context);
        if (typeof left !== "number" || typeof right !== "number") {
          if (left === undefined || right === undefined) return undefined;
          throw new Error(`the test evaluator does arithmetic on numbers only, not ${JSON.stringify([left, right])}`);
        }
        switch (expr.op) {
          case "+":
            return left + right;
          case "-":
            return left - right;
          case "*":
            return left * right;
          case "/":
            return right === 0 ? undefined : left / right;
        }
        return undefined;
      }
      case "negate": {
        const operand = this.value(expr.operand, context);
        return typeof operand === "number" ? -operand : undefined;
      }
      case "message":
        throw new Error("no sent messages in a segment");
      default: {
        const unknown: never = expr;
        return unknown;
      }
    }
  }

  /** The customer's events of one name in a window, up to now, in order. */
  private events(customer: Customer, name: string, window: Window): StoredEvent[] {
    const now = this.population.now;
    const all = customer.events.filter((e) => e.name === name && e.at <= now);
    switch (window.kind) {
      case "ever":
        return all;
      case "last": {
        const start = minus(now, parseDuration(window.duration));
        return all.filter((e) => e.at >= start);
      }
      case "since": {
        const anchors = customer.events.filter((e) => e.name === window.event && e.at <= now);
        const latest = anchors[anchors.length - 1];
        return latest ? all.filter((e) => e.at > latest.at) : [];
      }
    }
    return [];
  }

  /** Quintiles among customers with at least one such event: 1 + ⌊5 · (rank − 1) / n⌋, rank = 1 + how many have less. */
  private rfm(event: string, valueExpr: Expr, where: Expr | undefined) {
    const key = JSON.stringify([event, valueExpr, where]);
    const cached = this.rfmCache.get(key);
    if (cached) return cached;
    const metrics: { id: string; last: number; times: number; spent: number }[] = [];
    for (const customer of this.population.customers) {
      const events = this.events(customer, event, { kind: "ever" }).filter((e) => !where || this.test(where, { customer, event: e }));
      if (events.length === 0) continue;
      const spent = events.map((e) => this.value(valueExpr, { customer, event: e })).reduce<number>((sum, v) => sum + (typeof v === "number" ? v : 0), 0);
      metrics.push({ id: customer.id, last: (events[events.length - 1] as StoredEvent).at, times: events.length, spent });
    }
    const quintile = (pick: (m: (typeof metrics)[number]) => number, m: (typeof metrics)[number]) => {
      const rank = 1 + metrics.filter((other) => pick(other) < pick(m)).length;
      return 1 + Math.floor((5 * (rank - 1)) / metrics.length);
    };
    const scores = new Map(
      metrics.map((m) => [m.id, { recency: quintile((x) => x.last, m), frequency: quintile((x) => x.times, m), monetary: quintile((x) => x.spent, m) }] as const),
    );
    this.rfmCache.set(key, scores);
    return scores;
  }
}

/** A value at a path of a JSON document, as the type says; JSON null and absent are missing, then the default applies. */
function read(base: unknown, path: string[], type: string, fallback: string | number | boolean | undefined): Value {
  let value: unknown = base;
  for (const part of path) value = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>)[part] : undefined;
  if (value === null || value === undefined) value = fallback;
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case "text":
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    case "number":
      return Number(value);
    case "bool":
      return value === true || value === "true";
    case "date":
    case "datetime":
      return new Instant(Date.parse(String(value)));
    case "duration":
      return parseDuration(String(value));
    default:
      return value as Value;
  }
}

/** -1, 0, 1, or undefined when the two cannot be compared. */
function compare(a: Value, b: Value): number | undefined {
  if (a instanceof Instant && b instanceof Instant) return Math.sign(a.ms - b.ms);
  if (a instanceof Span && b instanceof Span) return Math.sign(a.total - b.total);
  if (typeof a === "number" && typeof b === "number") return Math.sign(a - b);
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  return JSON.stringify(a) === JSON.stringify(b) ? 0 : undefined;
}
