import { describe, expect, it } from "vitest";
import {
  addDuration,
  annualOccurrences,
  customerZoneField,
  nextTimeOfDay,
  parseDuration,
  parseInstant,
  quietHoursEnd,
  scheduleOccurrences,
  subtractDuration,
  zoneName,
} from "./time.js";

const d = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((x) => x.toISOString());

describe("durations", () => {
  it("adds and subtracts each unit, months on the UTC calendar clamped to the month's end", () => {
    expect(addDuration(d("2025-01-01T00:00:00Z"), "PT30M").toISOString()).toBe("2025-01-01T00:30:00.000Z");
    expect(addDuration(d("2025-01-01T00:00:00Z"), "PT1H").toISOString()).toBe("2025-01-01T01:00:00.000Z");
    expect(addDuration(d("2025-01-01T00:00:00Z"), "P2D").toISOString()).toBe("2025-01-03T00:00:00.000Z");
    expect(addDuration(d("2025-01-01T00:00:00Z"), "P1W").toISOString()).toBe("2025-01-08T00:00:00.000Z");
    expect(addDuration(d("2025-01-31T10:00:00Z"), "P1M").toISOString()).toBe("2025-02-28T10:00:00.000Z");
    expect(addDuration(d("2024-01-31T10:00:00Z"), "P1M").toISOString()).toBe("2024-02-29T10:00:00.000Z");
    expect(subtractDuration(d("2025-03-31T10:00:00Z"), "P1M").toISOString()).toBe("2025-02-28T10:00:00.000Z");
    expect(subtractDuration(d("2025-05-15T00:00:00Z"), "P3M").toISOString()).toBe("2025-02-15T00:00:00.000Z");
  });

  it("rejects what is not a duration, naming it", () => {
    expect(() => addDuration(d("2025-01-01T00:00:00Z"), "2 days")).toThrow(/"2 days" is not an ISO-8601 duration/);
    expect(() => parseDuration("P")).toThrow(RangeError);
    expect(parseDuration("P1DT2H").toISO()).toBe("P1DT2H");
    expect(parseDuration("P1M").totalMs).toBe(30 * 86_400_000);
  });
});

describe("zones", () => {
  const fields = [
    { name: "country", type: { kind: "scalar", name: "country" }, optional: false },
    { name: "tz", type: { kind: "scalar", name: "timezone" }, optional: false, default: "Europe/Rome" },
  ] as const;

  it("finds the customer's zone field and reads it, falling back to UTC for a bad or missing zone", () => {
    expect(customerZoneField([...fields])).toBe("tz");
    expect(customerZoneField([fields[0]])).toBeUndefined();
    expect(zoneName({ kind: "customer" }, { tz: "America/New_York" }, "tz")).toBe("America/New_York");
    expect(zoneName({ kind: "customer" }, { tz: "Mars/Olympus" }, "tz")).toBe("UTC");
    expect(zoneName({ kind: "customer" }, {}, undefined)).toBe("UTC");
    expect(zoneName({ kind: "fixed", name: "Europe/Rome" }, {}, "tz")).toBe("Europe/Rome");
    expect(zoneName({ kind: "utc" }, { tz: "Europe/Rome" }, "tz")).toBe("UTC");
    expect(() => zoneName({ kind: "fixed", name: "Europe/Nowhere" }, {})).toThrow(/"Europe\/Nowhere" is not an IANA time zone/);
  });
});

describe("nextTimeOfDay", () => {
  it("finds the next 09:00 in Rome and New York, today or tomorrow", () => {
    expect(nextTimeOfDay(d("2025-06-15T05:00:00Z"), "09:00", "Europe/Rome").toISOString()).toBe("2025-06-15T07:00:00.000Z");
    expect(nextTimeOfDay(d("2025-06-15T07:00:00Z"), "09:00", "Europe/Rome").toISOString()).toBe("2025-06-15T07:00:00.000Z");
    expect(nextTimeOfDay(d("2025-06-15T07:00:01Z"), "09:00", "Europe/Rome").toISOString()).toBe("2025-06-16T07:00:00.000Z");
    expect(nextTimeOfDay(d("2025-01-15T20:00:00Z"), "09:00", "America/New_York").toISOString()).toBe("2025-01-16T14:00:00.000Z");
    expect(nextTimeOfDay(d("2025-01-15T20:00:00Z"), "21:30", "UTC").toISOString()).toBe("2025-01-15T21:30:00.000Z");
  });

  it("moves a time the clocks skip to the end of the gap, and takes the first of a repeated time", () => {
    // Europe/Rome springs forward on 2025-03-30 at 02:00 → 03:00 (01:00 UTC).
    expect(nextTimeOfDay(d("2025-03-29T23:00:00Z"), "02:30", "Europe/Rome").toISOString()).toBe("2025-03-30T01:00:00.000Z");
    // The day after, 02:30 exists again (CEST, +02:00).
    expect(nextTimeOfDay(d("2025-03-30T02:00:00Z"), "02:30", "Europe/Rome").toISOString()).toBe("2025-03-31T00:30:00.000Z");
    // America/New_York falls back on 2025-11-02: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    expect(nextTimeOfDay(d("2025-11-02T04:00:00Z"), "01:30", "America/New_York").toISOString()).toBe("2025-11-02T05:30:00.000Z");
    expect(nextTimeOfDay(d("2025-11-02T06:00:00Z"), "01:30", "America/New_York").toISOString()).toBe("2025-11-02T06:30:00.000Z");
    // 09:00 on DST days keeps its local meaning.
    expect(nextTimeOfDay(d("2025-03-30T00:00:00Z"), "09:00", "Europe/Rome").toISOString()).toBe("2025-03-30T07:00:00.000Z");
    expect(nextTimeOfDay(d("2025-10-26T00:00:00Z"), "09:00", "Europe/Rome").toISOString()).toBe("2025-10-26T08:00:00.000Z");
  });

  it("rejects a bad time of day or zone with a precise error", () => {
    expect(() => nextTimeOfDay(d("2025-01-01T00:00:00Z"), "9:00", "UTC")).toThrow(/"9:00" is not a time of day/);
    expect(() => nextTimeOfDay(d("2025-01-01T00:00:00Z"), "09:00", "Rome")).toThrow(/"Rome" is not an IANA time zone/);
  });
});

describe("schedules", () => {
  it("fires every day at a local time, once on the day the clocks go back", () => {
    const days = scheduleOccurrences({ kind: "day" }, "08:00", "Europe/Rome", d("2025-10-25T00:00:00Z"), d("2025-10-27T23:00:00Z"));
    expect(iso(days)).toEqual(["2025-10-25T06:00:00.000Z", "2025-10-26T07:00:00.000Z", "2025-10-27T07:00:00.000Z"]);
    const repeated = scheduleOccurrences({ kind: "day" }, "02:30", "Europe/Rome", d("2025-10-26T00:00:00Z"), d("2025-10-26T12:00:00Z"));
    expect(iso(repeated)).toEqual(["2025-10-26T00:30:00.000Z"]);
  });

  it("fires on a weekday, bounds exclusive at the start and inclusive at the end", () => {
    // 2025-06-16 is a Monday.
    const mondays = scheduleOccurrences({ kind: "weekday", day: "monday" }, "10:00", "America/New_York", d("2025-06-16T14:00:00Z"), d("2025-06-30T14:00:00Z"));
    expect(iso(mondays)).toEqual(["2025-06-23T14:00:00.000Z", "2025-06-30T14:00:00.000Z"]);
    expect(() => scheduleOccurrences({ kind: "weekday", day: "funday" }, undefined, "UTC", d("2025-06-16T00:00:00Z"), d("2025-06-30T00:00:00Z"))).toThrow(/not a day of the week/);
  });

  it("fires every period from an anchor, at a time of day when given", () => {
    const anchor = d("2025-01-01T09:00:00Z");
    expect(iso(scheduleOccurrences({ kind: "period", period: "P14D" }, undefined, "UTC", d("2025-01-01T09:00:00Z"), d("2025-02-12T09:00:00Z"), anchor))).toEqual([
      "2025-01-15T09:00:00.000Z",
      "2025-01-29T09:00:00.000Z",
      "2025-02-12T09:00:00.000Z",
    ]);
    expect(iso(scheduleOccurrences({ kind: "period", period: "P1M" }, "08:00", "Europe/Rome", d("2025-01-01T00:00:00Z"), d("2025-04-30T00:00:00Z"), d("2025-01-31T12:00:00Z")))).toEqual([
      "2025-01-31T07:00:00.000Z",
      "2025-02-28T07:00:00.000Z",
      "2025-03-31T06:00:00.000Z",
    ]);
    expect(iso(scheduleOccurrences({ kind: "period", period: "PT6H" }, undefined, "UTC", d("1970-01-02T00:00:00Z"), d("1970-01-02T12:00:00Z")))).toEqual([
      "1970-01-02T06:00:00.000Z",
      "1970-01-02T12:00:00.000Z",
    ]);
    expect(() => scheduleOccurrences({ kind: "period", period: "PT6H" }, "09:00", "UTC", d("2025-01-01T00:00:00Z"), d("2025-01-02T00:00:00Z"))).toThrow(/cannot also have a time of day/);
  });
});

describe("birthdays", () => {
  it("returns every year at the local time, Feb 29 on Feb 28 in common years", () => {
    const years = annualOccurrences("1992-02-29", "09:00", "Europe/Rome", d("2025-01-01T00:00:00Z"), d("2028-12-31T00:00:00Z"));
    expect(iso(years)).toEqual(["2025-02-28T08:00:00.000Z", "2026-02-28T08:00:00.000Z", "2027-02-28T08:00:00.000Z", "2028-02-29T08:00:00.000Z"]);
    expect(iso(annualOccurrences("1990-04-12", undefined, "America/New_York", d("2025-01-01T00:00:00Z"), d("2025-12-31T00:00:00Z")))).toEqual(["2025-04-12T04:00:00.000Z"]);
    expect(iso(annualOccurrences("1990-04-12T23:30:00-05:00", "09:00", "UTC", d("2025-01-01T00:00:00Z"), d("2025-12-31T00:00:00Z")))).toEqual(["2025-04-12T09:00:00.000Z"]);
    expect(() => annualOccurrences("12/04/1990", "09:00", "UTC", d("2025-01-01T00:00:00Z"), d("2025-12-31T00:00:00Z"))).toThrow(/"12\/04\/1990" is not a date/);
  });
});

describe("quiet hours", () => {
  it("ends a window that crosses midnight at its end, in the zone", () => {
    expect(quietHoursEnd(d("2025-06-15T20:30:00Z"), "21:00", "08:00", "Europe/Rome")?.toISOString()).toBe("2025-06-16T06:00:00.000Z");
    expect(quietHoursEnd(d("2025-06-16T03:00:00Z"), "21:00", "08:00", "Europe/Rome")?.toISOString()).toBe("2025-06-16T06:00:00.000Z");
    expect(quietHoursEnd(d("2025-06-16T06:00:00Z"), "21:00", "08:00", "Europe/Rome")).toBeUndefined();
    expect(quietHoursEnd(d("2025-06-15T18:59:59Z"), "21:00", "08:00", "Europe/Rome")).toBeUndefined();
    expect(quietHoursEnd(d("2025-06-15T19:00:00Z"), "21:00", "08:00", "Europe/Rome")?.toISOString()).toBe("2025-06-16T06:00:00.000Z");
  });

  it("handles a same-day window and an empty one", () => {
    expect(quietHoursEnd(d("2025-06-15T13:00:00Z"), "12:00", "14:00", "UTC")?.toISOString()).toBe("2025-06-15T14:00:00.000Z");
    expect(quietHoursEnd(d("2025-06-15T15:00:00Z"), "12:00", "14:00", "UTC")).toBeUndefined();
    expect(quietHoursEnd(d("2025-06-15T15:00:00Z"), "12:00", "12:00", "UTC")).toBeUndefined();
  });
});

describe("parseInstant", () => {
  it("reads Dates, ISO datetimes (no offset is UTC) and calendar days; null otherwise", () => {
    expect(parseInstant(d("2025-01-01T00:00:00Z"))?.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(parseInstant("2025-04-12T09:30:00+02:00")?.toISOString()).toBe("2025-04-12T07:30:00.000Z");
    expect(parseInstant("2025-04-12T09:30:00")?.toISOString()).toBe("2025-04-12T09:30:00.000Z");
    expect(parseInstant("2025-04-12")?.toISOString()).toBe("2025-04-12T00:00:00.000Z");
    expect(parseInstant("2025-02-30")).toBeNull();
    expect(parseInstant("yesterday")).toBeNull();
    expect(parseInstant(1_700_000_000_000)).toBeNull();
    expect(parseInstant(new Date(Number.NaN))).toBeNull();
  });
});
