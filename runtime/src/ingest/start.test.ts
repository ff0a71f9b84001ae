/** The API trigger over HTTP: POST /v1/journeys/:journey/start, with the engine behind it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileExamples } from "../testing/examples.js";
import { type EngineFixture, startEngine } from "../testing/harness.js";
import { pgliteFixture } from "../testing/stores.js";
import { type IngestServer, startIngestServer } from "./server.js";

const project = compileExamples();
const KEY = "wk_start";
const auth = `Basic ${Buffer.from(`${KEY}:`).toString("base64")}`;
const stores = pgliteFixture();
let f: EngineFixture;
let server: IngestServer;

beforeAll(async () => {
  f = await startEngine(await stores.open(), project, new Date("2026-03-02T09:00:00Z"));
  server = await startIngestServer({
    store: f.store,
    project,
    clock: f.clock,
    writeKeys: [KEY],
    onAccepted: f.engine.onAccepted,
    startJourney: (customer, journey, properties, requestId) => f.engine.startJourney(customer, journey, properties, requestId),
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await stores.cleanup();
});

const start = (journey: string, body: unknown) =>
  fetch(`${server.url}/v1/journeys/${journey}/start`, { method: "POST", headers: { "content-type": "application/json", authorization: auth }, body: JSON.stringify(body) });

describe("POST /v1/journeys/:journey/start", () => {
  it("starts the journey for the customer once per messageId", async () => {
    const body = { userId: "C-api", messageId: "start-1", properties: { cart_id: "k7", value: 42, url: "https://shop.example.com/cart/k7", items: [] } };
    const first = await start("abandoned_cart", body);
    expect(first.status).toBe(200);
    const json = (await first.json()) as { started: boolean; enrollmentId?: string };
    expect(json.started).toBe(true);
    const again = (await (await start("abandoned_cart", body)).json()) as { started: boolean };
    expect(again.started).toBe(false);
    const rows = await f.store.query<{ node: string; state: string }>("SELECT node, state FROM enrollments WHERE id = $1", [json.enrollmentId]);
    expect(rows.rows).toEqual([{ node: "cool_off", state: "waiting" }]);
  });

  it("answers a precise error for an unknown journey, no customer, or a wrong key", async () => {
    const unknown = await start("abandoned_kart", { userId: "C-api" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/unknown journey "abandoned_kart" \(did you mean "abandoned_cart"\?\)/);
    const nobody = await start("abandoned_cart", { properties: {} });
    expect(nobody.status).toBe(400);
    expect(((await nobody.json()) as { error: string }).error).toMatch(/send userId \(or anonymousId\)/);
    const denied = await fetch(`${server.url}/v1/journeys/abandoned_cart/start`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from("wrong:").toString("base64")}` },
      body: "{}",
    });
    expect(denied.status).toBe(401);
  });
});
