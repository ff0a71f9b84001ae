import { afterAll, describe, expect, it } from "vitest";
import { compileExamples } from "../testing/examples.js";
import { addCustomer, addEvent, outbox, runUntil, startEngine, traces } from "../testing/harness.js";
import { pgliteFixture } from "../testing/stores.js";

const project = compileExamples();
const fixture = pgliteFixture();
afterAll(() => fixture.cleanup());

const monday = new Date("2026-03-02T09:00:00Z");
const hours = (n: number) => new Date(monday.getTime() + n * 3_600_000);
const ada = {
  customer_id: "c-ada",
  first_name: "Ada",
  email: "ada@example.com",
  phone: "+393331234567",
  country: "IT",
  consent: { email: true, sms: true, push: true },
};

describe("the engine on the examples (embedded)", () => {
  it("abandoned cart: an hour later the reminder email, a day later the split's SMS or push", async () => {
    const f = await startEngine(await fixture.open(), project, monday);
    const id = await addCustomer(f.store, ada, monday);
    await addEvent(f.store, id, "cart_abandoned", { cart_id: "k1", value: 80, url: "https://shop.example.com/cart/k1", items: [] }, monday, "m1");
    await f.engine.onAccepted([id]);
    await f.engine.settle();
    expect(await outbox(f.store)).toEqual([]);
    await runUntil(f, hours(2));
    const first = await outbox(f.store);
    expect(first.map((s) => [s.channel, s.payload.template, s.payload.to])).toEqual([["email", "cart_reminder", "ada@example.com"]]);
    expect(first[0]?.payload.content.subject).toBe("You left something behind");
    await runUntil(f, hours(30));
    const all = await outbox(f.store);
    const trail = (await traces(f.store)).map((t) => `${t.node}:${t.kind}`);
    expect(trail).toContain("last_call:woke");
    expect(all.length).toBeGreaterThanOrEqual(1);
    expect(trail.some((t) => t.startsWith("split-") && t.endsWith(":arm"))).toBe(true);
  });
});

const mario = {
  customer_id: "c-mario",
  first_name: "Mario",
  email: "mario@example.com",
  phone: "+393339876543",
  country: "IT",
  favourite_categories: ["dresses"],
  consent: { email: true, sms: true, push: false },
};

async function enrollments(f: { store: { query: (sql: string, p?: unknown[]) => Promise<{ rows: unknown[] }> } }) {
  return (await f.store.query("SELECT journey, state, node, version, end_reason FROM enrollments ORDER BY entered_at, journey")).rows as {
    journey: string;
    state: string;
    node: string;
    version: number;
    end_reason: string | null;
  }[];
}

describe("exactly once under races (embedded)", () => {
  it("a stale wake-up after the customer moved on changes nothing", async () => {
    const f = await startEngine(await fixture.open(), project, monday);
    const id = await addCustomer(f.store, ada, monday);
    await addEvent(f.store, id, "cart_abandoned", { cart_id: "k1", value: 80, url: "https://shop.example.com/cart/k1", items: [] }, monday, "m1");
    await f.engine.onAccepted([id]);
    await runUntil(f, hours(2));
    const [waiting] = await enrollments(f);
    expect(waiting).toMatchObject({ journey: "abandoned_cart", state: "waiting", node: "last_call" });
    // The purchase ends it (exit when purchase where cart_id == trigger.cart_id) …
    await addEvent(f.store, id, "purchase", { order_id: "o1", channel: "online", cart_id: "k1", total: 80, items: [] }, hours(2), "m2");
    await f.engine.onAccepted([id]);
    await f.engine.settle();
    const [ended] = await enrollments(f);
    expect(ended).toMatchObject({ state: "exited", end_reason: "exit when purchase" });
    const before = (await traces(f.store)).length;
    // … and the timer that was due a day later, fired anyway (a stale job), does nothing.
    await f.clock.advanceTo(hours(30).getTime());
    await f.queue.add("journey.customer", { customerId: id }, { jobId: `customer.${id}.wstale.${waiting?.version}` });
    await f.engine.settle();
    await f.engine.evaluate(id);
    expect(await enrollments(f)).toEqual([ended]);
    expect((await traces(f.store)).length).toBe(before);
    expect((await outbox(f.store)).map((s) => s.payload.template)).toEqual(["cart_reminder"]);
  });

  it("an event arriving as its wait times out: one of the two wins, once", async () => {
    const f = await startEngine(await fixture.open(), project, monday);
    const id = await addCustomer(f.store, mario, monday);
    await addEvent(f.store, id, "email_opened", { message: "newsletter-1" }, monday, "o0");
    await f.engine.onAccepted([id]);
    await f.engine.settle();
    const promo = (await outbox(f.store)).find((s) => s.payload.template === "promo_email");
    expect(promo).toBeDefined();
    const sendId = (await f.store.query<{ send_id: string }>("SELECT send_id FROM outbox WHERE node = 'promo'")).rows[0]?.send_id;
    // The open lands exactly when the 2-day wait runs out; both the timeout and the event are due.
    const due = new Date(monday.getTime() + 2 * 86_400_000);
    await f.clock.advanceTo(due.getTime());
    await addEvent(f.store, id, "email_opened", { message: sendId }, due, "o1");
    await Promise.all([f.engine.evaluate(id), f.engine.evaluate(id), f.engine.tick()]);
    await f.engine.settle();
    const [enrollment] = (await enrollments(f)).filter((e) => e.journey === "promo_fallback");
    expect(enrollment).toMatchObject({ state: "waiting", node: "landing" });
    const trail = (await traces(f.store)).filter((t) => t.journey === "promo_fallback").map((t) => `${t.node}:${t.kind}`);
    expect(trail.filter((t) => t === "opened:resumed" || t === "opened:woke")).toHaveLength(1);
    // The event came in time (at the deadline, not after it): no SMS fallback.
    expect(trail).toContain("opened:resumed");
    expect((await outbox(f.store)).map((s) => s.payload.template)).toEqual(["promo_email"]);
  });

  it("the same event evaluated twice enrolls once", async () => {
    const f = await startEngine(await fixture.open(), project, monday);
    const id = await addCustomer(f.store, ada, monday);
    const cart = { cart_id: "k9", value: 30, url: "https://shop.example.com/cart/k9", items: [] };
    await addEvent(f.store, id, "cart_abandoned", cart, monday, "dup");
    await addEvent(f.store, id, "cart_abandoned", cart, monday, "dup");
    await Promise.all([f.engine.evaluate(id), f.engine.evaluate(id)]);
    await f.engine.onAccepted([id]);
    await f.engine.settle();
    expect((await f.store.query("SELECT 1 FROM events WHERE message_id = 'dup'")).rowCount).toBe(1);
    expect(await enrollments(f)).toHaveLength(1);
  });
});
