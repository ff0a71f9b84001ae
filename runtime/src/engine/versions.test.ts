import { afterAll, describe, expect, it } from "vitest";
import { type LoadedProject, indexJourney } from "../model/project.js";
import { compileExamples } from "../testing/examples.js";
import { addCustomer, addEvent, outbox, runUntil, startEngine, traces } from "../testing/harness.js";
import { pgliteFixture } from "../testing/stores.js";
import { publish } from "./versions.js";

const examples = compileExamples();
const fixture = pgliteFixture();
afterAll(() => fixture.cleanup());
const monday = new Date("2026-03-02T09:00:00Z");
const ada = { customer_id: "c-ada", first_name: "Ada", email: "ada@example.com", phone: "+393331234567", country: "IT", consent: { email: true, sms: true, push: true } };
const cart = { cart_id: "k1", value: 80, url: "https://shop.example.com/cart/k1", items: [] };

/** The examples with abandoned_cart changed: a new IR (hence a new version) with `policy` as its version rule. */
function withNewCartVersion(policy: "drain" | "restart" | "migrate"): LoadedProject {
  const old = examples.journeys.get("abandoned_cart");
  if (!old) throw new Error("no abandoned_cart");
  const ir = structuredClone(old.ir);
  ir.hash = `${"0".repeat(56)}${policy === "drain" ? "00000001" : policy === "restart" ? "00000002" : "00000003"}`;
  ir.title = `Abandoned cart (${policy})`;
  ir.onNewVersion = policy === "migrate" ? { kind: "migrate", map: [{ from: "cool_off", to: "cool_off" }] } : { kind: policy };
  const journeys = new Map(examples.journeys);
  journeys.set("abandoned_cart", indexJourney(ir));
  return { ...examples, journeys };
}

async function startedCart() {
  const f = await startEngine(await fixture.open(), examples, monday);
  const id = await addCustomer(f.store, ada, monday);
  await addEvent(f.store, id, "cart_abandoned", cart, monday, "m1");
  await f.engine.onAccepted([id]);
  await f.engine.settle();
  return { f, id };
}

const cartRows = async (f: Awaited<ReturnType<typeof startedCart>>["f"]) =>
  (await f.store.query<{ journey_version: string; state: string; node: string; end_reason: string | null }>(
    "SELECT journey_version, state, node, end_reason FROM enrollments WHERE journey = 'abandoned_cart' ORDER BY entered_at, state",
  )).rows;

describe("publishing a new version of a journey", () => {
  it("drain: enrollments stay pinned to the version they entered and finish on it", async () => {
    const { f } = await startedCart();
    const v1 = examples.journeys.get("abandoned_cart")?.version;
        const report = await publish(f.store, withNewCartVersion("drain"), f.engine.now());
    expect(report).toMatchObject({ changed: ["abandoned_cart"], drained: 1, migrated: 0, restarted: 0 });
    await runUntil(f, new Date(monday.getTime() + 2 * 3_600_000));
    expect(await cartRows(f)).toEqual([{ journey_version: v1, state: "waiting", node: "last_call", end_reason: null }]);
    expect((await outbox(f.store)).map((s) => s.payload.template)).toEqual(["cart_reminder"]);
  });

  it("migrate: waiting enrollments move to the new version at the mapped step", async () => {
    const { f } = await startedCart();
        const project = withNewCartVersion("migrate");
    const report = await publish(f.store, project, f.engine.now());
    expect(report).toMatchObject({ migrated: 1 });
    expect(await cartRows(f)).toEqual([{ journey_version: project.journeys.get("abandoned_cart")?.version, state: "waiting", node: "cool_off", end_reason: null }]);
    expect((await traces(f.store)).map((t) => t.kind)).toContain("migrated");
  });

  it("restart: the old enrollment ends and a new one starts at the new version's start", async () => {
    const { f } = await startedCart();
        const project = withNewCartVersion("restart");
    expect(await publish(f.store, project, f.engine.now())).toMatchObject({ restarted: 1 });
    const rows = await cartRows(f);
    expect(rows).toEqual([
      { journey_version: examples.journeys.get("abandoned_cart")?.version, state: "exited", node: "cool_off", end_reason: "restarted on a new version" },
      { journey_version: project.journeys.get("abandoned_cart")?.version, state: "waiting", node: "journey-start", end_reason: null },
    ]);
  });
});

describe("the API trigger", () => {
  it("starts a journey on request, once per request id, under the entry rule", async () => {
    const f = await startEngine(await fixture.open(), examples, monday);
    const id = await addCustomer(f.store, ada, monday);
    const first = await f.engine.startJourney(id, "abandoned_cart", cart, "req-1");
    expect(first).toBeDefined();
    expect(await f.engine.startJourney(id, "abandoned_cart", cart, "req-1")).toBeUndefined();
    // entry always, but one active enrollment per cart_id: the same cart again does not start a second.
    expect(await f.engine.startJourney(id, "abandoned_cart", cart, "req-2")).toBeUndefined();
    expect(await f.engine.startJourney(id, "abandoned_cart", { ...cart, cart_id: "k2" }, "req-3")).toBeDefined();
    await expect(f.engine.startJourney(id, "no_such_journey", {}, "req-4")).rejects.toThrow(/no journey named no_such_journey/);
  });
});

describe("an experiment picks its winner by the goal", () => {
  it("after the set time, everyone new takes the arm with the best goal rate", async () => {
    const f = await startEngine(await fixture.open(), examples, monday);
    const arms = async () =>
      new Map(
        (
          await f.store.query<{ customer_id: string; arm: string }>(
            "SELECT customer_id, context->'arms'->>'experiment-261d7ba1' AS arm FROM enrollments WHERE journey = 'welcome_series'",
          )
        ).rows.map((r) => [r.customer_id, r.arm]),
      );
    // Twelve sign-ups on Monday: the sticky hash spreads them over both arms.
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const id = await addCustomer(f.store, { ...ada, customer_id: `c-${i}`, email: `c${i}@example.com` }, monday);
      await addEvent(f.store, id, "signed_up", { source: "website" }, monday, `s-${i}`);
      ids.push(id);
    }
    await f.engine.onAccepted(ids);
    await f.engine.settle();
    const first = await arms();
    expect(new Set(first.values())).toEqual(new Set(["warm", "discount"]));
    // Only the "discount" customers buy (the goal: a purchase within 14 days).
    const buyers = ids.filter((id) => first.get(id) === "discount");
    for (const id of buyers) await addEvent(f.store, id, "purchase", { order_id: `o-${id}`, channel: "online", total: 40, items: [] }, new Date(monday.getTime() + 86_400_000), `p-${id}`);
    await f.clock.advanceTo(monday.getTime() + 86_400_000);
    await f.engine.onAccepted(buyers);
    await f.engine.settle();
    // Four days later (the winner is picked 3 days after the experiment started), newcomers all get "discount".
    await f.clock.advanceTo(monday.getTime() + 4 * 86_400_000);
    const late: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await addCustomer(f.store, { ...ada, customer_id: `n-${i}`, email: `n${i}@example.com` }, f.engine.now());
      await addEvent(f.store, id, "signed_up", { source: "website" }, f.engine.now(), `n-${i}`);
      late.push(id);
    }
    await f.engine.onAccepted(late);
    await f.engine.settle();
    const after = await arms();
    expect(late.map((id) => after.get(id))).toEqual(late.map(() => "discount"));
    const winner = await f.store.query("SELECT arm FROM experiment_winners WHERE journey = 'welcome_series'");
    expect(winner.rows).toEqual([{ arm: "discount" }]);
  });
});
