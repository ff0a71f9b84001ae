/**
 * The seed scenarios (examples/data/week.jsonl, described in examples/data/EXPECTED.md) run through
 * the real ingestion and engine on a virtual clock — two weeks of journey time — in both modes:
 * embedded (PGlite + in-process queue) and production (PostgreSQL + BullMQ on Redis). Both must give
 * the same sends and the same traces, and the sends must be the ones the scenario intends.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { logChannels, type LoggedMessage } from "../runtime/src/channels/log.js";
import { deliveryBatchHandler } from "../runtime/src/delivery/deliver.js";
import { ingestObjects } from "../runtime/src/ingest/objects.js";
import { replay } from "../runtime/src/process/replay.js";
import { compileExamples, examplesDir } from "../runtime/src/testing/examples.js";
import { type EngineFixture, startEngine } from "../runtime/src/testing/harness.js";
import { bullmqFixture } from "../runtime/src/testing/queues.js";
import { services } from "../runtime/src/testing/services.js";
import { pgliteFixture, postgresFixture } from "../runtime/src/testing/stores.js";

const project = compileExamples();
const data = join(examplesDir, "data");
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
const week = lines(join(data, "week.jsonl"));
const start = new Date("2026-03-02T00:00:00Z");
const until = new Date("2026-03-16T00:00:00Z");

interface Outcome {
  sends: string[];
  traces: string[];
  delivered: string[];
  rejected: number;
}

async function runWeek(fixture: EngineFixture, sink: LoggedMessage[]): Promise<Outcome> {
  const { store, clock, engine } = fixture;
  for (const type of ["Product", "Store"]) {
    const result = await ingestObjects({ store, project, clock }, type, lines(join(data, "objects", `${type}.jsonl`)), "import");
    expect(result.rejected).toEqual([]);
  }
  const report = await replay({ store, project, clock, engine }, week, until.getTime());
  const sends = await store.query<{ line: string }>(
    `SELECT concat_ws(' ', c.profile->>'customer_id', o.payload->>'journey', o.node, o.channel, o.payload->>'template', o.status,
                      to_char(o.deliver_after AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')) AS line
     FROM outbox o JOIN customers c ON c.customer_id = o.customer_id ORDER BY o.send_id`,
  );
  const traces = await store.query<{ line: string }>(
    `SELECT concat_ws(' ', e.id, t.enrollment_version, to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), t.node, t.kind, t.detail::text) AS line
     FROM enrollment_traces t JOIN enrollments e ON e.id = t.enrollment_id ORDER BY e.id, t.trace_id`,
  );
  return {
    sends: sends.rows.map((r) => r.line),
    traces: traces.rows.map((r) => r.line),
    delivered: sink.map((m) => `${m.channel} ${m.idempotencyKey}`).sort(),
    rejected: report.rejected.length,
  };
}

let inMemory: Outcome;

describe("the seed scenarios, a week of journey time", () => {
  beforeAll(async () => {
    inMemory = await embeddedRun();
  }, 300_000);

  it("embedded: every message the scenario intends, at the intended times", () => {
    expect(inMemory.rejected).toBe(0);
    const by = (customer: string) => inMemory.sends.filter((s) => s.startsWith(`${customer} `)).map((s) => s.split(" ").slice(1, 5).join(" "));
    // Simona: a store purchase with her loyalty card, then an identified online visit (store_to_online).
    expect(by("C-1001")).toEqual(expect.arrayContaining(["store_to_online picks in_app store_picks"]));
    // Mario: the promo email, the SMS fallback 2 days later, the gold coupon after the landing visit.
    expect(by("C-1002")).toEqual(
      expect.arrayContaining(["promo_fallback promo email promo_email", "promo_fallback promo_sms sms promo_sms", "promo_fallback coupon_gold sms coupon_sms_gold"]),
    );
    // Léa: two carts, two reminders (per cart_id).
    expect(by("C-1003").filter((s) => s === "abandoned_cart reminder email cart_reminder")).toHaveLength(2);
    // The lapsed buyer picked up by Monday's 10:00 batch, the hot lead handed to sales.
    expect(by("C-1005")).toEqual(expect.arrayContaining(["winback offer email winback_offer"]));
    expect(by("C-1007")).toEqual(expect.arrayContaining(["lead_scoring hot_handoff webhook sales_hot_lead", "lead_scoring intro email sales_intro"]));
    // Every send was delivered once, through the log channel.
    expect(inMemory.sends.filter((s) => !s.includes(" sent "))).toEqual([]);
    expect(inMemory.delivered).toHaveLength(inMemory.sends.length);
    expect(new Set(inMemory.delivered).size).toBe(inMemory.delivered.length);
  });

  it.skipIf(services.embeddedOnly)(
    "PostgreSQL + BullMQ: the same sends and the same traces",
    async () => {
      const stores = postgresFixture();
      const queues = bullmqFixture();
      try {
        const sink: LoggedMessage[] = [];
        const store = await stores.open();
        let f: EngineFixture | undefined;
        f = await startEngine(store, project, start, {
          queue: async () => (await queues.open()).queue,
          engine: { deliver: (job) => deliveryBatchHandler({ store, clock: (f as EngineFixture).clock, channels: logChannels(sink) })(job) },
        });
        const production = await runWeek(f, sink);
        expect(production.sends).toEqual(inMemory.sends);
        expect(production.traces).toEqual(inMemory.traces);
        expect(production.delivered).toEqual(inMemory.delivered);
      } finally {
        await queues.cleanup();
        await stores.cleanup();
      }
    },
    300_000,
  );
});

async function embeddedRun(): Promise<Outcome> {
  const stores = pgliteFixture();
  try {
    const sink: LoggedMessage[] = [];
    const store = await stores.open();
    let f: EngineFixture | undefined;
    f = await startEngine(store, project, start, {
      engine: { deliver: (job) => deliveryBatchHandler({ store, clock: (f as EngineFixture).clock, channels: logChannels(sink) })(job) },
    });
    return await runWeek(f, sink);
  } finally {
    await stores.cleanup();
  }
}
