import { Analytics } from "@segment/analytics-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.js";
import { migrate } from "../store/migrate.js";
import type { SqlStore } from "../store/port.js";
import { compileExamples } from "../testing/examples.js";
import { storeFixtures } from "../testing/stores.js";
import { type IngestServer, startIngestServer } from "./server.js";

const project = compileExamples();
const KEY = "wk_test_secret";
const auth = `Basic ${Buffer.from(`${KEY}:`).toString("base64")}`;

const purchase = (messageId: string, extra: Record<string, unknown> = {}) => ({
  type: "track",
  event: "purchase",
  userId: "C-1",
  messageId,
  timestamp: "2025-01-01T09:00:00Z",
  properties: { order_id: "O-1", channel: "online", total: 49.9, items: [{ sku: "P1", category: "dress", price: 49.9 }] },
  ...extra,
});

describe.each(storeFixtures())("ingest HTTP API: $kind", (fixture) => {
  let store: SqlStore;
  let server: IngestServer;
  const clock = new VirtualClock(Date.parse("2025-01-02T00:00:00Z"));
  const accepted: string[][] = [];

  const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: auth }) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    store = await fixture.open();
    await migrate(store);
    server = await startIngestServer({
      store,
      project,
      clock,
      writeKeys: [KEY],
      limits: { bodyBytes: 2048, batchBytes: 8192, batchMessages: 20 },
      onAccepted: (ids) => {
        accepted.push(ids);
      },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await fixture.cleanup();
  });

  it("stores what @segment/analytics-node sends, once per message id", async () => {
    const analytics = new Analytics({ writeKey: KEY, host: server.url, path: "/v1/batch", flushAt: 1, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on("error", (error) => errors.push(error));
    analytics.identify({ userId: "C-sdk", traits: { email: "Sdk@Example.com", country: "IT", consent: { email: true } } });
    analytics.track({
      userId: "C-sdk",
      event: "purchase",
      messageId: "sdk-1",
      timestamp: new Date("2025-01-01T10:00:00Z"),
      properties: { order_id: "O-9", channel: "store", total: 20, items: [{ sku: "P2", category: "shoes", price: 20, quantity: 1 }] },
    });
    analytics.page({ anonymousId: "anon-sdk", name: "Home", properties: { url: "https://shop.example/", path: "/", title: "Home", referrer: "" } });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);

    const customer = await store.query<{ customer_id: string; profile: Record<string, unknown> }>(
      "SELECT c.customer_id, c.profile FROM customers c JOIN identities i USING (customer_id) WHERE i.kind = 'customer_id' AND i.value = 'C-sdk'",
    );
    expect(customer.rows[0]?.profile).toEqual({ customer_id: "C-sdk", email: "Sdk@Example.com", country: "IT", consent: { email: true } });
    const events = await store.query<{ name: string; occurred_at: Date; received_at: Date; properties: Record<string, unknown>; evaluated: boolean }>(
      "SELECT name, occurred_at, received_at, properties, evaluated FROM events WHERE customer_id = $1 ORDER BY name",
      [customer.rows[0]?.customer_id],
    );
    expect(events.rows.map((e) => e.name)).toEqual(["$identify", "purchase"]);
    expect(events.rows[1]?.occurred_at).toEqual(new Date("2025-01-01T10:00:00Z"));
    expect(events.rows[1]?.received_at).toEqual(new Date(clock.now()));
    expect(events.rows.every((e) => !e.evaluated)).toBe(true);
    const page = await store.query<{ properties: unknown }>("SELECT properties FROM events WHERE name = 'page_view'");
    expect(page.rows).toEqual([{ properties: { url: "https://shop.example/" } }]);
    // The email key is looked up case-insensitively.
    const identity = await store.query("SELECT value FROM identities WHERE kind = 'email'");
    expect(identity.rows).toEqual([{ value: "sdk@example.com" }]);
  });

  it("answers 200, stores a re-sent message once and calls onAccepted only for the new one", async () => {
    accepted.length = 0;
    const first = await post("/v1/track", purchase("dup-1"));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ success: true });
    const again = await post("/v1/track", purchase("dup-1"));
    expect(again.status).toBe(200);
    const count = await store.query<{ n: number }>("SELECT count(*) AS n FROM events WHERE message_id = 'dup-1'");
    expect(count.rows[0]?.n).toBe(1);
    expect(accepted).toHaveLength(1);
  });

  it("stores the good messages of a batch and answers 400 naming each bad one", async () => {
    const response = await post("/v1/batch", {
      batch: [
        purchase("b-1"),
        purchase("b-2", { properties: { order_id: "O-2", channel: "online", total: "12,50", items: [] } }),
        { type: "track", event: "purchase_done", userId: "C-1", messageId: "b-3", properties: {} },
        purchase("b-4", { properties: { order_id: "O-4", channel: "shop", total: 1, items: [], colour: "red" } }),
      ],
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { success: boolean; accepted: number; rejected: { index: number; messageId: string; errors: { path: string; message: string }[] }[] };
    expect(body.success).toBe(false);
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.messageId])).toEqual([
      [1, "b-2"],
      [2, "b-3"],
      [3, "b-4"],
    ]);
    expect(body.rejected[0]?.errors).toEqual([{ path: "properties.total", message: 'expected a number (money), got "12,50"' }]);
    expect(body.rejected[1]?.errors[0]?.message).toMatch(/^unknown event "purchase_done" \(did you mean "purchase"\?\); the schema declares: .*purchase/);
    const paths = body.rejected[2]?.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["properties.channel", "properties.colour"]));
    expect(body.rejected[2]?.errors.find((e) => e.path === "properties.colour")?.message).toMatch(/declared fields are: .*order_id/);

    const stored = await store.query("SELECT message_id FROM events WHERE message_id LIKE 'b-%'");
    expect(stored.rows).toEqual([{ message_id: "b-1" }]);
    const rejected = await store.query<{ message_id: string; reason: string; source: string; payload: string }>(
      "SELECT message_id, reason, source, payload FROM rejected_events WHERE message_id LIKE 'b-%' ORDER BY rejected_id",
    );
    expect(rejected.rows.map((r) => r.message_id)).toEqual(["b-2", "b-3", "b-4"]);
    expect(rejected.rows[0]?.reason).toBe('properties.total: expected a number (money), got "12,50"');
    expect(JSON.parse(rejected.rows[0]?.payload ?? "{}").messageId).toBe("b-2");
    expect(rejected.rows.every((r) => r.source === "api")).toBe(true);
  });

  it("refuses a missing or unknown write key with 401, without echoing it", async () => {
    const missing = await post("/v1/track", purchase("k-1"), {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: expect.stringMatching(/^missing write key: send it as the Basic auth user name/) });
    const wrong = await post("/v1/track", purchase("k-2"), { authorization: `Basic ${Buffer.from("wk_guess:").toString("base64")}` });
    expect(wrong.status).toBe(401);
    const text = await wrong.text();
    expect(text).toMatch(/unknown write key/);
    expect(text).not.toContain("wk_guess");
    const inBody = await post("/v1/track", { ...purchase("k-3"), writeKey: KEY }, {});
    expect(inBody.status).toBe(200);
  });

  it("answers malformed JSON with 400 and the error position, and keeps the text", async () => {
    const response = await post("/v1/track", '{"type": "track",\n "event": }');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(body.error).toBe("malformed JSON at position 29 (line 2, column 12): Unexpected token '}'");
    const kept = await store.query("SELECT payload FROM rejected_events WHERE payload = $1", ['{"type": "track",\n "event": }']);
    expect(kept.rowCount).toBe(1);
  });

  it("accepts text/plain bodies as analytics.js beacons send them", async () => {
    const response = await post("/v1/track", JSON.stringify(purchase("plain-1")), { authorization: auth, "content-type": "text/plain" });
    expect(response.status).toBe(200);
  });

  it("answers 413 with the limit for a body or batch over it", async () => {
    const big = await post("/v1/track", purchase("big-1", { context: { padding: "x".repeat(3000) } }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/over the limit of 2048 bytes/);
    const many = await post("/v1/batch", { batch: Array.from({ length: 21 }, (_, i) => ({ type: "track", messageId: `m-${i}` })) });
    expect(many.status).toBe(413);
    expect(((await many.json()) as { error: string }).error).toMatch(/21 messages is over the limit of 20 messages/);
    const oneTooBig = await post("/v1/batch", { batch: [purchase("big-2", { context: { padding: "x".repeat(2100) } }), purchase("small-1")] });
    expect(oneTooBig.status).toBe(400);
    const body = (await oneTooBig.json()) as { accepted: number; rejected: { errors: { message: string }[] }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected[0]?.errors[0]?.message).toMatch(/over the limit of 2048 bytes per message/);
  });

  it("rejects a message with no identity, naming the keys it could carry", async () => {
    const response = await post("/v1/track", { event: "email_opened", properties: { message: "s1" }, messageId: "noid" });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { rejected: { errors: { path: string; message: string }[] }[] };
    expect(body.rejected[0]?.errors).toEqual([{ path: "userId", message: expect.stringMatching(/needs a userId or an anonymousId .*loyalty_card/) }]);
  });

  it("upserts catalogue objects by key and rejects bad ones", async () => {
    const ok = await post("/v1/objects/Product", { objects: [{ sku: "P1", name: "Dress", category: "dress", price: 49.9, stock: 3 }] });
    expect(ok.status).toBe(200);
    const again = await post("/v1/objects/Product", { sku: "P1", name: "Purple dress", category: "dress", price: 39.9, stock: 120 });
    expect(again.status).toBe(200);
    const rows = await store.query("SELECT key, data FROM objects WHERE type = 'Product'");
    expect(rows.rows).toEqual([{ key: "P1", data: { sku: "P1", name: "Purple dress", category: "dress", price: 39.9, stock: 120 } }]);
    const bad = await post("/v1/objects/Product", { objects: [{ sku: "P2", name: "Shoe", category: "shoes", price: 10, stock: 1.5 }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { rejected: { errors: unknown[] }[] }).rejected[0]?.errors).toEqual([
      { path: "objects[0].stock", message: "expected a whole number (int), got 1.5" },
    ]);
    const unknown = await post("/v1/objects/Prodcut", { sku: "x" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/unknown object type "Prodcut" \(did you mean "Product"\?\)/);
  });
});
