import { describe, expect, it } from "vitest";
import { compileExamples } from "../testing/examples.js";
import type { ConditionContext, EventRecord } from "./conditions.js";
import { decayed, pointsFor } from "./scores.js";

const NOW = new Date("2025-06-15T12:00:00Z");
const DAY = 86_400_000;

function ctx(): ConditionContext {
  return { now: NOW, customer: {}, events: [], inSegment: () => false, score: () => 0, inList: () => false, lookup: () => undefined, rfmQuintile: () => 1 };
}
const event = (name: string, properties: Record<string, unknown>): EventRecord => ({ messageId: "m1", name, occurredAt: NOW, properties });

describe("decayed", () => {
  it("halves every half-life and keeps a score without one", () => {
    const asOf = new Date(NOW.getTime() - 14 * DAY);
    expect(decayed(80, asOf, NOW, "P14D")).toBeCloseTo(40, 10);
    expect(decayed(80, new Date(NOW.getTime() - 28 * DAY), NOW, "P14D")).toBeCloseTo(20, 10);
    expect(decayed(80, new Date(NOW.getTime() - 7 * DAY), NOW, "P2W")).toBeCloseTo(80 / Math.SQRT2, 10);
    expect(decayed(80, asOf, NOW, "P1M")).toBeCloseTo(80 * 0.5 ** (14 / 30), 10);
    expect(decayed(80, asOf, NOW)).toBe(80);
    expect(decayed(80, NOW, NOW, "P14D")).toBe(80);
  });
});

describe("pointsFor", () => {
  const project = compileExamples();
  const lead = project.project.scores.find((s) => s.name === "lead_score");
  if (!lead) throw new Error("the examples have a lead_score");

  it("sums the matching rules of the examples' lead score, where included", () => {
    expect(pointsFor(lead, event("email_opened", { message: "x" }), ctx())).toBe(5);
    expect(pointsFor(lead, event("page_view", { url: "https://x/pricing" }), ctx())).toBe(15);
    expect(pointsFor(lead, event("page_view", { url: "https://x/shop" }), ctx())).toBe(0);
    expect(pointsFor(lead, event("form_submitted", { form: "quote" }), ctx())).toBe(25);
    expect(pointsFor(lead, event("form_submitted", { form: "newsletter" }), ctx())).toBe(0);
    expect(pointsFor(lead, event("unsubscribed", { channel: "email" }), ctx())).toBe(-30);
    expect(pointsFor(lead, event("unsubscribed", { channel: "sms" }), ctx())).toBe(0);
    expect(pointsFor(lead, event("purchase", { total: 10 }), ctx())).toBe(0);
  });

  it("adds every rule that matches the same event", () => {
    const score = { name: "s", rules: [{ points: 2, event: "a" }, { points: 3, event: "a" }, { points: 7, event: "b" }], source: lead.source };
    expect(pointsFor(score, event("a", {}), ctx())).toBe(5);
  });
});
