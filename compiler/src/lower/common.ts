import type { DurationLiteral, LineIndex, Literal, Span, TimeLiteral, TimeZone } from "@journey/language";
import type { Duration, SourceRange, Zone } from "../ir/schema.js";

/**
 * Something the checker guarantees was not so at lowering time. The compiler lowers only programs
 * the checker passed, so this is a bug: better to stop with a clear message than emit a wrong IR.
 */
export class LoweringError extends Error {
  override readonly name = "LoweringError";
}

/** The message the CLI shows for a LoweringError: it is the compiler's bug, or the checker's. */
export function explainLoweringError(error: LoweringError): string {
  return `${error.message}: the checker should have reported this; please report it as a bug, with the project attached`;
}

export function fail(message: string): never {
  throw new LoweringError(message);
}

/** The value, or a LoweringError saying what the checker should have made sure of. */
export function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) fail(`${what} is missing (the checker should have reported it)`);
  return value;
}

/** Maps checker file names to the paths written into the IR (relative to the project root) and offsets to 1-based lines and columns. */
export class SourceMap {
  constructor(
    private readonly lineIndexes: Map<string, LineIndex>,
    private readonly sourcePath: (file: string) => string,
  ) {}

  path(file: string): string {
    return this.sourcePath(file);
  }

  range(file: string, span: Span): SourceRange {
    const index = this.lineIndexes.get(file) ?? fail(`no text for ${file}`);
    const start = index.position(span.start);
    const end = index.position(span.end);
    return {
      file: this.sourcePath(file),
      start: { line: start.line + 1, column: start.column + 1 },
      end: { line: end.line + 1, column: end.column + 1 },
    };
  }
}

const isoUnits = { minute: "TM", hour: "TH", day: "D", week: "W", month: "M" } as const;

/** `2 days` → `P2D`, `30 minutes` → `PT30M`: ISO-8601 with the unit as written (a month stays a calendar month). */
export function isoDuration(literal: DurationLiteral | undefined): Duration {
  const duration = required(literal, "a duration");
  if (!Number.isInteger(duration.amount) || duration.amount < 0) fail(`a duration must be a whole number, not ${duration.amount}`);
  const unit = isoUnits[duration.unit];
  return unit.startsWith("T") ? `PT${duration.amount}${unit.slice(1)}` : `P${duration.amount}${unit}`;
}

export function timeOfDay(literal: TimeLiteral | undefined): string {
  const time = required(literal, "a time of day");
  return `${String(time.hour).padStart(2, "0")}:${String(time.minute).padStart(2, "0")}`;
}

export function zone(written: TimeZone | undefined): Zone {
  if (!written) return { kind: "utc" };
  if (written.kind === "CustomerTime") return { kind: "customer" };
  return { kind: "fixed", name: required(written.zone, "a time zone name").value };
}

/** A literal as a plain JSON value (a default, a parameter). */
export function literalValue(literal: Literal): string | number | boolean {
  switch (literal.kind) {
    case "StringLiteral":
      return literal.value;
    case "NumberLiteral":
    case "PercentLiteral":
      return literal.value;
    case "BooleanLiteral":
      return literal.value;
    case "DurationLiteral":
      return isoDuration(literal);
    case "TimeLiteral":
      return timeOfDay(literal);
    default: {
      const unknown: never = literal;
      return unknown;
    }
  }
}

export function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
