import { describe, expect, it } from "vitest";
import type { Expr, Segment } from "../ir/schema.js";
import { LoweringError } from "./common.js";
import { compile } from "./project.js";
import { segmentSql } from "./sql.js";

const schema = `
customer {
  identified by customer_id
  customer_id text
  country     country
  note        text?
}
event purchase { total money   channel text }
list vip
`;

function segments(text: string): Segment[] {
  const result = compile(
    [
      { file: "schema.journey", text: schema },
      { file: "s.journey", text },
    ],
    { project: "test" },
  );
  if (!result.build) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return result.build.project.segments;
}

const layoutTables = new Set(['"customers"', '"events"', '"list_members"', '"scores"', '"objects"']);

describe("segment SQL", () => {
  const hostile = `'); DROP TABLE customers; -- "x" $1 {a,b}`;
  const [segment] = segments(`segment s = note == ${JSON.stringify(hostile)} or count(purchase where channel contains ${JSON.stringify(hostile)}, last 2 days) > 1 or customer in vip`);

  it("passes every value as a parameter: nothing from the source is in the text", () => {
    expect(segment?.sql.query).not.toContain("DROP");
    expect(segment?.sql.query).not.toContain("vip");
    expect(segment?.sql.query).not.toContain("purchase");
    expect(segment?.sql.params).toEqual([{ kind: "value", value: hostile }, { kind: "value", value: "purchase" }, { kind: "now" }, { kind: "value", value: "P2D" }, { kind: "value", value: 1 }, { kind: "value", value: "vip" }]);
  });

  it("takes the time as a parameter, and never asks the database for it", () => {
    expect(segment?.sql.query).not.toMatch(/now\(\)|current_(date|time)|localtime|clock_timestamp|statement_timestamp/i);
    expect(segment?.sql.query).toContain("$3::timestamptz");
  });

  it("names only the layout's tables, quoted, and field names only inside JSON paths", () => {
    const query = segment?.sql.query ?? "";
    for (const table of query.matchAll(/(?:FROM|JOIN) ("?\w+"?)/g)) expect(layoutTables.has(table[1] as string), table[1]).toBe(true);
    expect(query).toContain(`c."profile" #>> '{note}'`);
    expect(query).toContain(`e1."properties" #>> '{channel}'`);
  });

  it("reuses one parameter for a value used twice, and has no `now` when time does not matter", () => {
    const [only] = segments('segment t = country == "IT" or country == "IT"');
    expect(only?.sql.params).toEqual([{ kind: "value", value: "IT" }]);
    expect(only?.sql.query).toBe(
      `SELECT c."customer_id" FROM "customers" AS c\nWHERE (COALESCE(((c."profile" #>> '{country}') = $1::text), FALSE) OR COALESCE(((c."profile" #>> '{country}') = $1::text), FALSE))\nORDER BY c."customer_id"`,
    );
  });

  it("refuses what a segment cannot read (the checker keeps it out)", () => {
    const catalog = (predicate: Expr) => ({ segments: new Map([["s", predicate]]), scoreHalfLives: new Map() });
    expect(() => segmentSql("s", catalog({ kind: "compare", op: "==", left: { kind: "field", source: "trigger", path: ["x"], type: "text" }, right: { kind: "text", value: "a" } }))).toThrow(LoweringError);
    expect(() => segmentSql("s", catalog({ kind: "compare", op: "==", left: { kind: "field", source: "event", path: ["x"], type: "text" }, right: { kind: "text", value: "a" } }))).toThrow(LoweringError);
    expect(() => segmentSql("s", catalog({ kind: "is_set", subject: { kind: "field", source: "customer", path: ["x'); --"], type: "text" } }))).toThrow(LoweringError);
    expect(() => segmentSql("s", catalog({ kind: "segment", name: "s" }))).toThrow(/loop/);
  });
});
