import { createHash } from "node:crypto";

/** Keys that read best first; every other key follows in code-point order. */
const leadingKeys = ["format", "kind", "id", "name", "label", "from", "to", "file", "start", "end", "line", "column"];

function compareKeys(a: string, b: string): number {
  const ia = leadingKeys.indexOf(a);
  const ib = leadingKeys.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? leadingKeys.length : ia) - (ib < 0 ? leadingKeys.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The one way IR is written: object keys in a fixed order (the leading keys above, then the rest
 * in code-point order), two-space indentation, `undefined` members left out, a final newline.
 * Arrays keep their order (the lowering sorts the ones whose order means nothing). The same value
 * always gives the same bytes, on any machine.
 */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`cannot write ${value} in JSON`);
    return value;
  }
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareKeys)) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
