import { compile, forEachExpr, type ProjectFile } from "@journey/compiler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Customer, Evaluator, type Population, type StoredEvent } from "./build-support/evaluate.js";
import { TestDatabase } from "./build-support/postgres.js";

/**
 * The examples do not use every kind of expression; these segments do. Same test as
 * build-segments.test.ts: PostgreSQL running each segment's SQL and the reference evaluator running
 * its predicate tree choose the same customers of a generated population.
 */

const schema = `
customer {
  identified by customer_id
  customer_id  text
  country      country?
  tier         "none" | "silver" | "gold" = "none"
  vip_flag     bool?
  opted {
    news bool = true
  }
  lucky        list of number
  signed_up_at datetime?
  last_seen    datetime?
  birthday     date?
  anniversary  date?
  usual_delay  duration?
  favourite    ref Product?
  budget       number?
}
event purchase {
  total   money
  qty     int?
  sku     ref Product
  coupon  text?
  paid_at datetime?
  items list of {
    sku   ref Product
    price money
  }
}
event visit {
  url url
}
object Product key sku {
  sku      text
  name     text
  stock    int
  category text
}
list testers
score loyalty {
  +3 on purchase
  +1 on visit where url contains "/sale"
}
`;

const segments = `
segment s_lookup = favourite.stock > 10
segment s_lookup_last = last purchase.sku.category == "shoes"
segment s_items = last purchase.items.size >= 2 and last purchase.items.first.price > 50
segment s_items_last = last purchase.items.last.sku.name == "Boot"
segment s_first = first purchase.total > 100 and first purchase within 200 days
segment s_dates = last_seen > signed_up_at or birthday < anniversary
segment s_duration = usual_delay > 2 hours
segment s_div = avg(purchase.total, ever) / budget > 1
segment s_div_count = sum(purchase.total, last 60 days) / count(purchase, last 60 days) >= 100
segment s_negate = -budget < -100
segment s_in_numbers = last purchase.qty in [1, 2, 3]
segment s_contains_numbers = lucky contains 7
segment s_bools = vip_flag or not opted.news
segment s_missing_ne = country != "IT"
segment s_minmax = max(purchase.paid_at, ever) > min(purchase.paid_at, ever)
segment s_avg_missing = avg(purchase.qty, ever) > 2
segment s_since_none = no purchase since visit
segment s_count_where = count(purchase where total > budget, last 90 days) >= 1
segment s_score = loyalty >= 10
segment s_monetary = rfm(purchase.total).monetary >= 4 and s_score
segment s_list = customer in testers and tier in ["silver", "gold"]
segment s_url = last visit.url contains "/sale"
segment s_coupon = last purchase.coupon is set and not (last purchase.coupon == "X")
segment s_arith = (sum(purchase.total) - 100) * 2 > budget + 10
segment s_sum_where = sum(purchase.total where coupon == "X", last 120 days) > 100
segment s_max_where = max(purchase.total where qty is set) > 200
segment s_rfm_where = rfm(purchase.total where total > budget).frequency >= 3
segment s_literals = vip_flag == true or lucky == [7, 7] or (last purchase.qty == 4 and false)
`;

const NOW = Date.parse("2025-03-31T08:30:00.000Z");
const DAY = 86_400_000;

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function populate(project: ProjectFile): Population {
  const rand = random(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const chance = (p: number) => rand() < p;
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const products = ["p1", "p2", "p3", "p4", "p5", "p6"];
  const objects = new Map([
    ["Product", new Map(products.map((sku, i) => [sku, { sku, name: i % 2 ? "Boot" : "Bag", stock: i * 5, category: i % 3 ? "shoes" : "bags" }] as const))],
  ]);
  const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const customers: Customer[] = [];
  let events = 0;
  for (let i = 0; i < 250; i++) {
    const id = `k${String(i).padStart(4, "0")}`;
    const profile: Record<string, unknown> = { customer_id: id };
    if (chance(0.7)) profile.country = pick(["IT", "FR", "DE"]);
    if (chance(0.7)) profile.tier = pick(["none", "silver", "gold"]);
    if (chance(0.5)) profile.vip_flag = chance(0.3);
    if (chance(0.6)) profile.opted = chance(0.5) ? { news: chance(0.5) } : {};
    if (chance(0.7)) profile.lucky = [int(1, 9), int(1, 9)];
    if (chance(0.6)) profile.signed_up_at = new Date(NOW - int(0, 900) * DAY - int(0, 86_399) * 1000).toISOString();
    if (chance(0.6)) profile.last_seen = new Date(NOW - int(0, 900) * DAY).toISOString().replace("Z", "+02:00");
    if (chance(0.6)) profile.birthday = isoDay(NOW - int(7000, 20000) * DAY);
    if (chance(0.6)) profile.anniversary = chance(0.1) ? (profile.birthday ?? null) : isoDay(NOW - int(7000, 20000) * DAY);
    if (chance(0.5)) profile.usual_delay = pick(["PT1H", "PT2H", "PT3H", "P1D", "PT90M"]);
    if (chance(0.6)) profile.favourite = pick([...products, "gone"]);
    if (chance(0.7)) profile.budget = chance(0.1) ? 0 : int(20, 400);
    else if (chance(0.3)) profile.budget = null;
    const history: StoredEvent[] = [];
    const add = (name: string, at: number, properties: Record<string, unknown>) => {
      events += 1;
      history.push({ id: `e${String(events).padStart(6, "0")}`, name, at, properties });
    };
    // Month ends and the exact edge of a window: calendar arithmetic is where SQL and code disagree first.
    const when = () => (chance(0.05) ? pick([NOW - 60 * DAY, NOW - 90 * DAY, NOW - 200 * DAY, Date.parse("2025-02-28T08:30:00Z")]) : NOW - int(0, 300) * DAY - int(0, 86_399) * 1000);
    for (let n = int(0, 5); n > 0; n--) {
      const properties: Record<string, unknown> = { total: int(5, 300), sku: pick(products), items: Array.from({ length: int(0, 3) }, () => ({ sku: pick(products), price: int(10, 120) })) };
      if (chance(0.6)) properties.qty = int(0, 4);
      if (chance(0.4)) properties.coupon = pick(["X", "Y", "Z"]);
      if (chance(0.6)) properties.paid_at = new Date(NOW - int(0, 300) * DAY).toISOString();
      add("purchase", when(), properties);
    }
    for (let n = int(0, 4); n > 0; n--) add("visit", when(), { url: pick(["https://shop/sale", "https://shop/", "https://shop/sale/x"]) });
    // Two events at the same time: `last` breaks the tie by event id.
    if (chance(0.1) && history.length > 0) add("purchase", (history[0] as StoredEvent).at, { total: 250, sku: "p2", items: [], coupon: "Q" });
    history.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    customers.push({ id, profile, events: history });
  }
  const population: Population = { now: NOW, customers, lists: new Map([["testers", new Set(customers.filter(() => chance(0.3)).map((c) => c.id))]]), scores: new Map(), objects };
  const evaluator = new Evaluator(project, population);
  for (const score of project.scores) {
    const values = new Map<string, { value: number; updatedAt: number }>();
    for (const customer of customers) {
      let value = 0;
      let updatedAt = 0;
      for (const event of customer.events) {
        for (const rule of score.rules) {
          if (rule.event === event.name && (!rule.where || evaluator.test(rule.where, { customer, event }))) {
            value += rule.points;
            updatedAt = event.at;
          }
        }
      }
      if (updatedAt) values.set(customer.id, { value, updatedAt });
    }
    population.scores.set(score.name, values);
  }
  return population;
}

const result = compile(
  [
    { file: "schema.journey", text: schema },
    { file: "segments.journey", text: segments },
  ],
  { project: "kinds" },
);
if (!result.build) throw new Error(result.diagnostics.map((d) => `${d.file}:${d.range.start.line + 1} ${d.code} ${d.message}`).join("\n"));
const project = result.build.project;
const population = populate(project);
let database: TestDatabase;

beforeAll(async () => {
  database = await TestDatabase.open("kinds");
  await database.load(population);
});

afterAll(async () => {
  await database?.close();
});

describe("segment SQL and predicate trees agree on every kind of expression", () => {
  const evaluator = new Evaluator(project, population);

  it("uses every kind of expression a segment can hold", () => {
    const kinds = new Set<string>();
    for (const segment of project.segments) forEachExpr(segment.predicate, (e) => kinds.add(e.kind));
    const sqlKinds = ["text", "number", "bool", "duration", "list", "field", "occurrence", "get", "lookup", "list_op", "segment", "score", "in_list", "happened", "occurred_within", "aggregate", "rfm", "and", "or", "not", "compare", "contains", "in", "is_set", "arithmetic", "negate"];
    expect(sqlKinds.filter((k) => !kinds.has(k))).toEqual([]);
  });

  for (const segment of project.segments) {
    it(segment.name, async () => {
      const expected = evaluator.members(segment.name);
      expect(await database.members(segment.sql, NOW)).toEqual(expected);
      expect(expected.length, `${segment.name} has members`).toBeGreaterThan(0);
      expect(expected.length, `${segment.name} leaves someone out`).toBeLessThan(population.customers.length);
    });
  }
});
