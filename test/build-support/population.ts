/**
 * A deterministic population for the example project's schema: a few hundred customers with
 * profiles (some fields missing, some JSON null) and events over the 400 days before a fixed `now`,
 * some of them exactly on the edge of the segments' windows. Scores are computed from the events
 * by the IR's score rules, as the runtime will keep them.
 */
import type { ProjectFile } from "@journey/compiler";
import { type Customer, Evaluator, parseDuration, type Population, type StoredEvent } from "./evaluate.js";

export const NOW = Date.parse("2025-06-15T12:00:00.000Z");
const DAY = 86_400_000;

/** mulberry32: a small seeded generator, the same numbers on every machine. */
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

export function generatePopulation(project: ProjectFile, size = 300, seed = 20250615): Population {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const chance = (p: number) => rand() < p;
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  // Exactly on a window's edge (the windows include their start), or a second inside or outside it.
  const edges = [7, 14, 30, 90, 180, 365].flatMap((days) => [NOW - days * DAY, NOW - days * DAY + 1000, NOW - days * DAY - 1000]);
  const when = (recentBias: number): number => {
    if (chance(0.04)) return pick(edges);
    const days = chance(recentBias) ? rand() * 45 : rand() * 400;
    return NOW - Math.floor(days * DAY / 1000) * 1000;
  };

  const customers: Customer[] = [];
  let eventCount = 0;
  for (let i = 0; i < size; i++) {
    const id = `c${String(i).padStart(4, "0")}`;
    const profile: Record<string, unknown> = { customer_id: id, country: pick(["IT", "FR", "US", "CA", "DE", "ES"]) };
    if (chance(0.6)) profile.first_name = pick(["Simona", "Mario", "Ana", "Li", "Sam"]);
    if (chance(0.4)) profile.phone = `+39 333 ${String(int(0, 9_999_999)).padStart(7, "0")}`;
    else if (chance(0.2)) profile.phone = null;
    if (chance(0.7)) profile.loyalty_tier = pick(["none", "silver", "gold", "gold"]);
    if (chance(0.8)) profile.favourite_categories = ["dresses", "shoes", "bags", "hats", "coats"].filter(() => chance(0.3));
    if (chance(0.8)) {
      const consent: Record<string, unknown> = {};
      if (chance(0.8)) consent.email = chance(0.7);
      if (chance(0.7)) consent.sms = chance(0.5);
      profile.consent = consent;
    }
    if (chance(0.45)) profile.company = pick(["Acme", "Globex", "Initech"]);
    if (chance(0.7)) profile.lifecycle_stage = pick(["subscriber", "lead", "mql", "sql", "customer"]);

    const events: StoredEvent[] = [];
    const add = (name: string, at: number, properties: Record<string, unknown>) => {
      eventCount += 1;
      events.push({ id: `ev${String(eventCount).padStart(6, "0")}`, name, at, properties });
    };
    const activity = pick([0, 0.5, 1, 2, 4]);
    const recent = rand();
    if (chance(0.6)) add("signed_up", when(0.2), { source: pick(["website", "store", "app", "referral"]) });
    for (let n = Math.round(activity * int(0, 6)); n > 0; n--) {
      add("purchase", when(recent), { order_id: `o${eventCount}`, channel: pick(["store", "online", "app"]), total: int(5, 400), items: [] });
    }
    for (let n = Math.round(activity * int(0, 5)); n > 0; n--) add("email_opened", when(recent), { message: `m${int(1, 9)}` });
    for (let n = Math.round(activity * int(0, 3)); n > 0; n--) add("email_clicked", when(recent), { message: `m${int(1, 9)}`, url: "https://shop.example.com" });
    for (let n = Math.round(activity * int(0, 4)); n > 0; n--) {
      add("page_view", when(recent), { url: `https://shop.example.com${pick(["/pricing", "/shop/dresses", "/", "/pricing/teams"])}` });
    }
    for (let n = int(0, 2); n > 0; n--) add("cart_abandoned", when(0.5), { cart_id: `k${eventCount}`, value: int(10, 300), url: "https://shop.example.com/cart", items: [] });
    if (chance(0.1)) add("unsubscribed", when(0.3), { channel: pick(["email", "sms", "push"]) });
    if (chance(0.3)) add("form_submitted", when(0.6), { form: pick(["newsletter", "contact", "whitepaper", "quote"]) });
    if (chance(0.2)) add("webinar_attended", when(0.6), { webinar: "w1", watched: "PT1H" });
    if (chance(0.2)) add("demo_requested", when(0.7), chance(0.5) ? { product: "Journey" } : {});
    events.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    customers.push({ id, profile, events });
  }

  const lists = new Map<string, Set<string>>();
  for (const list of project.lists) lists.set(list.name, new Set(customers.filter(() => chance(0.1)).map((c) => c.id)));
  const population: Population = { now: NOW, customers, lists, scores: new Map(), objects: new Map() };
  population.scores = computeScores(project, population);
  return population;
}

/** Each score as the runtime keeps it: points added as events arrive, the total halving every half-life; stored with the time of the last change. */
function computeScores(project: ProjectFile, population: Population): Population["scores"] {
  const evaluator = new Evaluator(project, population);
  const scores: Population["scores"] = new Map();
  for (const score of project.scores) {
    const halfLife = score.halfLife ? parseDuration(score.halfLife).total : undefined;
    const values = new Map<string, { value: number; updatedAt: number }>();
    for (const customer of population.customers) {
      let current: { value: number; updatedAt: number } | undefined;
      for (const event of customer.events) {
        if (event.at > population.now) continue;
        for (const rule of score.rules) {
          if (rule.event !== event.name) continue;
          if (rule.where && !evaluator.test(rule.where, { customer, event })) continue;
          const decayed = current && halfLife ? current.value * 0.5 ** ((event.at - current.updatedAt) / halfLife) : (current?.value ?? 0);
          current = { value: decayed + rule.points, updatedAt: event.at };
        }
      }
      if (current) values.set(customer.id, current);
    }
    scores.set(score.name, values);
  }
  return scores;
}
