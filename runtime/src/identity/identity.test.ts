import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.js";
import { ingestMessages } from "../ingest/ingest.js";
import { migrate } from "../store/migrate.js";
import type { SqlStore } from "../store/port.js";
import { compileExamples } from "../testing/examples.js";
import { storeFixtures } from "../testing/stores.js";
import { customerIdFor } from "./keys.js";
import { mergeCustomers } from "./merge.js";
import { resolveCustomer } from "./resolve.js";

const project = compileExamples();

describe.each(storeFixtures())("identity: $kind", (fixture) => {
  let store: SqlStore;
  const clock = new VirtualClock(Date.parse("2025-02-01T00:00:00Z"));
  const deps = () => ({ store, project, clock });

  beforeAll(async () => {
    store = await fixture.open();
    await migrate(store);
  }, 60_000);
  afterAll(() => fixture.cleanup());

  it("Simona: a store purchase by loyalty card, an anonymous session, then identify: one customer", async () => {
    const store1 = await ingestMessages(deps(), [
      {
        type: "track",
        event: "purchase",
        messageId: "s-1",
        context: { traits: { loyalty_card: "LC-77" } },
        properties: { order_id: "S-1", channel: "store", store: "MI-1", total: 89, items: [{ sku: "DRESS-P", category: "dress", price: 89 }] },
      },
    ]);
    const pages = await ingestMessages(deps(), [
      { type: "page", anonymousId: "A-simona", messageId: "s-2", properties: { url: "https://shop.example/dresses", title: "Dresses" } },
      { type: "page", anonymousId: "A-simona", messageId: "s-3", properties: { url: "https://shop.example/p/DRESS-P", sku: "DRESS-P" } },
    ]);
    expect(store1.accepted[0]?.customerId).toBe(customerIdFor({ kind: "loyalty_card", value: "LC-77" }));
    expect(pages.accepted[0]?.customerId).not.toBe(store1.accepted[0]?.customerId);

    const identify = await ingestMessages(deps(), [
      { type: "identify", userId: "C-simona", anonymousId: "A-simona", messageId: "s-4", traits: { loyalty_card: "LC-77", first_name: "Simona" } },
    ]);
    expect(identify.rejected).toEqual([]);
    const survivor = identify.accepted[0]?.customerId;
    const events = await store.query<{ message_id: string; customer_id: string }>("SELECT message_id, customer_id FROM events ORDER BY message_id");
    expect(events.rows.map((e) => e.message_id)).toEqual(["s-1", "s-2", "s-3", "s-4"]);
    expect(new Set(events.rows.map((e) => e.customer_id))).toEqual(new Set([survivor]));
    const merged = await store.query<{ customer_id: string; merged_into: string | null }>(
      "SELECT customer_id, merged_into FROM customers WHERE customer_id <> $1",
      [survivor],
    );
    // The survivor is the existing customer holding the best key given (the loyalty card's); the visitor merges into it.
    expect(survivor).toBe(store1.accepted[0]?.customerId);
    expect(merged.rows).toEqual([{ customer_id: pages.accepted[0]?.customerId, merged_into: survivor }]);
    const profile = await store.query<{ profile: Record<string, unknown> }>("SELECT profile FROM customers WHERE customer_id = $1", [survivor]);
    expect(profile.rows[0]?.profile).toMatchObject({ customer_id: "C-simona", loyalty_card: "LC-77", first_name: "Simona", anonymous_id: "A-simona" });
    // A later event by the old anonymous id lands on the survivor.
    const later = await ingestMessages(deps(), [{ type: "page", anonymousId: "A-simona", messageId: "s-5", properties: { url: "https://shop.example/" } }]);
    expect(later.accepted[0]?.customerId).toBe(survivor);
  });

  it("keeps two customers with different customer_ids apart, and says so", async () => {
    await ingestMessages(deps(), [{ type: "identify", userId: "C-a", messageId: "c-1", traits: { email: "a@example.com" } }]);
    await ingestMessages(deps(), [{ type: "identify", userId: "C-b", messageId: "c-2", traits: { phone: "+393471234567" } }]);
    const both = await ingestMessages(deps(), [
      { type: "track", userId: "C-a", messageId: "c-3", event: "email_opened", properties: { message: "m" }, context: { traits: { phone: "+393471234567" } } },
    ]);
    expect(both.accepted[0]?.customerId).toBe(customerIdFor({ kind: "customer_id", value: "C-a" }));
    expect(both.accepted[0]?.warnings?.[0]).toMatch(/another customer_id: kept as a different person/);
    const b = await store.query("SELECT merged_into FROM customers WHERE customer_id = $1", [customerIdFor({ kind: "customer_id", value: "C-b" })]);
    expect(b.rows).toEqual([{ merged_into: null }]);
  });

  it("merges lists, scores (decayed, summed) and enrollments; a clashing enrollment ends as merged", async () => {
    const now = new Date("2025-03-01T00:00:00Z");
    const [s, m] = await store.transaction(async (tx) => {
      const s = (await resolveCustomer(tx, project, [{ kind: "customer_id", value: "C-s" }], now)).customerId;
      const m = (await resolveCustomer(tx, project, [{ kind: "anonymous_id", value: "A-m" }], now)).customerId;
      await tx.query("INSERT INTO list_members (list, customer_id, added_at) VALUES ('vip', $1, $2), ('news', $3, $2)", [s, now, m]);
      await tx.query("INSERT INTO scores (score, customer_id, value, as_of) VALUES ('engagement', $1, 10, $2), ('engagement', $3, 8, $4)", [
        s,
        now,
        m,
        new Date("2025-02-22T00:00:00Z"),
      ]);
      await tx.query("INSERT INTO segment_members (segment, customer_id, entered_at) VALUES ('active', $1, $2)", [m, now]);
      const enroll = (id: string, customer: string, journey: string) =>
        tx.query(
          "INSERT INTO enrollments (id, journey, journey_version, customer_id, state, entered_at, updated_at) VALUES ($1, $2, 'v1', $3, 'waiting', $4, $4)",
          [id, journey, customer, now],
        );
      await enroll("00000000-0000-4000-8000-000000000001", s, "welcome");
      await enroll("00000000-0000-4000-8000-000000000002", m, "welcome");
      await enroll("00000000-0000-4000-8000-000000000003", m, "winback");
      await mergeCustomers(tx, s, m, now, { scoreHalfLives: new Map([["engagement", "P1W"]]) });
      return [s, m];
    });
    const lists = await store.query("SELECT list FROM list_members WHERE customer_id = $1 ORDER BY list", [s]);
    expect(lists.rows).toEqual([{ list: "news" }, { list: "vip" }]);
    const scores = await store.query<{ value: number }>("SELECT value FROM scores WHERE customer_id IN ($1, $2)", [s, m]);
    expect(scores.rows).toEqual([{ value: 14 }]);
    const segments = await store.query("SELECT * FROM segment_members WHERE customer_id = $1", [m]);
    expect(segments.rowCount).toBe(0);
    const enrollments = await store.query("SELECT id, customer_id, state, end_reason FROM enrollments ORDER BY id");
    expect(enrollments.rows).toEqual([
      { id: "00000000-0000-4000-8000-000000000001", customer_id: s, state: "waiting", end_reason: null },
      { id: "00000000-0000-4000-8000-000000000002", customer_id: s, state: "exited", end_reason: "merged" },
      { id: "00000000-0000-4000-8000-000000000003", customer_id: s, state: "waiting", end_reason: null },
    ]);
    expect(m).not.toBe(s);
  });
});
