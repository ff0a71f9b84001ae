/**
 * Result parsing shared by both stores, so the same query gives the same JavaScript values on
 * PostgreSQL and on PGlite (their drivers disagree on int8 and date by default).
 */
export const OID = {
  int8: 20,
  int8Array: 1016,
  date: 1082,
  dateArray: 1182,
} as const;

/** int8 as a number: counts and tokens are far below 2^53; past it, fail loudly rather than round. */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} does not fit a JavaScript number: cast it to text in the query`);
  }
  return value;
}

/** A calendar date stays a 'YYYY-MM-DD' string: a Date would invent a time and a time zone. */
export function parseDate(text: string): string {
  return text;
}
