import type { Field } from "@journey/compiler/ir";
import { describe, expect, it } from "vitest";
import { compileExamples } from "../testing/examples.js";
import { setPath, withDefaults } from "./profile.js";

describe("withDefaults", () => {
  const fields = compileExamples().project.schema.customer.fields;

  it("fills the examples' defaults, lists and nested records without touching the input", () => {
    const input = { customer_id: "c1", country: "IT", consent: { email: true }, first_name: null, extra: 1 };
    const out = withDefaults(fields, input);
    expect(out).toMatchObject({ timezone: "Europe/Rome", language: "it", loyalty_tier: "none", lifecycle_stage: "subscriber", favourite_categories: [], winback_discount: 0, winback_offer_sent: false, consent: { email: true, sms: false, push: false }, extra: 1 });
    expect("first_name" in out).toBe(false);
    expect("birthday" in out).toBe(false);
    expect(input.consent).toEqual({ email: true });
    expect(withDefaults(fields, { customer_id: "c2", country: "FR" }).consent).toEqual({ email: false, sms: false, push: false });
    expect(withDefaults(fields, { customer_id: "c2", country: "FR", timezone: "America/New_York" }).timezone).toBe("America/New_York");
  });

  it("fills records inside lists", () => {
    const items: Field = { name: "items", optional: false, type: { kind: "list", element: { kind: "record", fields: [{ name: "quantity", optional: false, default: 1, type: { kind: "scalar", name: "int" } }] } } };
    expect(withDefaults([items], { items: [{ sku: "a" }, { sku: "b", quantity: 3 }] })).toEqual({ items: [{ sku: "a", quantity: 1 }, { sku: "b", quantity: 3 }] });
  });
});

describe("setPath", () => {
  it("sets nested fields in a copy, creating records on the way, and removes a field set to null", () => {
    const profile = { consent: { email: false, sms: true }, tier: "none" };
    const out = setPath(profile, ["consent", "email"], true);
    expect(out).toEqual({ consent: { email: true, sms: true }, tier: "none" });
    expect(profile.consent.email).toBe(false);
    expect(setPath({}, ["a", "b", "c"], 1)).toEqual({ a: { b: { c: 1 } } });
    expect(setPath(profile, ["tier"], null)).toEqual({ consent: { email: false, sms: true } });
    expect(() => setPath(profile, [], 1)).toThrow(/needs a field path/);
  });
});
