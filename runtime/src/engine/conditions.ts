/**
 * The evaluator of IR expression trees for one customer at one moment (docs/ir.md, "Expressions").
 * It gives the same answers as the segment SQL the compiler writes: missing values make comparisons
 * false (`!=` included), windows count on the UTC calendar and only events up to `now`, `last` and
 * `first` order events by time then id. Hot path: a segment predicate runs per event per customer,
 * so events are indexed once per array and no context is copied per event.
 */
import type { Expr, LiteralExpr, ValueType, Window } from "@journey/compiler/ir";
import { DAY, instantMs, isDateOnly, parseDuration, Span, shiftMs } from "./time.js";

export interface EventRecord {
  messageId: string;
  name: string;
  occurredAt: Date;
  properties: Record<string, unknown>;
}

export interface ConditionContext {
  now: Date;
  /** The profile, schema defaults already applied (profile.ts). */
  customer: Record<string, unknown>;
  /** The customer's events, oldest first (ties by messageId), incl. the current one. Append-only: do not reorder it in place. */
  events: readonly EventRecord[];
  /** Properties of the event that started the enrollment. */
  trigger?: Record<string, unknown>;
  /** The event a `where` filters (source "event"). */
  event?: Record<string, unknown>;
  /** A catalogue row (source "object", recommendations). */
  object?: Record<string, unknown>;
  /** `send … as alias`. */
  messages?: Readonly<Record<string, { id: string; channel: string; template: string }>>;
  inSegment(name: string): boolean;
  /** Current (decayed) value. */
  score(name: string): number;
  inList(name: string): boolean;
  lookup(object: string, key: string): Record<string, unknown> | undefined;
  /** 1..5 quintile of `raw` among the population for this rfm expression; key = rfmKey(expr). See rfmRaw for what `raw` is. */
  rfmQuintile(key: string, dimension: "recency" | "frequency" | "monetary", raw: number): number;
}

/** IR the evaluator cannot interpret: a bug in the compiler or the engine, never bad data. */
export class ConditionError extends Error {
  override name = "ConditionError";
}

type Rfm = Extract<Expr, { kind: "rfm" }>;
type Props = Record<string, unknown> | undefined;

/** A date or datetime value: a moment, remembering whether it was a calendar day. */
class Instant {
  constructor(
    readonly ms: number,
    readonly dateOnly: boolean,
  ) {}
}

/** A time of day, in seconds after midnight. */
class TimeOfDay {
  constructor(readonly seconds: number) {}
  toString(): string {
    const h = Math.floor(this.seconds / 3600);
    const m = Math.floor((this.seconds % 3600) / 60);
    const s = this.seconds % 60;
    const pad = (n: number) => String(n).padStart(2, "0");
    return s ? `${pad(h)}:${pad(m)}:${pad(s)}` : `${pad(h)}:${pad(m)}`;
  }
}

// ── Public API ──────────────────────────────────────────────────────────────

/**
 * The value of an expression, as plain JSON-able data: numbers, texts, booleans, lists, records; a
 * `date` as YYYY-MM-DD, a `datetime` as an ISO string, a duration as ISO-8601, a time as HH:MM.
 * null when missing or unknown. `source: "event"` reads ctx.event.
 */
export function evaluate(expr: Expr, ctx: ConditionContext): unknown {
  return toPlain(value(expr, ctx, ctx.event));
}

/** Whether a condition holds: true only for boolean true (missing is false). */
export function holds(expr: Expr, ctx: ConditionContext): boolean {
  return value(expr, ctx, ctx.event) === true;
}

/** holds, with `source: "event"` reading `event` (a wait's, exit's or score rule's event) without copying the context. */
export function holdsOn(expr: Expr, ctx: ConditionContext, event: Record<string, unknown>): boolean {
  return value(expr, ctx, event) === true;
}

/** evaluate, with `source: "event"` reading `event`. */
export function evaluateOn(expr: Expr, ctx: ConditionContext, event: Record<string, unknown>): unknown {
  return toPlain(value(expr, ctx, event));
}

/** Whether a `match` subject equals one of a `case` edge's literal values (durations compare as durations, times as times). */
export function caseMatches(subject: Expr, values: readonly LiteralExpr[], ctx: ConditionContext): boolean {
  const s = value(subject, ctx, ctx.event);
  if (s === null) return false;
  for (const literal of values) if (compare(s, value(literal, ctx, ctx.event)) === 0) return true;
  return false;
}

const rfmKeys = new WeakMap<Rfm, string>();

/** A stable key for the population an `rfm` expression ranks (its event, value and filter; not the dimension). */
export function rfmKey(expr: Rfm): string {
  let key = rfmKeys.get(expr);
  if (key === undefined) {
    key = canonical({ event: expr.event, value: expr.value, where: expr.where ?? null });
    rfmKeys.set(expr, key);
  }
  return key;
}

/**
 * The customer's own metric for an RFM dimension over their `event`s up to now that satisfy
 * `where`: recency is the days (fractional, so the order is exact) since the latest one, so a
 * smaller number is more recent; frequency their number; monetary the sum of `value` (missing
 * counts 0). null when the customer has no such event (they are not ranked).
 */
export function rfmRaw(expr: Rfm, dimension: "recency" | "frequency" | "monetary", ctx: ConditionContext): number | null {
  const now = ctx.now.getTime();
  const events = eventsNamed(ctx.events, expr.event);
  const end = upperBound(events, now);
  let count = 0;
  let last = 0;
  let sum = 0;
  for (let i = 0; i < end; i++) {
    const event = events[i] as EventRecord;
    if (expr.where && value(expr.where, ctx, event.properties) !== true) continue;
    count++;
    last = event.occurredAt.getTime();
    if (dimension === "monetary") {
      const v = value(expr.value, ctx, event.properties);
      if (typeof v === "number") sum += v;
    }
  }
  if (count === 0) return null;
  if (dimension === "frequency") return count;
  if (dimension === "monetary") return sum;
  return (now - last) / DAY;
}

// ── The evaluator ───────────────────────────────────────────────────────────

function value(expr: Expr, ctx: ConditionContext, ev: Props): unknown {
  switch (expr.kind) {
    case "text":
    case "number":
    case "bool":
    case "percent":
      return expr.value;
    case "duration":
      return parseDuration(expr.value);
    case "time":
      return timeOf(expr.value) ?? bug(`the time literal "${expr.value}" is not HH:MM`);
    case "list": {
      const out = new Array<unknown>(expr.items.length);
      for (let i = 0; i < expr.items.length; i++) out[i] = value(expr.items[i] as Expr, ctx, ev);
      return out;
    }
    case "field":
      return read(source(expr.source, expr.path, ctx, ev), expr.path, expr.type, expr.default, expr.element);
    case "message": {
      const sent = ctx.messages && Object.hasOwn(ctx.messages, expr.alias) ? ctx.messages[expr.alias] : undefined;
      return sent?.[expr.field] ?? null;
    }
    case "occurrence": {
      const events = eventsNamed(ctx.events, expr.event);
      const end = upperBound(events, ctx.now.getTime());
      if (end === 0) return null;
      const event = (expr.which === "last" ? events[end - 1] : events[0]) as EventRecord;
      return read(event.properties, expr.path, expr.type, expr.default, expr.element);
    }
    case "get": {
      const of = value(expr.of, ctx, ev);
      // A list of records reads the path in each of them.
      if (Array.isArray(of)) return of.map((item) => read(item, expr.path, expr.type, expr.default, expr.element));
      return read(of, expr.path, expr.type, expr.default, expr.element);
    }
    case "lookup": {
      const key = value(expr.key, ctx, ev);
      if (typeof key !== "string" && typeof key !== "number") return null;
      return ctx.lookup(expr.object, String(key)) ?? null;
    }
    case "list_op": {
      const list = value(expr.of, ctx, ev);
      if (!Array.isArray(list)) return null;
      if (expr.op === "size") return list.length;
      if (list.length === 0) return null;
      return coerce(expr.op === "first" ? list[0] : list[list.length - 1], expr.type, undefined);
    }
    case "segment":
      return ctx.inSegment(expr.name) === true;
    case "score": {
      const score = ctx.score(expr.name);
      return typeof score === "number" && Number.isFinite(score) ? score : 0;
    }
    case "in_list":
      return ctx.inList(expr.list) === true;
    case "happened": {
      const events = eventsNamed(ctx.events, expr.event);
      const [lo, hi] = windowRange(events, expr.window, ctx);
      if (!expr.where) return hi > lo;
      for (let i = lo; i < hi; i++) if (value(expr.where, ctx, (events[i] as EventRecord).properties) === true) return true;
      return false;
    }
    case "occurred_within": {
      const events = eventsNamed(ctx.events, expr.event);
      const now = ctx.now.getTime();
      const end = upperBound(events, now);
      if (end === 0) return false;
      const event = (expr.which === "last" ? events[end - 1] : events[0]) as EventRecord;
      return event.occurredAt.getTime() >= windowStart(now, expr.within);
    }
    case "aggregate":
      return aggregate(expr, ctx);
    case "rfm": {
      const raw = rfmRaw(expr, expr.dimension, ctx);
      return raw === null ? null : ctx.rfmQuintile(rfmKey(expr), expr.dimension, raw);
    }
    case "and":
      for (const operand of expr.operands) if (value(operand, ctx, ev) !== true) return false;
      return true;
    case "or":
      for (const operand of expr.operands) if (value(operand, ctx, ev) === true) return true;
      return false;
    case "not":
      return value(expr.operand, ctx, ev) !== true;
    case "compare": {
      const left = value(expr.left, ctx, ev);
      if (left === null) return false;
      const right = value(expr.right, ctx, ev);
      if (right === null) return false;
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
      return bug(`unknown comparison \`${String((expr as { op: unknown }).op)}\``);
    }
    case "contains": {
      const left = value(expr.left, ctx, ev);
      if (left === null) return false;
      const right = value(expr.right, ctx, ev);
      if (right === null) return false;
      if (typeof left === "string") return typeof right === "string" && left.includes(right);
      if (Array.isArray(left)) {
        const element = "element" in expr.left ? expr.left.element : undefined;
        for (const item of left) if (compare(element ? coerce(item, element, undefined) : item, right) === 0) return true;
      }
      return false;
    }
    case "in": {
      const subject = value(expr.subject, ctx, ev);
      if (subject === null) return false;
      for (const item of expr.items) {
        const v = value(item, ctx, ev);
        if (v !== null && compare(subject, v) === 0) return true;
      }
      return false;
    }
    case "is_set":
      return value(expr.subject, ctx, ev) !== null;
    case "arithmetic":
      return arithmetic(expr.op, value(expr.left, ctx, ev), value(expr.right, ctx, ev));
    case "negate": {
      const v = value(expr.operand, ctx, ev);
      if (v === null) return null;
      if (typeof v === "number") return -v;
      if (v instanceof Span) return new Span(-v.months, -v.ms);
      return bug(`minus in front of ${describe(v)}`);
    }
    default: {
      const unknown: never = expr;
      return bug(`unknown expression kind \`${(unknown as { kind: unknown }).kind}\``);
    }
  }
}

function bug(message: string): never {
  throw new ConditionError(`cannot evaluate the condition: ${message}; rebuild the project with a matching \`journey build\``);
}

function source(kind: "customer" | "event" | "trigger" | "object", path: readonly string[], ctx: ConditionContext, ev: Props): unknown {
  switch (kind) {
    case "customer":
      return ctx.customer;
    case "event":
      return ev ?? missingSource("event", path, "ctx.event (or use holdsOn) for a `where` on an event");
    case "trigger":
      return ctx.trigger ?? missingSource("trigger", path, "ctx.trigger: the properties of the event that started the enrollment");
    case "object":
      return ctx.object ?? missingSource("object", path, "ctx.object: the catalogue item a recommendation considers");
  }
}

function missingSource(kind: string, path: readonly string[], fix: string): never {
  throw new ConditionError(`the condition reads ${kind}.${path.join(".")} but there is no ${kind} here: pass ${fix}`);
}

/** A value at a path of a JSON document, as the type says; absent and JSON null are missing, then the default applies. */
function read(base: unknown, path: readonly string[], type: ValueType, fallback: string | number | boolean | undefined, element: ValueType | undefined): unknown {
  let v = base;
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      v = undefined;
      break;
    }
    const key = path[i] as string;
    v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
  }
  if (v === null || v === undefined) v = fallback;
  if (v === null || v === undefined) return null;
  return coerce(v, type, element);
}

const timeCache = new Map<string, TimeOfDay | null>();
const timePattern = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

function timeOf(text: string): TimeOfDay | null {
  let t = timeCache.get(text);
  if (t === undefined) {
    const m = timePattern.exec(text);
    t = m ? new TimeOfDay(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)) : null;
    if (timeCache.size >= 10_000) timeCache.clear();
    timeCache.set(text, t);
  }
  return t;
}

/** A data value as the IR type says; values that do not fit the type are missing. */
function coerce(v: unknown, type: ValueType, element: ValueType | undefined): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "text":
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      if (v instanceof Date) return v.toISOString();
      return JSON.stringify(v);
    case "number": {
      const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
      return Number.isFinite(n) ? n : null;
    }
    case "bool":
      return v === true || v === "true";
    case "date":
    case "datetime": {
      if (v instanceof Instant) return v;
      const ms = instantMs(v);
      return ms === null ? null : new Instant(ms, isDateOnly(v));
    }
    case "duration":
      if (v instanceof Span) return v;
      if (typeof v !== "string") return null;
      try {
        return parseDuration(v);
      } catch {
        return null;
      }
    case "time":
      if (v instanceof TimeOfDay) return v;
      return typeof v === "string" ? timeOf(v) : null;
    case "list":
      if (!Array.isArray(v)) return null;
      // Lists of temporal values hold their items as such, so that comparisons see moments and lengths.
      if (element === "date" || element === "datetime" || element === "duration" || element === "time") return v.map((item) => coerce(item, element, undefined));
      return v;
    case "record":
      return typeof v === "object" && !Array.isArray(v) ? v : null;
  }
}

/** -1, 0, 1, or undefined when the two cannot be compared (then every comparison is false). */
function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === "number") return typeof b === "number" ? Math.sign(a - b) : undefined;
  if (typeof a === "string") return typeof b === "string" ? (a < b ? -1 : a > b ? 1 : 0) : undefined;
  if (typeof a === "boolean") return typeof b === "boolean" ? (a === b ? 0 : a ? 1 : -1) : undefined;
  if (a instanceof Instant) return b instanceof Instant ? Math.sign(a.ms - b.ms) : undefined;
  if (a instanceof Span) return b instanceof Span ? Math.sign(a.totalMs - b.totalMs) : undefined;
  if (a instanceof TimeOfDay) return b instanceof TimeOfDay ? Math.sign(a.seconds - b.seconds) : undefined;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return undefined;
  // Lists and records: equal or not (`<` between them means nothing, and the checker forbids it).
  return deepEqual(a, b) ? 0 : 1;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(b)) return false;
  if (a instanceof Instant || a instanceof Span || a instanceof TimeOfDay) return compare(a, b) === 0;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.hasOwn(b, key) || !deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  return true;
}

function arithmetic(op: "+" | "-" | "*" | "/", left: unknown, right: unknown): unknown {
  if (left === null || right === null) return null;
  if (typeof left === "number" && typeof right === "number") {
    switch (op) {
      case "+":
        return left + right;
      case "-":
        return left - right;
      case "*":
        return left * right;
      case "/":
        return right === 0 ? null : left / right;
    }
  }
  if (left instanceof Instant && right instanceof Span && (op === "+" || op === "-")) {
    return new Instant(shiftMs(left.ms, right, op === "+" ? 1 : -1), left.dateOnly && right.ms % DAY === 0);
  }
  if (left instanceof Span && right instanceof Span && (op === "+" || op === "-")) {
    const sign = op === "+" ? 1 : -1;
    return new Span(left.months + sign * right.months, left.ms + sign * right.ms);
  }
  if (left instanceof Span && typeof right === "number" && (op === "*" || op === "/")) {
    if (op === "/" && right === 0) return null;
    const factor = op === "*" ? right : 1 / right;
    // As PostgreSQL scales an interval: whole months stay months, the fraction spills into 30-day months.
    const months = Math.trunc(left.months * factor);
    return new Span(months, Math.round((left.months * factor - months) * 30 * DAY + left.ms * factor));
  }
  return bug(`\`${op}\` between ${describe(left)} and ${describe(right)}`);
}

function describe(v: unknown): string {
  if (v instanceof Instant) return "a date";
  if (v instanceof Span) return "a duration";
  if (v instanceof TimeOfDay) return "a time of day";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "a record" : `a ${typeof v}`;
}

/** Internal values as plain data. */
function toPlain(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object") return v;
  if (v instanceof Instant) return v.dateOnly ? new Date(v.ms).toISOString().slice(0, 10) : new Date(v.ms).toISOString();
  if (v instanceof Span) return v.toISO();
  if (v instanceof TimeOfDay) return v.toString();
  if (Array.isArray(v)) return v.some((item) => item instanceof Instant || item instanceof Span || item instanceof TimeOfDay || Array.isArray(item)) ? v.map(toPlain) : v;
  return v;
}

// ── Events and windows ──────────────────────────────────────────────────────

interface EventIndex {
  length: number;
  first: EventRecord | undefined;
  byName: Map<string, EventRecord[]>;
}

const indexes = new WeakMap<readonly EventRecord[], EventIndex>();
const noEvents: EventRecord[] = [];

function before(a: EventRecord, b: EventRecord): number {
  const d = a.occurredAt.getTime() - b.occurredAt.getTime();
  if (d !== 0) return d;
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
}

/** The customer's events of one name, in order; grouped once per events array (rebuilt when it grew). */
function eventsNamed(all: readonly EventRecord[], name: string): readonly EventRecord[] {
  let index = indexes.get(all);
  if (!index || index.length !== all.length || index.first !== all[0]) {
    const byName = new Map<string, EventRecord[]>();
    for (const event of all) {
      let list = byName.get(event.name);
      if (!list) {
        list = [];
        byName.set(event.name, list);
      }
      list.push(event);
    }
    // Callers pass events oldest first; sorting guards `last`/`first` if one did not.
    for (const list of byName.values()) {
      for (let i = 1; i < list.length; i++) {
        if (before(list[i - 1] as EventRecord, list[i] as EventRecord) > 0) {
          list.sort(before);
          break;
        }
      }
    }
    index = { length: all.length, first: all[0], byName };
    indexes.set(all, index);
  }
  return index.byName.get(name) ?? noEvents;
}

/** The index of the first event later than `ms`. */
function upperBound(events: readonly EventRecord[], ms: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as EventRecord).occurredAt.getTime() <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first event at or after `ms`. */
function lowerBound(events: readonly EventRecord[], ms: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as EventRecord).occurredAt.getTime() < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

let lastWindow: { now: number; duration: string; start: number } | undefined;

/** now minus a duration on the UTC calendar (remembered: the same window is asked for per event). */
function windowStart(now: number, duration: string): number {
  if (lastWindow && lastWindow.now === now && lastWindow.duration === duration) return lastWindow.start;
  const start = shiftMs(now, parseDuration(duration), -1);
  lastWindow = { now, duration, start };
  return start;
}

/** [lo, hi) of the events in a window: up to now; `last` includes its start; `since` is strictly after the latest anchor event, and empty without one. */
function windowRange(events: readonly EventRecord[], window: Window, ctx: ConditionContext): [number, number] {
  const now = ctx.now.getTime();
  const hi = upperBound(events, now);
  switch (window.kind) {
    case "ever":
      return [0, hi];
    case "last":
      return [lowerBound(events, windowStart(now, window.duration)), hi];
    case "since": {
      const anchors = eventsNamed(ctx.events, window.event);
      const latest = upperBound(anchors, now) - 1;
      if (latest < 0) return [0, 0];
      return [upperBound(events, (anchors[latest] as EventRecord).occurredAt.getTime()), hi];
    }
  }
}

function aggregate(expr: Extract<Expr, { kind: "aggregate" }>, ctx: ConditionContext): unknown {
  const events = eventsNamed(ctx.events, expr.event);
  const [lo, hi] = windowRange(events, expr.window, ctx);
  if (expr.fn === "count") {
    if (!expr.where) return Math.max(0, hi - lo);
    let count = 0;
    for (let i = lo; i < hi; i++) if (value(expr.where, ctx, (events[i] as EventRecord).properties) === true) count++;
    return count;
  }
  const read = expr.value ?? bug(`\`${expr.fn}\` of ${expr.event} with no field to read`);
  let sum = 0;
  let n = 0;
  let best: unknown = null;
  for (let i = lo; i < hi; i++) {
    const props = (events[i] as EventRecord).properties;
    if (expr.where && value(expr.where, ctx, props) !== true) continue;
    const v = value(read, ctx, props);
    if (v === null) continue;
    n++;
    if (expr.fn === "sum" || expr.fn === "avg") {
      if (typeof v !== "number") bug(`\`${expr.fn}\` of ${describe(v)}`);
      sum += v;
    } else if (best === null) best = v;
    else {
      const order = compare(v, best) ?? bug(`\`${expr.fn}\` of values that cannot be compared`);
      if (expr.fn === "min" ? order < 0 : order > 0) best = v;
    }
  }
  if (expr.fn === "sum") return sum;
  if (n === 0) return null;
  return expr.fn === "avg" ? sum / n : best;
}

/** JSON with sorted keys: the same key for the same tree whatever its key order. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const record = v as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(",")}}`;
}
