import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { irJsonSchema } from "./jsonSchema.js";
import { durationSchema, exprSchema, irFileSchema, nodeIdSchema } from "./schema.js";

const committed = join(import.meta.dirname, "../../../docs/ir.schema.json");

describe("docs/ir.schema.json", () => {
  it("is the JSON Schema generated from the zod schema (UPDATE_IR_SCHEMA=1 rewrites it)", () => {
    const generated = `${JSON.stringify(irJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_IR_SCHEMA) writeFileSync(committed, generated);
    expect(readFileSync(committed, "utf8")).toBe(generated);
  });

  it("declares draft 2020-12", () => {
    expect(irJsonSchema().$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });
});

describe("the zod schema", () => {
  it("takes durations with one unit only", () => {
    for (const ok of ["PT30M", "PT1H", "P2D", "P1W", "P3M", "P0D"]) expect(durationSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["2 days", "P1DT2H", "PT", "P1Y", "p2d", "P-1D", 172800000]) expect(durationSchema.safeParse(bad).success, String(bad)).toBe(false);
  });

  it("takes labels, derived ids and the two fixed ids as node ids", () => {
    for (const ok of ["reminder", "send-0211d95c", "start_journey-0123456789abcdef", "journey-start", "journey-end"]) expect(nodeIdSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["send-XYZ", "9lives", "send-0211d95", "journey-middle", ""]) expect(nodeIdSchema.safeParse(bad).success, bad).toBe(false);
  });

  it("reads expression trees and rejects what is not one", () => {
    const tree = {
      kind: "and",
      operands: [
        { kind: "compare", op: ">", left: { kind: "aggregate", fn: "sum", event: "purchase", value: { kind: "field", source: "event", path: ["total"], type: "number" }, window: { kind: "last", duration: "P90D" }, type: "number" }, right: { kind: "number", value: 500 } },
        { kind: "not", operand: { kind: "in_list", list: "vip" } },
      ],
    };
    expect(exprSchema.parse(tree)).toEqual(tree);
    expect(exprSchema.safeParse({ kind: "javascript", source: "customer.total > 5" }).success).toBe(false);
    expect(exprSchema.safeParse({ kind: "and", operands: [{ kind: "bool", value: true }] }).success).toBe(false);
    expect(exprSchema.safeParse({ kind: "bool", value: true, extra: 1 }).success).toBe(false);
  });

  it("tells the three kinds of file apart and checks the format", () => {
    expect(irFileSchema.safeParse({ format: "journey-ir/2", kind: "manifest" }).success).toBe(false);
    expect(irFileSchema.safeParse({ format: "journey-ir/1", kind: "plan" }).success).toBe(false);
  });
});
