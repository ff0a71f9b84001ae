import type { Expr } from "@journey/compiler/ir";
import { describe, expect, it } from "vitest";
import { compileExamples } from "../testing/examples.js";
import { type ConditionContext, ConditionError, caseMatches, type EventRecord, evaluate, holds, holdsOn, rfmKey, rfmRaw } from "./conditions.js";
import { withDefaults } from "./profile.js";

const NOW = new Date("2025-06-15T12:00:00Z");
const DAY = 86_400_000;

let seq = 0;
function ev(name: string, at: Date | number, properties: Record<string, unknown> = {}, messageId = `m${String(++seq).padStart(6, "0")}`): EventRecord {
  return { messageId, name, occurredAt: typeof at === "number" ? new Date(NOW.getTime() - at * DAY) : at, properties };
}

function ctx(over: Partial<ConditionContext> = {}): ConditionContext {
  return {
    now: NOW,
    customer: {},
    events: [],
    inSegment: () => false,
    score: () => 0,
    inList: () => false,
    lookup: () => undefined,
    rfmQuintile: () => 3,
    ...over,
  };
}

const num = (value: number): Expr => ({ kind: "number", value });
const text = (value: string): Expr => ({ kind: "text", value });
const cust = (path: string[], type: Extract<Expr, { kind: "field" }>["type"], extra: Partial<Extract<Expr, { kind: "field" }>> = {}): Expr => ({
  kind: "field",
  source: "customer",
  path,
  type,
  ...extra,
});
const evField = (path: string[], type: Extract<Expr, { kind: "field" }>["type"]): Expr => ({ kind: "field", source: "event", path, type });
const cmp = (op: "==" | "!=" | "<" | "<=" | ">" | ">=", left: Expr, right: Expr): Expr => ({ kind: "compare", op, left, right });

describe("literals, fields and missing values", () => {
  it("reads customer fields by path, nested records included, and applies defaults to missing ones", () => {
    const c = ctx({ customer: { country: "IT", consent: { email: true }, note: null } });
    expect(evaluate(cust(["country"], "text"), c)).toBe("IT");
    expect(evaluate(cust(["consent", "email"], "bool"), c)).toBe(true);
    expect(evaluate(cust(["consent", "sms"], "bool", { default: false }), c)).toBe(false);
    expect(evaluate(cust(["note"], "text"), c)).toBeNull();
    expect(evaluate(cust(["note"], "text", { default: "n/a" }), c)).toBe("n/a");
    expect(evaluate(cust(["country", "deeper"], "text"), c)).toBeNull();
    expect(evaluate(cust([], "record"), c)).toEqual(c.customer);
  });

  it("does not read inherited properties", () => {
    expect(evaluate(cust(["constructor"], "text"), ctx())).toBeNull();
    expect(holds({ kind: "is_set", subject: cust(["toString"], "text") }, ctx())).toBe(false);
  });

  it("coerces data to the IR type and treats what does not fit as missing", () => {
    const c = ctx({ customer: { n: "12.5", bad: "abc", b: "true", d: "2025-02-30", dt: "2025-06-01T10:00:00+02:00" } });
    expect(evaluate(cust(["n"], "number"), c)).toBe(12.5);
    expect(evaluate(cust(["bad"], "number"), c)).toBeNull();
    expect(evaluate(cust(["b"], "bool"), c)).toBe(true);
    expect(evaluate(cust(["d"], "date"), c)).toBeNull();
    expect(evaluate(cust(["dt"], "datetime"), c)).toBe("2025-06-01T08:00:00.000Z");
    expect(evaluate(cust(["n"], "text"), ctx({ customer: { n: 7 } }))).toBe("7");
  });

  it("makes comparisons with a missing value false, `!=` included, and `not` of them true", () => {
    const c = ctx({ customer: {} });
    const country = cust(["country"], "text");
    expect(holds(cmp("==", country, text("US")), c)).toBe(false);
    expect(holds(cmp("!=", country, text("US")), c)).toBe(false);
    expect(holds({ kind: "not", operand: { kind: "in", subject: country, items: [text("US"), text("CA")] } }, c)).toBe(true);
    expect(holds({ kind: "contains", left: country, right: text("U") }, c)).toBe(false);
    expect(holds({ kind: "is_set", subject: country }, c)).toBe(false);
  });

  it("compares numbers, texts, booleans, dates with datetimes, durations and times", () => {
    const c = ctx({ customer: { total: 80, tier: "gold", vip: true, birthday: "1990-04-12", seen: "1990-04-12T00:00:00Z", later: "1990-04-12T00:00:01Z", delay: "PT2H", t: "09:30" } });
    expect(holds(cmp(">", cust(["total"], "number"), num(79.99)), c)).toBe(true);
    expect(holds(cmp("<=", cust(["total"], "number"), num(80)), c)).toBe(true);
    expect(holds(cmp("!=", cust(["tier"], "text"), text("none")), c)).toBe(true);
    expect(holds(cmp("==", cust(["vip"], "bool"), { kind: "bool", value: true }), c)).toBe(true);
    expect(holds(cmp("==", cust(["birthday"], "date"), cust(["seen"], "datetime")), c)).toBe(true);
    expect(holds(cmp("<", cust(["birthday"], "date"), cust(["later"], "datetime")), c)).toBe(true);
    expect(holds(cmp(">", cust(["delay"], "duration"), { kind: "duration", value: "PT90M" }), c)).toBe(true);
    expect(holds(cmp("==", cust(["delay"], "duration"), { kind: "duration", value: "PT120M" }), c)).toBe(true);
    expect(holds(cmp("<", cust(["t"], "time"), { kind: "time", value: "10:00" }), c)).toBe(true);
    // Unlike types never compare equal (the checker rules them out; data cannot make them true).
    expect(holds(cmp("==", cust(["total"], "number"), text("80")), c)).toBe(false);
    expect(holds(cmp("!=", cust(["total"], "number"), text("80")), c)).toBe(false);
  });

  it("treats `contains` as substring on text and membership on lists, and `in` as equality with any item", () => {
    const c = ctx({ customer: { url: "https://x/pricing/team", cats: ["dresses", "bags"], days: ["2025-01-01"] } });
    expect(holds({ kind: "contains", left: cust(["url"], "text"), right: text("/pricing") }, c)).toBe(true);
    expect(holds({ kind: "contains", left: cust(["url"], "text"), right: text("/shop") }, c)).toBe(false);
    expect(holds({ kind: "contains", left: cust(["cats"], "list", { element: "text" }), right: text("bags") }, c)).toBe(true);
    expect(holds({ kind: "contains", left: cust(["cats"], "list", { element: "text" }), right: text("bag") }, c)).toBe(false);
    expect(holds({ kind: "in", subject: text("bags"), items: [text("x"), text("bags")] }, c)).toBe(true);
    expect(holds({ kind: "in", subject: text("bags"), items: [] }, c)).toBe(false);
    expect(holds({ kind: "is_set", subject: cust(["cats"], "list") }, ctx({ customer: { cats: [] } }))).toBe(true);
  });

  it("does arithmetic on numbers; division by zero and missing operands are missing", () => {
    const c = ctx({ customer: { a: 10, zero: 0 } });
    const a = cust(["a"], "number");
    expect(evaluate({ kind: "arithmetic", op: "+", left: a, right: num(5) }, c)).toBe(15);
    expect(evaluate({ kind: "arithmetic", op: "-", left: a, right: num(5) }, c)).toBe(5);
    expect(evaluate({ kind: "arithmetic", op: "*", left: a, right: num(1.5) }, c)).toBe(15);
    expect(evaluate({ kind: "arithmetic", op: "/", left: a, right: num(4) }, c)).toBe(2.5);
    expect(evaluate({ kind: "arithmetic", op: "/", left: a, right: cust(["zero"], "number") }, c)).toBeNull();
    expect(evaluate({ kind: "arithmetic", op: "+", left: a, right: cust(["nothing"], "number") }, c)).toBeNull();
    expect(evaluate({ kind: "negate", operand: a }, c)).toBe(-10);
    expect(holds(cmp(">", { kind: "arithmetic", op: "/", left: a, right: num(0) }, num(-1)), c)).toBe(false);
  });

  it("adds durations to dates on the calendar and scales durations", () => {
    const c = ctx({ customer: { born: "2024-01-31", at: "2025-03-30T01:30:00Z", d: "P2D" } });
    expect(evaluate({ kind: "arithmetic", op: "+", left: cust(["born"], "date"), right: { kind: "duration", value: "P1M" } }, c)).toBe("2024-02-29");
    expect(evaluate({ kind: "arithmetic", op: "-", left: cust(["at"], "datetime"), right: { kind: "duration", value: "PT2H" } }, c)).toBe("2025-03-29T23:30:00.000Z");
    expect(evaluate({ kind: "arithmetic", op: "*", left: cust(["d"], "duration"), right: num(3) }, c)).toBe("P6D");
    expect(evaluate({ kind: "arithmetic", op: "+", left: cust(["d"], "duration"), right: { kind: "duration", value: "PT1H" } }, c)).toBe("P2DT1H");
    expect(evaluate({ kind: "negate", operand: cust(["d"], "duration") }, c)).toBe("-P2D");
  });

  it("refuses IR it cannot interpret with a ConditionError, never for data", () => {
    expect(() => evaluate({ kind: "arithmetic", op: "*", left: text("a"), right: num(2) }, ctx())).toThrow(ConditionError);
    expect(() => holds(cmp("==", { kind: "field", source: "trigger", path: ["cart_id"], type: "text" }, text("c1")), ctx())).toThrow(/trigger\.cart_id.*pass ctx\.trigger/);
    expect(() => holds(cmp("==", evField(["url"], "text"), text("x")), ctx())).toThrow(/event\.url/);
    expect(() => evaluate({ kind: "nonsense" } as unknown as Expr, ctx())).toThrow(/unknown expression kind `nonsense`/);
  });
});

describe("records, lists, lookups and messages", () => {
  const product = { sku: "P1", name: "Dress", price: 59, stock: 140 };
  const c = ctx({
    customer: { home_store: "S1", favourite_categories: ["dresses", "shoes"] },
    trigger: { cart_id: "c1", items: [{ sku: "P1", quantity: 2 }, { sku: "P2", quantity: 1 }] },
    object: product,
    messages: { promo: { id: "send-1", channel: "email", template: "promo_email" } },
    lookup: (object, key) => (object === "Store" && key === "S1" ? { store_id: "S1", city: "Milano" } : object === "Product" && key === "P1" ? product : undefined),
  });

  it("follows a ref with lookup and reads a field of the looked-up item", () => {
    const city: Expr = { kind: "get", of: { kind: "lookup", object: "Store", key: cust(["home_store"], "text") }, path: ["city"], type: "text" };
    expect(evaluate(city, c)).toBe("Milano");
    const none: Expr = { kind: "get", of: { kind: "lookup", object: "Store", key: text("S9") }, path: ["city"], type: "text", default: "?" };
    expect(evaluate(none, c)).toBe("?");
    expect(evaluate({ kind: "lookup", object: "Store", key: cust(["missing"], "text") }, c)).toBeNull();
  });

  it("takes the size, first and last of lists, and reads a path in each record of a list", () => {
    const items: Expr = { kind: "field", source: "trigger", path: ["items"], type: "list", element: "record" };
    expect(evaluate({ kind: "list_op", op: "size", of: items, type: "number" }, c)).toBe(2);
    expect(evaluate({ kind: "get", of: { kind: "list_op", op: "first", of: items, type: "record" }, path: ["sku"], type: "text" }, c)).toBe("P1");
    expect(evaluate({ kind: "get", of: { kind: "list_op", op: "last", of: items, type: "record" }, path: ["quantity"], type: "number" }, c)).toBe(1);
    expect(evaluate({ kind: "get", of: items, path: ["sku"], type: "text" }, c)).toEqual(["P1", "P2"]);
    expect(evaluate({ kind: "list_op", op: "first", of: cust(["none"], "list"), type: "text" }, ctx({ customer: { none: [] } }))).toBeNull();
  });

  it("reads object fields for recommendations and sent messages by alias", () => {
    expect(holds(cmp(">", { kind: "field", source: "object", path: ["stock"], type: "number" }, num(100)), c)).toBe(true);
    expect(evaluate({ kind: "message", alias: "promo", field: "id" }, c)).toBe("send-1");
    expect(evaluate({ kind: "message", alias: "other", field: "id" }, c)).toBeNull();
    expect(holds(cmp("==", { kind: "message", alias: "other", field: "id" }, text("send-1")), c)).toBe(false);
  });

  it("delegates segments, scores and lists to the context", () => {
    const d = ctx({ inSegment: (n) => n === "engaged", score: (n) => (n === "lead_score" ? 61.5 : 0), inList: (n) => n === "vip" });
    expect(holds({ kind: "segment", name: "engaged" }, d)).toBe(true);
    expect(holds({ kind: "segment", name: "other" }, d)).toBe(false);
    expect(evaluate({ kind: "score", name: "lead_score" }, d)).toBe(61.5);
    expect(holds({ kind: "in_list", list: "vip" }, d)).toBe(true);
  });

  it("matches case values as the subject's type (durations as lengths of time)", () => {
    const d = ctx({ customer: { tier: "gold", delay: "PT60M" } });
    expect(caseMatches(cust(["tier"], "text"), [{ kind: "text", value: "silver" }, { kind: "text", value: "gold" }], d)).toBe(true);
    expect(caseMatches(cust(["delay"], "duration"), [{ kind: "duration", value: "PT1H" }], d)).toBe(true);
    expect(caseMatches(cust(["nothing"], "text"), [{ kind: "text", value: "gold" }], d)).toBe(false);
  });
});

describe("event history", () => {
  const purchase = (daysAgo: number, total: number, channel = "online", id?: string) => ev("purchase", daysAgo, { total, channel }, id);
  const happened = (window: Extract<Expr, { kind: "happened" }>["window"], where?: Expr): Expr => ({ kind: "happened", event: "purchase", window, ...(where ? { where } : {}) });

  it("counts only events up to now", () => {
    const c = ctx({ events: [purchase(5, 10), purchase(-1, 999)] });
    expect(evaluate({ kind: "aggregate", fn: "sum", event: "purchase", value: evField(["total"], "number"), window: { kind: "ever" }, type: "number" }, c)).toBe(10);
    expect(holds(happened({ kind: "ever" }), ctx({ events: [purchase(-1, 1)] }))).toBe(false);
  });

  it("includes the start of a `last` window and uses calendar months", () => {
    const edge = ev("purchase", new Date(NOW.getTime() - 30 * DAY), { total: 1 });
    const justBefore = ev("purchase", new Date(NOW.getTime() - 30 * DAY - 1), { total: 1 });
    expect(holds(happened({ kind: "last", duration: "P30D" }), ctx({ events: [edge] }))).toBe(true);
    expect(holds(happened({ kind: "last", duration: "P30D" }), ctx({ events: [justBefore] }))).toBe(false);
    // One calendar month before 31 March is 28 February (not 29 days earlier).
    const march31 = new Date("2025-03-31T10:00:00Z");
    const feb28 = ev("purchase", new Date("2025-02-28T10:00:00Z"), {});
    const feb27 = ev("purchase", new Date("2025-02-27T23:59:59Z"), {});
    expect(holds(happened({ kind: "last", duration: "P1M" }), ctx({ now: march31, events: [feb28] }))).toBe(true);
    expect(holds(happened({ kind: "last", duration: "P1M" }), ctx({ now: march31, events: [feb27] }))).toBe(false);
  });

  it("counts `since` strictly after the latest anchor event, and nothing when it never happened", () => {
    const events = [ev("cart_abandoned", 10), purchase(8, 1), ev("cart_abandoned", 5), purchase(3, 1)];
    const since: Expr = { kind: "aggregate", fn: "count", event: "purchase", window: { kind: "since", event: "cart_abandoned" }, type: "number" };
    expect(evaluate(since, ctx({ events }))).toBe(1);
    expect(evaluate(since, ctx({ events: [purchase(3, 1)] }))).toBe(0);
    const sameInstant = new Date(NOW.getTime() - DAY);
    expect(evaluate(since, ctx({ events: [ev("cart_abandoned", sameInstant), ev("purchase", sameInstant)] }))).toBe(0);
    // An anchor in the future does not count yet.
    expect(evaluate(since, ctx({ events: [purchase(3, 1), ev("cart_abandoned", -1)] }))).toBe(0);
  });

  it("filters with `where`, reading the event's fields and the customer's", () => {
    const events = [purchase(5, 300, "store"), purchase(4, 50, "online")];
    const store = cmp("==", evField(["channel"], "text"), text("store"));
    expect(holds(happened({ kind: "ever" }, store), ctx({ events }))).toBe(true);
    expect(holds(happened({ kind: "last", duration: "P2D" }, store), ctx({ events }))).toBe(false);
    const sameCountry = cmp("==", evField(["channel"], "text"), cust(["preferred"], "text"));
    expect(holds(happened({ kind: "ever" }, sameCountry), ctx({ events, customer: { preferred: "online" } }))).toBe(true);
  });

  it("aggregates count, sum, avg, min and max; nothing sums to 0 and has no average", () => {
    const events = [purchase(100, 40), purchase(50, 100), purchase(10, 70), ev("purchase", 9, { channel: "store" })];
    const agg = (fn: "count" | "sum" | "avg" | "min" | "max", window: Extract<Expr, { kind: "aggregate" }>["window"] = { kind: "ever" }): Expr => ({
      kind: "aggregate",
      fn,
      event: "purchase",
      ...(fn === "count" ? {} : { value: evField(["total"], "number") }),
      window,
      type: "number",
    });
    const c = ctx({ events });
    expect(evaluate(agg("count"), c)).toBe(4);
    expect(evaluate(agg("sum"), c)).toBe(210);
    expect(evaluate(agg("avg"), c)).toBe(70);
    expect(evaluate(agg("min"), c)).toBe(40);
    expect(evaluate(agg("max"), c)).toBe(100);
    const none = ctx({ events: [] });
    expect(evaluate(agg("count"), none)).toBe(0);
    expect(evaluate(agg("sum"), none)).toBe(0);
    expect(evaluate(agg("avg"), none)).toBeNull();
    expect(evaluate(agg("max"), none)).toBeNull();
    expect(evaluate(agg("sum", { kind: "last", duration: "P60D" }), c)).toBe(170);
  });

  it("takes min and max of dates as dates", () => {
    const events = [ev("visit", 3, { at: "2025-01-02" }), ev("visit", 2, { at: "2024-12-31" })];
    const expr: Expr = { kind: "aggregate", fn: "min", event: "visit", value: evField(["at"], "date"), window: { kind: "ever" }, type: "date" };
    expect(evaluate(expr, ctx({ events }))).toBe("2024-12-31");
  });

  it("finds the last and first occurrence, ties broken by event id", () => {
    const at = new Date(NOW.getTime() - DAY);
    const events = [purchase(30, 1, "store"), ev("purchase", at, { channel: "app" }, "b"), ev("purchase", at, { channel: "online" }, "a")];
    const last: Expr = { kind: "occurrence", which: "last", event: "purchase", path: ["channel"], type: "text" };
    const first: Expr = { kind: "occurrence", which: "first", event: "purchase", path: ["channel"], type: "text" };
    expect(evaluate(last, ctx({ events }))).toBe("app");
    expect(evaluate(first, ctx({ events }))).toBe("store");
    expect(evaluate(last, ctx())).toBeNull();
    expect(evaluate({ ...last, path: ["coupon"], default: "none" } as Expr, ctx({ events }))).toBe("none");
  });

  it("checks whether the last or first occurrence is within a duration of now", () => {
    const within = (which: "last" | "first", d: string): Expr => ({ kind: "occurred_within", which, event: "purchase", within: d });
    const events = [purchase(40, 1), purchase(30, 1)];
    expect(holds(within("last", "P30D"), ctx({ events }))).toBe(true);
    expect(holds(within("first", "P30D"), ctx({ events }))).toBe(false);
    expect(holds(within("last", "P29D"), ctx({ events }))).toBe(false);
    expect(holds(within("last", "P30D"), ctx())).toBe(false);
  });

  it("indexes each events array once and re-indexes it when it grows", () => {
    const events: EventRecord[] = [purchase(5, 1)];
    const count: Expr = { kind: "aggregate", fn: "count", event: "purchase", window: { kind: "ever" }, type: "number" };
    const c = ctx({ events });
    expect(evaluate(count, c)).toBe(1);
    events.push(purchase(1, 1));
    expect(evaluate(count, c)).toBe(2);
  });

  it("sorts events given out of order", () => {
    const events = [purchase(1, 1, "new"), purchase(10, 1, "old")];
    expect(evaluate({ kind: "occurrence", which: "last", event: "purchase", path: ["channel"], type: "text" }, ctx({ events }))).toBe("new");
  });
});

describe("RFM", () => {
  const rfm = (dimension: "recency" | "frequency" | "monetary", where?: Expr): Extract<Expr, { kind: "rfm" }> => ({
    kind: "rfm",
    event: "purchase",
    value: evField(["total"], "number"),
    ...(where ? { where } : {}),
    dimension,
  });
  const events = [ev("purchase", 10, { total: 20 }), ev("purchase", 2.5, { total: 30, channel: "store" }), ev("purchase", 1, {})];

  it("computes the customer's own metrics, missing values counting 0", () => {
    const c = ctx({ events });
    expect(rfmRaw(rfm("recency"), "recency", c)).toBe(1);
    expect(rfmRaw(rfm("frequency"), "frequency", c)).toBe(3);
    expect(rfmRaw(rfm("monetary"), "monetary", c)).toBe(50);
    const store = cmp("==", evField(["channel"], "text"), text("store"));
    expect(rfmRaw(rfm("recency", store), "recency", c)).toBe(2.5);
    expect(rfmRaw(rfm("recency"), "recency", ctx())).toBeNull();
  });

  it("asks the context for the quintile with a key shared by the dimensions, and is missing for unranked customers", () => {
    const asked: [string, string, number][] = [];
    const c = ctx({ events, rfmQuintile: (key, dim, raw) => (asked.push([key, dim, raw]), 4) });
    expect(evaluate(rfm("frequency"), c)).toBe(4);
    expect(asked).toEqual([[rfmKey(rfm("recency")), "frequency", 3]]);
    expect(rfmKey(rfm("recency"))).toBe(rfmKey({ dimension: "monetary", value: evField(["total"], "number"), event: "purchase", kind: "rfm" }));
    expect(rfmKey(rfm("recency"))).not.toBe(rfmKey(rfm("recency", cmp("==", evField(["channel"], "text"), text("store")))));
    expect(holds(cmp(">=", rfm("recency"), num(1)), ctx())).toBe(false);
  });
});

describe("the examples' segments", () => {
  const project = compileExamples();
  const fields = project.project.schema.customer.fields;
  const predicate = (name: string): Expr => {
    const segment = project.segments.get(name);
    if (!segment) throw new Error(`no segment ${name}`);
    return segment.predicate;
  };
  const customer = (profile: Record<string, unknown>) => withDefaults(fields, { customer_id: "c1", country: "IT", ...profile });
  const purchase = (daysAgo: number, total: number, channel = "online") => ev("purchase", daysAgo, { order_id: `o${seq}`, channel, total, items: [] });

  it("big_spenders: over 500 in the last 90 days", () => {
    expect(holds(predicate("big_spenders"), ctx({ customer: customer({}), events: [purchase(10, 300), purchase(80, 201)] }))).toBe(true);
    expect(holds(predicate("big_spenders"), ctx({ customer: customer({}), events: [purchase(10, 300), purchase(95, 400)] }))).toBe(false);
    expect(holds(predicate("big_spenders"), ctx({ customer: customer({}), events: [purchase(10, 500)] }))).toBe(false);
  });

  it("lapsed_buyers: bought once, not in the last 180 days", () => {
    expect(holds(predicate("lapsed_buyers"), ctx({ customer: customer({}), events: [purchase(200, 10)] }))).toBe(true);
    expect(holds(predicate("lapsed_buyers"), ctx({ customer: customer({}), events: [purchase(200, 10), purchase(20, 10)] }))).toBe(false);
    expect(holds(predicate("lapsed_buyers"), ctx({ customer: customer({}) }))).toBe(false);
  });

  it("champions: recency and frequency quintiles of 4 or more", () => {
    const quintiles = (r: number, f: number) => (_key: string, dim: string) => (dim === "recency" ? r : dim === "frequency" ? f : 1);
    const events = [purchase(3, 10)];
    expect(holds(predicate("champions"), ctx({ customer: customer({}), events, rfmQuintile: quintiles(5, 4) }))).toBe(true);
    expect(holds(predicate("champions"), ctx({ customer: customer({}), events, rfmQuintile: quintiles(5, 3) }))).toBe(false);
    expect(holds(predicate("champions"), ctx({ customer: customer({}), rfmQuintile: quintiles(5, 5) }))).toBe(false);
  });

  it("recent_store_shoppers: last purchase in a shop, within 30 days", () => {
    expect(holds(predicate("recent_store_shoppers"), ctx({ customer: customer({}), events: [purchase(40, 5), purchase(12, 59, "store")] }))).toBe(true);
    expect(holds(predicate("recent_store_shoppers"), ctx({ customer: customer({}), events: [purchase(12, 59, "store"), purchase(2, 5)] }))).toBe(false);
    expect(holds(predicate("recent_store_shoppers"), ctx({ customer: customer({}), events: [purchase(31, 59, "store")] }))).toBe(false);
  });

  it("mql: a lead score of 60 or more from someone at a company still in marketing", () => {
    const scored = (points: number) => (name: string) => (name === "lead_score" ? points : 0);
    expect(holds(predicate("mql"), ctx({ customer: customer({ company: "Acme" }), score: scored(60) }))).toBe(true);
    expect(holds(predicate("mql"), ctx({ customer: customer({ company: "Acme" }), score: scored(59.9) }))).toBe(false);
    expect(holds(predicate("mql"), ctx({ customer: customer({}), score: scored(90) }))).toBe(false);
    expect(holds(predicate("mql"), ctx({ customer: customer({ company: "Acme", lifecycle_stage: "sql" }), score: scored(90) }))).toBe(false);
  });

  it("reachable_by_sms, promo_audience and steady_buyers", () => {
    const sms = predicate("reachable_by_sms");
    expect(holds(sms, ctx({ customer: customer({ phone: "+39 333", consent: { sms: true } }) }))).toBe(true);
    expect(holds(sms, ctx({ customer: customer({ phone: "+1 555", country: "US", consent: { sms: true } }) }))).toBe(false);
    expect(holds(sms, ctx({ customer: customer({ phone: "+39 333" }) }))).toBe(false);
    const promo = predicate("promo_audience");
    const inSegment = (name: string) => holds(predicate(name), ctx({ customer: fan, events: opened, inSegment }));
    const fan = customer({ consent: { email: true }, favourite_categories: ["shoes"], country: "FR" });
    const opened = [ev("email_opened", 3, { message: "m" })];
    expect(holds(promo, ctx({ customer: fan, events: opened, inSegment }))).toBe(true);
    expect(holds(promo, ctx({ customer: fan, events: [], inSegment: (n) => holds(predicate(n), ctx({ customer: fan })) }))).toBe(false);
    const steady = predicate("steady_buyers");
    expect(holds(steady, ctx({ customer: customer({}), events: [purchase(50, 10), ev("signed_up", 40, { source: "store" }), purchase(30, 60), purchase(5, 51)] }))).toBe(true);
    expect(holds(steady, ctx({ customer: customer({}), events: [ev("signed_up", 40, { source: "store" }), purchase(30, 60), purchase(5, 49)] }))).toBe(false);
  });

  it("evaluates every example segment without error for an empty and a busy customer", () => {
    const busy = customer({ company: "Acme", phone: "+39", consent: { email: true, sms: true }, favourite_categories: ["dresses"], loyalty_tier: "gold" });
    const events = [ev("signed_up", 100, { source: "website" }), purchase(90, 120), ev("cart_abandoned", 6, { cart_id: "k", value: 150, url: "u", items: [] }), ev("page_view", 1, { url: "/pricing" })];
    for (const [name, segment] of project.segments) {
      for (const c of [ctx({ customer: customer({}) }), ctx({ customer: busy, events })]) {
        expect(typeof holds(segment.predicate, c), name).toBe("boolean");
      }
    }
    expect(holds(predicate("big_cart_left"), ctx({ customer: busy, events }))).toBe(true);
  });

  it("evaluates a where on a given event with holdsOn", () => {
    const trigger = project.journeys.get("abandoned_cart")?.ir.trigger;
    if (trigger?.kind !== "event" || !trigger.where) throw new Error("abandoned_cart starts on an event with a where");
    expect(holdsOn(trigger.where, ctx(), { cart_id: "k", value: 25 })).toBe(true);
    expect(holdsOn(trigger.where, ctx(), { cart_id: "k", value: 20 })).toBe(false);
  });
});
