/**
 * Time arithmetic for the engine: ISO durations (calendar months on the UTC calendar, as the IR and
 * the segment SQL count them), time zones, times of day across DST changes, schedules, birthdays and
 * quiet hours. Pure functions of their arguments: the caller passes the time (never Date.now()).
 */
import type { Field, Zone } from "@journey/compiler/ir";
import { DateTime, IANAZone } from "luxon";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A length of time: calendar months plus a fixed number of milliseconds (days count as 24 hours, the UTC calendar). */
export class Span {
  constructor(
    readonly months: number,
    readonly ms: number,
  ) {}

  /** As PostgreSQL compares and divides intervals: a month is 30 days. */
  get totalMs(): number {
    return this.months * 30 * DAY + this.ms;
  }

  /** ISO-8601, the largest units first (`P1M`, `P2D`, `PT1H30M`, `P0D`). */
  toISO(): string {
    const sign = this.months < 0 || (this.months === 0 && this.ms < 0) ? "-" : "";
    const months = Math.abs(this.months);
    let rest = Math.abs(this.ms);
    const days = Math.floor(rest / DAY);
    rest -= days * DAY;
    const hours = Math.floor(rest / HOUR);
    rest -= hours * HOUR;
    const minutes = Math.floor(rest / MINUTE);
    rest -= minutes * MINUTE;
    const seconds = rest / 1000;
    let date = "";
    if (months) date += `${months}M`;
    if (days) date += `${days}D`;
    let time = "";
    if (hours) time += `${hours}H`;
    if (minutes) time += `${minutes}M`;
    if (seconds) time += `${seconds}S`;
    if (!date && !time) return "P0D";
    return `${sign}P${date}${time ? `T${time}` : ""}`;
  }
}

const isoDuration = /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const spanCache = new Map<string, Span>();

/** Parses an ISO-8601 duration (`P2D`, `PT30M`, `P3M`, also several units as in `P1DT2H`); throws a RangeError naming the value otherwise. */
export function parseDuration(iso: string): Span {
  const cached = spanCache.get(iso);
  if (cached) return cached;
  const m = isoDuration.exec(iso);
  if (!m || iso === "P" || iso.endsWith("T")) {
    throw new RangeError(`"${iso}" is not an ISO-8601 duration: write it as P2D, PT30M, PT1H, P1W or P3M`);
  }
  const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]));
  const sign = m[1] ? -1 : 1;
  const span = new Span(sign * (n(2) * 12 + n(3)), sign * (n(4) * 7 * DAY + n(5) * DAY + n(6) * HOUR + n(7) * MINUTE + n(8) * 1000));
  // Durations from data are unbounded: a full cache starts over rather than growing.
  if (spanCache.size >= 10_000) spanCache.clear();
  spanCache.set(iso, span);
  return span;
}

/** `ms` moved by `sign` times the span: months on the UTC calendar (the day clamped to the month's end, as PostgreSQL does), then the fixed part. */
export function shiftMs(ms: number, span: Span, sign: 1 | -1): number {
  // Subtraction undoes addition in reverse order: the fixed part first, then the months.
  let at = sign === 1 ? ms : ms - span.ms;
  if (span.months !== 0) at = DateTime.fromMillis(at, { zone: "utc" }).plus({ months: sign * span.months }).toMillis();
  return sign === 1 ? at + span.ms : at;
}

export function addDuration(at: Date, iso: string): Date {
  return new Date(shiftMs(at.getTime(), parseDuration(iso), 1));
}

export function subtractDuration(at: Date, iso: string): Date {
  return new Date(shiftMs(at.getTime(), parseDuration(iso), -1));
}

// ── Zones ───────────────────────────────────────────────────────────────────

const zones = new Map<string, IANAZone | null>();

function ianaZone(name: string): IANAZone | null {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = IANAZone.isValidZone(name) ? IANAZone.create(name) : null;
    zones.set(name, zone);
  }
  return zone;
}

/** Whether `name` is an IANA time zone this Node knows (`Europe/Rome`, `UTC`). */
export function isValidZone(name: string): boolean {
  return ianaZone(name) !== null;
}

function zoneOrThrow(name: string): IANAZone {
  const zone = ianaZone(name);
  if (!zone) throw new RangeError(`"${name}" is not an IANA time zone: use a name such as "Europe/Rome", "America/New_York" or "UTC"`);
  return zone;
}

/** The IANA zone a time of day is in: a fixed zone as written, the customer's own (their timezone field, when it is a valid zone; else UTC), or UTC. */
export function zoneName(zone: Zone, customer: Record<string, unknown>, customerZoneField?: string): string {
  switch (zone.kind) {
    case "utc":
      return "UTC";
    case "fixed":
      zoneOrThrow(zone.name);
      return zone.name;
    case "customer": {
      const value = customerZoneField === undefined ? undefined : customer[customerZoneField];
      return typeof value === "string" && isValidZone(value) ? value : "UTC";
    }
  }
}

/** The customer field that holds their time zone: the first top-level field of scalar type `timezone`. */
export function customerZoneField(fields: readonly Field[]): string | undefined {
  return fields.find((f) => f.type.kind === "scalar" && f.type.name === "timezone")?.name;
}

// ── Times of day ────────────────────────────────────────────────────────────

const timeOfDay = /^([01]\d|2[0-3]):([0-5]\d)$/;

function parseTimeOfDay(hhmm: string): { hour: number; minute: number } {
  const m = timeOfDay.exec(hhmm);
  if (!m) throw new RangeError(`"${hhmm}" is not a time of day: write it as HH:MM on the 24-hour clock, such as 09:00 or 21:30`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/**
 * The instants at which the wall clock in `zone` shows year-month-day hour:minute, earliest first:
 * one on most days, two when the clocks go back (the hour repeats), and when the clocks go forward
 * over that time (02:30 in a 02:00→03:00 gap) the single instant the gap ends (03:00 local).
 */
function localInstants(zone: IANAZone, year: number, month: number, day: number, hour: number, minute: number): number[] {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = zone.offset(wall - DAY);
  const after = zone.offset(wall + DAY);
  const found: number[] = [];
  for (const offset of before === after ? [before] : [before, after]) {
    const at = wall - offset * MINUTE;
    if (zone.offset(at) === offset) found.push(at);
  }
  if (found.length > 0) return found.sort((a, b) => a - b);
  // In a gap: the clock jumps from `before` to `after`; find the first instant on the new offset.
  let lo = wall - after * MINUTE;
  let hi = wall - before * MINUTE;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === after) hi = mid;
    else lo = mid;
  }
  return [hi];
}

function localDate(ms: number, zone: string): DateTime {
  return DateTime.fromMillis(ms, { zone });
}

/**
 * The first instant at or after `after` when the clock in `zone` shows `hhmm`. On the day the clocks
 * go forward over that time (02:30 in Europe/Rome on the last Sunday of March) it is the instant the
 * gap ends (03:00 local); on the day they go back it is whichever of the two 01:30s comes first at
 * or after `after`.
 */
export function nextTimeOfDay(after: Date, hhmm: string, zone: string): Date {
  const z = zoneOrThrow(zone);
  const { hour, minute } = parseTimeOfDay(hhmm);
  const from = after.getTime();
  const start = localDate(from, zone).startOf("day");
  for (let d = -1; d <= 3; d++) {
    const day = start.plus({ days: d });
    for (const at of localInstants(z, day.year, day.month, day.day, hour, minute)) if (at >= from) return new Date(at);
  }
  throw new Error(`no ${hhmm} in ${zone} within three days of ${after.toISOString()}`);
}

/** The first instant of a local day at `at` (a repeated time counts once, at its first occurrence). */
function firstLocal(zone: IANAZone, day: DateTime, hour: number, minute: number): number {
  return localInstants(zone, day.year, day.month, day.day, hour, minute)[0] as number;
}

const weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/**
 * The times a schedule fires in (fromExclusive, toInclusive], in order. `day` and `weekday` fire once
 * a local day at `at` (00:00 when absent). A `period` fires at anchor + k·period (k any integer;
 * months on the zone's calendar, clamped to the month's end; anchor defaults to the epoch); with
 * `at`, on the local day of each of those at that time, which needs a period of whole days, weeks or
 * months.
 */
export function scheduleOccurrences(
  every: { kind: "day" } | { kind: "weekday"; day: string } | { kind: "period"; period: string },
  at: string | undefined,
  zone: string,
  fromExclusive: Date,
  toInclusive: Date,
  anchor?: Date,
): Date[] {
  const z = zoneOrThrow(zone);
  const { hour, minute } = parseTimeOfDay(at ?? "00:00");
  const from = fromExclusive.getTime();
  const to = toInclusive.getTime();
  const out: Date[] = [];
  if (to <= from) return out;
  if (every.kind === "day" || every.kind === "weekday") {
    let weekday = 0;
    if (every.kind === "weekday") {
      weekday = weekdays.indexOf(every.day) + 1;
      if (weekday === 0) throw new RangeError(`"${every.day}" is not a day of the week: use monday … sunday`);
    }
    const last = localDate(to, zone).startOf("day").plus({ days: 1 });
    for (let day = localDate(from, zone).startOf("day").minus({ days: 1 }); day <= last; day = day.plus({ days: 1 })) {
      if (weekday !== 0 && day.weekday !== weekday) continue;
      const instant = firstLocal(z, day, hour, minute);
      if (instant > from && instant <= to) out.push(new Date(instant));
    }
    return out;
  }
  const period = parseDuration(every.period);
  if (period.totalMs <= 0) throw new RangeError(`a schedule every ${every.period} never moves on: use a positive period`);
  const base = anchor?.getTime() ?? 0;
  const wholeDays = period.ms % DAY === 0;
  if (at !== undefined && !wholeDays) {
    throw new RangeError(`a schedule every ${every.period} cannot also have a time of day (${at}): use whole days, weeks or months, or drop \`at\``);
  }
  const baseLocal = localDate(base, zone);
  const nth = (k: number): number => {
    let moment: DateTime;
    if (period.months !== 0) moment = baseLocal.plus({ months: k * period.months });
    else if (wholeDays) moment = baseLocal.plus({ days: (k * period.ms) / DAY });
    else return base + k * period.ms;
    if (at === undefined) return moment.toMillis();
    return firstLocal(z, moment, hour, minute);
  };
  // Start a little before the estimated first k: local time and `at` shift occurrences by under a day (or a month).
  let k = Math.floor((from - base) / period.totalMs) - 2;
  while (nth(k) > from) k -= 2;
  for (; ; k++) {
    const instant = nth(k);
    if (instant > to) break;
    if (instant > from) out.push(new Date(instant));
  }
  return out;
}

const leadingDate = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * The yearly returns of a date (a birthday) in (fromExclusive, toInclusive], at `at` (00:00 when
 * absent) in `zone`. The day is the calendar day as written (`1990-04-12`, or the date part of a
 * datetime); 29 February is celebrated on 28 February in common years.
 */
export function annualOccurrences(date: string, at: string | undefined, zone: string, fromExclusive: Date, toInclusive: Date): Date[] {
  const z = zoneOrThrow(zone);
  const { hour, minute } = parseTimeOfDay(at ?? "00:00");
  const m = leadingDate.exec(date);
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (!m || month < 1 || month > 12 || day < 1 || day > 31) throw new RangeError(`"${date}" is not a date: write it as YYYY-MM-DD, such as 1990-04-12`);
  const from = fromExclusive.getTime();
  const to = toInclusive.getTime();
  const out: Date[] = [];
  const lastYear = localDate(to, zone).year + 1;
  for (let year = localDate(from, zone).year - 1; year <= lastYear; year++) {
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const on = DateTime.fromObject({ year, month, day: Math.min(day, daysInMonth) }, { zone: "utc" });
    const instant = firstLocal(z, on, hour, minute);
    if (instant > from && instant <= to) out.push(new Date(instant));
  }
  return out;
}

/**
 * When quiet hours end, if `at` falls in them; undefined otherwise. The window is [from, to) on the
 * clock in `zone` and crosses midnight when from > to (21:00-08:00); from == to is an empty window.
 */
export function quietHoursEnd(at: Date, from: string, to: string, zone: string): Date | undefined {
  zoneOrThrow(zone);
  const start = parseTimeOfDay(from);
  const end = parseTimeOfDay(to);
  const local = localDate(at.getTime(), zone);
  const now = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
  const a = start.hour * 60 + start.minute;
  const b = end.hour * 60 + end.minute;
  const inside = a < b ? now >= a && now < b : a > b ? now >= a || now < b : false;
  return inside ? nextTimeOfDay(at, to, zone) : undefined;
}

// ── Instants ────────────────────────────────────────────────────────────────

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
const withOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** A Date, an ISO-8601 datetime (no offset means UTC, never the machine's zone), or YYYY-MM-DD (UTC midnight); null for anything else. */
export function parseInstant(value: unknown): Date | null {
  const ms = instantMs(value);
  return ms === null ? null : new Date(ms);
}

/** parseInstant as milliseconds, without allocating a Date for strings. */
export function instantMs(value: unknown): number | null {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? null : ms;
  }
  if (typeof value !== "string") return null;
  // Date.parse rolls 2025-02-30 over to 2 March: the calendar day must exist.
  if (value.length >= 10 && !realDay(value)) return null;
  if (dateOnly.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(ms) ? null : ms;
  }
  if (withOffset.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  const parsed = DateTime.fromISO(value, { zone: "utc" });
  return parsed.isValid && value.includes("T") ? parsed.toMillis() : null;
}

function realDay(text: string): boolean {
  const m = leadingDate.exec(text);
  if (!m) return true;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether a value is a calendar day (YYYY-MM-DD) rather than a moment. */
export function isDateOnly(value: unknown): boolean {
  return typeof value === "string" && dateOnly.test(value);
}
