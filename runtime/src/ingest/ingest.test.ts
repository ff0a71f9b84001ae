/** ingestMessages in batches: the same outcome as one message per call, in a fixed number of statements. */
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.js";
import { customerIdFor } from "../identity/keys.js";
import { migrate } from "../store/migrate.js";
import type { SqlQueryable, SqlStore } from "../store/port.js";
import { compileExamples } from "../testing/examples.js";
import { storeFixtures } from "../testing/stores.js";
import { ingestMessages } from "./ingest.js";

const project = compileExamples();
const PHONE = "+393471234567";

const page = (messageId: string, who: Record<string, unknown>, url = "https://shop.example/") => ({ type: "page", messageId, ...who, properties: { url } });

/** Every path of a call: new, known and merged customers, repeats, learnt keys, profile updates, a merge, an alias, a conflict, a rejection. */
const SCENARIO: unknown[] = [
  page("m1", { anonymousId: "A-1" }),
  { type: "identify", messageId: "m2", userId: "C-1", traits: { email: "One@Example.com", first_name: "Uno", consent: { email: true } } },
  page("m3", { anonymousId: "A-1" }, "https://shop.example/p/1"),
  { type: "identify", messageId: "m4", userId: "C-1", traits: { first_name: null, last_name: "Primo", consent: { sms: true } } },
  { type: "track", messageId: "m5", userId: "C-1", event: "email_opened", properties: { message: "x" }, context: { traits: { phone: PHONE } } },
  page("m3", { anonymousId: "A-1" }),
  { type: "track", messageId: "m0", userId: "C-0", event: "email_opened", properties: { message: "again" } },
  { type: "track", messageId: "bad", userId: "C-1", event: "no_such_event" },
  { type: "identify", messageId: "m7", userId: "C-1", anonymousId: "A-1", traits: { language: "en" } },
  page("m8", { anonymousId: "A-1" }),
  { type: "alias", messageId: "m9", userId: "C-1", previousId: "A-2" },
  page("m10", { anonymousId: "A-2" }),
  page("m1", { anonymousId: "A-1" }),
  {
    type: "track",
    messageId: "m11",
    event: "purchase",
    timestamp: "2025-01-31T10:00:00.123+01:00",
    context: { traits: { loyalty_card: "LC-9" } },
    properties: { order_id: "O-9", channel: "store", total: 10, items: [{ sku: "P1", category: "dress", price: 10 }] },
  },
  { type: "identify", messageId: "m12", userId: "C-9", traits: { loyalty_card: "LC-9", first_name: "Nove" } },
  { type: "track", messageId: "m13", userId: "C-9", event: "email_opened", properties: { message: "y" }, context: { traits: { phone: PHONE } } },
  page("m14", { anonymousId: "A-3", userId: "C-0" }),
  page("m15", { anonymousId: "A-3" }),
];

async function snapshot(store: SqlStore) {
  const q = async (sql: string) => (await store.query(sql)).rows;
  return {
    events: await q("SELECT message_id, customer_id, name, occurred_at, received_at, properties, context FROM events ORDER BY event_id"),
    customers: await q("SELECT customer_id, profile, merged_into, created_at, updated_at FROM customers ORDER BY customer_id"),
    identities: await q("SELECT kind, value, customer_id FROM identities ORDER BY kind, value"),
    rejected: await q("SELECT message_id, reason, errors, payload, source FROM rejected_events ORDER BY rejected_id"),
  };
}

/** The store, with every statement run in its transactions counted. */
function counting(store: SqlStore): { store: SqlStore; statements: () => number } {
  let statements = 0;
  const counted = Object.create(store) as SqlStore;
  counted.transaction = (fn, options) =>
    store.transaction((tx) => {
      const wrapped: SqlQueryable = {
        query: (sql, params) => {
          statements++;
          return tx.query(sql, params);
        },
        exec: (script) => tx.exec(script),
      };
      return fn(wrapped);
    }, options);
  return { store: counted, statements: () => statements };
}

describe.each(storeFixtures())("ingestMessages in batches: $kind", (fixture) => {
  afterAll(() => fixture.cleanup());

  const open = async () => {
    const store = await fixture.open();
    await migrate(store);
    return store;
  };

  /** `messages` in one call to one store and one per call to another: results and every table compared. */
  const compare = async (messages: unknown[]) => {
    const clock = new VirtualClock(Date.parse("2025-02-01T00:00:00Z"));
    const [batched, single] = [await open(), await open()];
    const seed = [{ type: "track", messageId: "m0", userId: "C-0", event: "email_opened", properties: { message: "first" } }];
    await ingestMessages({ store: batched, project, clock }, seed);
    await ingestMessages({ store: single, project, clock }, seed);

    const touchedBatched: string[][] = [];
    const all = await ingestMessages({ store: batched, project, clock, onAccepted: (ids) => void touchedBatched.push(ids) }, messages);
    const one: { accepted: unknown[]; rejected: unknown[]; touched: Set<string> } = { accepted: [], rejected: [], touched: new Set() };
    for (const [index, message] of messages.entries()) {
      const result = await ingestMessages({ store: single, project, clock, onAccepted: (ids) => ids.forEach((id) => one.touched.add(id)) }, [message]);
      one.accepted.push(...result.accepted.map((a) => ({ ...a, index })));
      one.rejected.push(...result.rejected.map((r) => ({ ...r, index })));
    }

    expect(all.accepted).toEqual(one.accepted);
    expect(all.rejected).toEqual(one.rejected);
    expect(new Set(touchedBatched.flat())).toEqual(one.touched);
    expect(await snapshot(batched)).toEqual(await snapshot(single));
    await single.close();
    return { all, batched };
  };

  it("stores a batch exactly as the same messages sent one per call", async () => {
    const { all, batched } = await compare(SCENARIO);
    // What the scenario is for: the paths it takes really happened.
    const c1 = customerIdFor({ kind: "customer_id", value: "C-1" });
    const anonymous = customerIdFor({ kind: "anonymous_id", value: "A-1" });
    const byId = new Map(all.accepted.map((a) => [a.messageId, a] as const));
    expect(all.accepted.filter((a) => a.duplicate).map((a) => [a.messageId, a.customerId])).toEqual([
      ["m3", anonymous],
      ["m0", customerIdFor({ kind: "customer_id", value: "C-0" })],
      ["m1", c1],
    ]);
    expect([byId.get("m8")?.customerId, byId.get("m10")?.customerId]).toEqual([c1, c1]);
    expect(byId.get("m13")?.warnings?.[0]).toMatch(/another customer_id: kept as a different person/);
    const profile = await batched.query<{ profile: Record<string, unknown> }>("SELECT profile FROM customers WHERE customer_id = $1", [c1]);
    expect(profile.rows[0]?.profile).toMatchObject({ email: "One@Example.com", last_name: "Primo", phone: PHONE, language: "en", consent: { email: true, sms: true } });
    expect(profile.rows[0]?.profile).not.toHaveProperty("first_name");
    await batched.close();
  });

  it("stores a burst of logins (a merge every few messages) exactly as one per call", async () => {
    const messages = Array.from({ length: 60 }, (_, k) => [
      page(`b-${k}-1`, { anonymousId: `A-${k}` }),
      { type: "identify", messageId: `b-${k}-2`, userId: `U-${k % 45}`, anonymousId: `A-${k}`, traits: { first_name: `N${k}` } },
      page(`b-${k}-3`, { anonymousId: `A-${k}` }),
      page(`b-${k}-4`, { userId: `U-${(k * 7) % 45}` }),
    ]).flat();
    const { all, batched } = await compare(messages);
    expect(all.accepted).toHaveLength(240);
    // A visitor whose user is known already merges into it (36 here): past the first lookup window of 32.
    const merged = await batched.query<{ n: number }>("SELECT count(*) AS n FROM customers WHERE merged_into IS NOT NULL");
    expect(merged.rows[0]?.n).toBe(36);
    await batched.close();
  });

  it("keeps each customer's events in message order in event_id", async () => {
    const clock = new VirtualClock(Date.parse("2025-02-01T00:00:00Z"));
    const store = await open();
    const messages = Array.from({ length: 300 }, (_, i) => page(`o-${i}`, { userId: `C-${i % 7}` }));
    await ingestMessages({ store, project, clock }, messages);
    const rows = await store.query<{ message_id: string }>("SELECT message_id FROM events ORDER BY event_id");
    expect(rows.rows.map((r) => r.message_id)).toEqual(messages.map((m) => m.messageId));
    await store.close();
  });

  it("takes the same few statements for 100 messages as for 400 when none needs a merge", async () => {
    const clock = new VirtualClock(Date.parse("2025-02-01T00:00:00Z"));
    const base = await open();
    const { store, statements } = counting(base);
    const call = async (n: number, prefix: string) => {
      const before = statements();
      const messages = Array.from({ length: n }, (_, i) =>
        i % 4 === 3 && i < 50
          ? { type: "identify", messageId: `${prefix}-${i}`, userId: `C-${i % 50}`, anonymousId: `A-${prefix}-${i % 50}`, traits: { first_name: `N${i}` } }
          : page(`${prefix}-${i}`, { userId: `C-${i % 50}`, anonymousId: `A-${prefix}-${i % 50}` }),
      );
      const result = await ingestMessages({ store, project, clock }, messages);
      expect(result.accepted.filter((a) => a.duplicate)).toEqual([]);
      return statements() - before;
    };
    // Customers C-0…C-49 new in the first call, known later, each with a new anonymous id per call and at most one identify.
    expect(await call(100, "a")).toBe(5); // lookup, customers, identities, profiles, events
    expect(await call(100, "b")).toBe(4); // lookup, identities, profiles, events
    expect(await call(400, "c")).toBe(4);
    await base.close();
  });

  it("resolves one by one when a new customer's id is already taken, as resolveCustomer does", async () => {
    const clock = new VirtualClock(Date.parse("2025-02-01T00:00:00Z"));
    const store = await open();
    const taken = customerIdFor({ kind: "customer_id", value: "C-taken" });
    // A customer row with the id the key would get, but no identity: the set-based insert finds it taken.
    await store.query("INSERT INTO customers (customer_id, profile, created_at, updated_at) VALUES ($1, '{}'::jsonb, $2, $2)", [taken, new Date(clock.now())]);
    const result = await ingestMessages({ store, project, clock }, [page("t-1", { userId: "C-other" }), page("t-2", { userId: "C-taken" })]);
    expect(result.accepted.map((a) => a.customerId)).toEqual([customerIdFor({ kind: "customer_id", value: "C-other" }), taken]);
    const keys = await store.query("SELECT kind, value, customer_id FROM identities ORDER BY value");
    expect(keys.rows).toEqual([
      { kind: "customer_id", value: "C-other", customer_id: customerIdFor({ kind: "customer_id", value: "C-other" }) },
      { kind: "customer_id", value: "C-taken", customer_id: taken },
    ]);
    const events = await store.query("SELECT message_id FROM events ORDER BY event_id");
    expect(events.rows).toEqual([{ message_id: "t-1" }, { message_id: "t-2" }]);
    await store.close();
  });
});
