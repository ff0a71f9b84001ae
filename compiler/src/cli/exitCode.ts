import { InvalidArgumentError } from "commander";

export interface CheckCounts {
  errors: number;
  warnings: number;
}

/**
 * The exit code of `journey check`: 1 when there is an error, or more warnings than `maxWarnings`
 * (no limit when it is undefined); else 0.
 */
export function checkExitCode(counts: CheckCounts, maxWarnings?: number): 0 | 1 {
  return counts.errors > 0 || tooManyWarnings(counts, maxWarnings) ? 1 : 0;
}

/** True when the warnings alone make `journey check` fail. */
export function tooManyWarnings(counts: CheckCounts, maxWarnings?: number): boolean {
  return maxWarnings !== undefined && counts.warnings > maxWarnings;
}

/** The value of `--max-warnings`: a whole number, 0 or more (commander reports the error as a usage error). */
export function parseMaxWarnings(value: string): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed)) throw new InvalidArgumentError("expected a whole number, 0 or more.");
  const count = Number(trimmed);
  if (!Number.isSafeInteger(count)) throw new InvalidArgumentError("expected a whole number, 0 or more.");
  return count;
}
