import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Channel, ChannelError, type ChannelName, type OutboundMessage, type SendResult } from "../channels/port.js";
import { type Clock, VirtualClock } from "../engine/clock.js";
import { PermanentJobError } from "../queue/port.js";
import { migrate } from "../store/migrate.js";
import type { SqlStore } from "../store/port.js";
import { storeFixtures } from "../testing/stores.js";
import {
  type DeliveryDeps,
  type DeliveryOutcome,
  type DeliveryStatus,
  deliverBatch,
  deliverOne,
  deliveryBatchHandler,
  deliveryHandler,
  deliveryJobId,
  deliveryJobs,
  dueDeliveries,
  dueSends,
} from "./deliver.js";
import { RateLimiter } from "./rate-limit.js";

/**
 * A channel the test drives: each call takes the next scripted answer (a result, an error, or a
 * gate the test opens later, to hold a worker "inside the provider call").
 */
class ScriptedChannel implements Channel {
  readonly calls: { message: OutboundMessage; key: string }[] = [];
  readonly script: (SendResult | ChannelError | Gate)[] = [];
  /** Answers for a given send id, used before the script (calls in a batch run in no set order). */
  readonly answers = new Map<string, SendResult | ChannelError | Gate | Error>();
  constructor(
    readonly name: ChannelName,
    readonly idempotent: boolean,
  ) {}
  async send(message: OutboundMessage, ctx: { idempotencyKey: string }): Promise<SendResult> {
    this.calls.push({ message, key: ctx.idempotencyKey });
    const next = this.answers.get(message.sendId) ?? this.script.shift() ?? { providerMessageId: `p-${this.calls.length}` };
    if (next instanceof Error) throw next;
    if (next instanceof Gate) return next.wait();
    return next;
  }
}

class Gate {
  #open: (result: SendResult) => void = () => {};
  readonly #promise = new Promise<SendResult>((resolve) => {
    this.#open = resolve;
  });
  entered = false;
  wait(): Promise<SendResult> {
    this.entered = true;
    return this.#promise;
  }
  open(result: SendResult): void {
    this.#open(result);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe.each(storeFixtures())("delivery: $kind", (fixture) => {
  let store: SqlStore;
  let customerId: string;
  let enrollmentId: string;

  beforeAll(async () => {
    store = await fixture.open();
    await migrate(store, { clock: new VirtualClock() });
    customerId = randomUUID();
    enrollmentId = randomUUID();
    const at = new Date(Date.UTC(2025, 0, 1));
    await store.query("INSERT INTO customers (customer_id, created_at, updated_at) VALUES ($1, $2, $2)", [customerId, at]);
    await store.query(
      `INSERT INTO enrollments (id, journey, journey_version, customer_id, state, entered_at, updated_at)
       VALUES ($1, 'promo_fallback', 'v1', $2, 'active', $3, $3)`,
      [enrollmentId, customerId, at],
    );
  });
  afterAll(() => fixture.cleanup());

  /** An outbox row as the engine writes it; returns its send id. */
  async function outbox(clock: Clock, channel: ChannelName, options: { deliverAfter?: number; payload?: unknown } = {}) {
    const sendId = randomUUID();
    const node = `node_${sendId.slice(0, 8)}`;
    const payload = options.payload ?? {
      journey: "promo_fallback",
      version: "v1",
      node,
      channel,
      template: null,
      to: channel === "sms" ? "+393331234567" : "mario@example.com",
      content: channel === "email" ? { subject: "Hi", body: "<p>Hello</p>" } : { body: "Hello" },
    };
    await store.query(
      `INSERT INTO outbox (send_id, enrollment_id, customer_id, node, channel, payload, created_at, deliver_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [sendId, enrollmentId, customerId, node, channel, JSON.stringify(payload), new Date(clock.now()), new Date(options.deliverAfter ?? clock.now())],
    );
    return sendId;
  }

  async function row(sendId: string) {
    const { rows } = await store.query<{
      status: string;
      attempts: number;
      fencing_token: number;
      deliver_after: Date;
      lease_until: Date | null;
      last_error: string | null;
      provider_message_id: string | null;
      sent_at: Date | null;
    }>("SELECT status, attempts, fencing_token, deliver_after, lease_until, last_error, provider_message_id, sent_at FROM outbox WHERE send_id = $1", [sendId]);
    const found = rows[0];
    if (!found) throw new Error(`no outbox row ${sendId}`);
    return found;
  }

  function setup(idempotent: boolean, channelName: ChannelName = "sms") {
    const clock = new VirtualClock();
    const channel = new ScriptedChannel(channelName, idempotent);
    // The in-app companion rides along in batch mode; its own channel, so `channel.calls` stays the case's.
    const companion = new ScriptedChannel("in_app", true);
    const deps = {
      store,
      clock,
      channels: new Map<string, Channel>([
        [channelName, channel],
        ["in_app", companion],
      ]),
      leaseMs: 60_000,
      retry: { baseMs: 1000, maxMs: 8000, maxAttempts: 4 },
    };
    return { clock, channel, deps };
  }

  describe.each(["one", "batch"] as const)("deliverOne cases, delivered %s at a time", (mode) => {
    /** deliverOne, or deliverBatch of the send with a fresh due in-app send beside it, which must be sent too. */
    async function deliver(deps: DeliveryDeps, sendId: string): Promise<DeliveryStatus> {
      if (mode === "one") return deliverOne(deps, sendId);
      const companion = await outbox(deps.clock, "in_app");
      const outcomes = await deliverBatch(deps, [companion, sendId]);
      expect(outcomes.map((o) => o.sendId)).toEqual([companion, sendId]);
      expect(outcomes[0]?.status).toBe("sent");
      const status = outcomes[1]?.status;
      if (!status) throw new Error(`deliverBatch gave no outcome for ${sendId}`);
      return status;
    }

    it("sends a due row once, with the send id as idempotency key, and records the result", async () => {
      const { clock, channel, deps } = setup(true);
      const sendId = await outbox(clock, "sms");
      expect(await deliver(deps, sendId)).toBe("sent");
      expect(await deliver(deps, sendId)).toBe("skipped");
      expect(channel.calls.map((c) => c.key)).toEqual([sendId]);
      expect(channel.calls[0]?.message).toMatchObject({ sendId, channel: "sms", to: "+393331234567", content: { body: "Hello" }, customerId, enrollmentId });
      expect(await row(sendId)).toMatchObject({ status: "sent", attempts: 1, fencing_token: 1, provider_message_id: "p-1", sent_at: new Date(clock.now()), lease_until: null });
    });

    it("gives a second claimer nothing while the first holds the lease", async () => {
      const { clock, channel, deps } = setup(false);
      const sendId = await outbox(clock, "sms");
      const gate = new Gate();
      channel.script.push(gate);
      const first = deliver(deps, sendId);
      while (!gate.entered) await settle();
      expect(await row(sendId)).toMatchObject({ status: "sending", lease_until: new Date(clock.now() + 60_000) });
      expect(await deliver(deps, sendId)).toBe("skipped");
      gate.open({ providerMessageId: "late-but-valid" });
      expect(await first).toBe("sent");
      expect(channel.calls).toHaveLength(1);
      expect(await row(sendId)).toMatchObject({ status: "sent", provider_message_id: "late-but-valid" });
    });

    it("re-claims an expired lease on an idempotent channel, and ignores the stale worker's late result", async () => {
      const { clock, channel, deps } = setup(true);
      const sendId = await outbox(clock, "sms");
      const gate = new Gate();
      channel.script.push(gate);
      const stale = deliver(deps, sendId);
      while (!gate.entered) await settle();
      await clock.advance(60_001);
      expect(await dueSends(store, clock.now(), 100)).toContain(sendId);
      expect(await deliver(deps, sendId)).toBe("sent");
      expect(await row(sendId)).toMatchObject({ status: "sent", fencing_token: 2, attempts: 2, provider_message_id: "p-2" });
      gate.open({ providerMessageId: "from-the-stale-worker" });
      expect(await stale).toBe("skipped");
      expect(await row(sendId)).toMatchObject({ status: "sent", provider_message_id: "p-2" });
      expect(channel.calls.map((c) => c.key)).toEqual([sendId, sendId]);
    });

    it("marks an expired lease on a non-idempotent channel unknown instead of sending again", async () => {
      const { clock, channel, deps } = setup(false, "email");
      const sendId = await outbox(clock, "email");
      const gate = new Gate();
      channel.script.push(gate);
      const stale = deliver(deps, sendId);
      while (!gate.entered) await settle();
      await clock.advance(60_001);
      expect(await deliver(deps, sendId)).toBe("unknown");
      const settled = await row(sendId);
      expect(settled.status).toBe("unknown");
      expect(settled.last_error).toMatch(/lease ran out during attempt 1, inside the email provider call/);
      gate.open({ providerMessageId: "x" });
      expect(await stale).toBe("skipped");
      expect((await row(sendId)).status).toBe("unknown");
      expect(channel.calls).toHaveLength(1);
      expect(await dueSends(store, clock.now(), 100)).not.toContain(sendId);
    });

    it("retries a retryable failure with exponential backoff on the clock, then sends", async () => {
      const { clock, channel, deps } = setup(true);
      const sendId = await outbox(clock, "sms");
      const outage = () => new ChannelError("Twilio answered 500", { retryable: true, status: 500 });
      channel.script.push(outage(), outage());
      const start = clock.now();
      expect(await deliver(deps, sendId)).toBe("retry");
      expect(await row(sendId)).toMatchObject({ status: "pending", attempts: 1, deliver_after: new Date(start + 1000), last_error: "Twilio answered 500" });
      expect(await deliver(deps, sendId)).toBe("skipped");
      await clock.advance(1000);
      expect(await deliver(deps, sendId)).toBe("retry");
      expect(await row(sendId)).toMatchObject({ attempts: 2, deliver_after: new Date(start + 1000 + 2000) });
      await clock.advance(1999);
      expect(await dueSends(store, clock.now(), 100)).not.toContain(sendId);
      await clock.advance(1);
      expect(await dueSends(store, clock.now(), 100)).toContain(sendId);
      expect(await deliver(deps, sendId)).toBe("sent");
      expect(await row(sendId)).toMatchObject({ status: "sent", attempts: 3, last_error: null });
    });

    it("honours the provider's Retry-After over the backoff", async () => {
      const { clock, channel, deps } = setup(true);
      const sendId = await outbox(clock, "sms");
      channel.script.push(new ChannelError("Twilio answered 429", { retryable: true, status: 429, retryAfterMs: 7000 }));
      expect(await deliver(deps, sendId)).toBe("retry");
      expect((await row(sendId)).deliver_after).toEqual(new Date(clock.now() + 7000));
    });

    it("fails after the last attempt", async () => {
      const { clock, channel, deps } = setup(true);
      const sendId = await outbox(clock, "sms");
      for (let i = 0; i < 4; i++) channel.script.push(new ChannelError("Twilio answered 503", { retryable: true, status: 503 }));
      const results: string[] = [];
      for (let i = 0; i < 4; i++) {
        results.push(await deliver(deps, sendId));
        await clock.advance(8000);
      }
      expect(results).toEqual(["retry", "retry", "retry", "failed"]);
      expect(await row(sendId)).toMatchObject({ status: "failed", attempts: 4, last_error: "gave up after 4 attempts: Twilio answered 503" });
    });

    it("fails a permanent error at once", async () => {
      const { clock, channel, deps } = setup(true);
      const sendId = await outbox(clock, "sms");
      channel.script.push(new ChannelError("Twilio answered 400: invalid number", { retryable: false, status: 400 }));
      expect(await deliver(deps, sendId)).toBe("failed");
      expect(await row(sendId)).toMatchObject({ status: "failed", attempts: 1, last_error: "Twilio answered 400: invalid number", lease_until: null });
    });

    it("settles an ambiguous failure on a non-idempotent channel as unknown, but retries it on an idempotent one", async () => {
      const ambiguous = () => new ChannelError("no answer within 30000 ms", { retryable: true, ambiguous: true });
      const push = setup(false, "push");
      const pushSend = await outbox(push.clock, "push");
      push.channel.script.push(ambiguous());
      expect(await deliver(push.deps, pushSend)).toBe("unknown");
      expect((await row(pushSend)).last_error).toMatch(/takes no idempotency key, so it is not retried/);

      const sms = setup(true, "sms");
      const smsSend = await outbox(sms.clock, "sms");
      sms.channel.script.push(ambiguous());
      expect(await deliver(sms.deps, smsSend)).toBe("retry");
    });

    it("holds a quiet-hours send until its deliver_after", async () => {
      const { clock, channel, deps } = setup(true);
      const eightHours = 8 * 3600_000;
      const sendId = await outbox(clock, "sms", { deliverAfter: clock.now() + eightHours });
      expect(await dueSends(store, clock.now(), 100)).not.toContain(sendId);
      expect(await deliver(deps, sendId)).toBe("skipped");
      expect(channel.calls).toHaveLength(0);
      await clock.advance(eightHours);
      expect(await dueSends(store, clock.now(), 100)).toContain(sendId);
      expect(await deliver(deps, sendId)).toBe("sent");
    });

    it("fails a malformed payload permanently, naming the field", async () => {
      const { clock, deps } = setup(true);
      const sendId = await outbox(clock, "sms", {
        payload: { journey: "j", version: "v1", node: "n", channel: "sms", template: null, to: "+393331234567", content: { text: "no body" } },
      });
      expect(await deliver(deps, sendId)).toBe("failed");
      expect((await row(sendId)).last_error).toMatch(/malformed payload \(payload\.content\.body: /);
    });

    it("retries a send whose channel this process has no settings for, saying so", async () => {
      const { clock, deps } = setup(true, "sms");
      const sendId = await outbox(clock, "webhook", {
        payload: { journey: "j", version: "v1", node: "n", channel: "webhook", template: null, to: "https://crm.example/hook", content: {} },
      });
      expect(await deliver(deps, sendId)).toBe("retry");
      expect((await row(sendId)).last_error).toMatch(/no webhook channel is configured/);
    });

    it("lists due sends with their job ids: pending and due, or leased and expired; nothing else", async () => {
      const { clock, deps, channel } = setup(true);
      await store.query("UPDATE outbox SET status = 'failed' WHERE status IN ('pending', 'sending')");
      const due = await outbox(clock, "sms");
      const later = await outbox(clock, "sms", { deliverAfter: clock.now() + 1000 });
      const leased = await outbox(clock, "sms");
      const gate = new Gate();
      channel.script.push(gate);
      const running = deliver(deps, leased);
      while (!gate.entered) await settle();
      expect(await dueDeliveries(store, clock.now(), 100)).toEqual([{ sendId: due, channel: "sms", attempts: 0, jobId: `deliver.${due}.0` }]);
      // In batch mode the companion's result waits recordDelayMs for the gated send, then is recorded alone.
      await clock.advance(1000);
      const sending = async () => (await store.query<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE status = 'sending'")).rows[0]?.n;
      while ((await sending()) !== 1) await settle();
      await clock.advance(59_001);
      expect(new Set(await dueSends(store, clock.now(), 100))).toEqual(new Set([due, later, leased]));
      expect(await dueSends(store, clock.now(), 1)).toEqual([due]);
      expect((await dueDeliveries(store, clock.now(), 100)).find((d) => d.sendId === leased)?.jobId).toBe(deliveryJobId(leased, 1));
      gate.open({});
      await running;
    });

    it("runs as a queue handler, refusing job data without a send id", async () => {
      const { clock, channel, deps } = setup(true);
      const sendId = await outbox(clock, "sms");
      const handler = deliveryHandler(deps);
      await handler({ id: "j1", queue: "deliver", data: { sendId }, attempt: 1 });
      expect(channel.calls).toHaveLength(1);
      await expect(handler({ id: "j2", queue: "deliver", data: { sendId: "nope" }, attempt: 1 })).rejects.toBeInstanceOf(PermanentJobError);
    });

    it("waits for the channel's rate limiter before claiming", async () => {
      const { clock, channel, deps } = setup(true);
      const limited = { ...deps, limiters: new Map([["sms", new RateLimiter(clock, { perSecond: 1, burst: 1 })]]) };
      const [a, b] = [await outbox(clock, "sms"), await outbox(clock, "sms")];
      expect(await deliver(limited, a)).toBe("sent");
      let done = false;
      const second = deliver(limited, b).then((status) => {
        done = true;
        return status;
      });
      for (let i = 0; i < 20; i++) await settle();
      expect(done).toBe(false);
      expect((await row(b)).status).toBe("pending");
      await clock.advance(1000);
      expect(await second).toBe("sent");
      expect(channel.calls).toHaveLength(2);
    });
  });

  describe("batches", () => {
    /** The store, counting the statements run through it. */
    function counted() {
      const statements: string[] = [];
      const counting = {
        query: (sql: string, params?: readonly unknown[]) => {
          statements.push(sql.replace(/\s+/g, " ").trim().slice(0, 40));
          return store.query(sql, params);
        },
        exec: (script: string) => store.exec(script),
      } as SqlStore;
      return { counting, statements };
    }

    it("claims a batch in one statement and records every outcome in one more", async () => {
      const { clock, channel, deps } = setup(true);
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await outbox(clock, "sms"));
      const { counting, statements } = counted();
      const outcomes = await deliverBatch({ ...deps, store: counting }, ids);
      expect(outcomes.map((o) => [o.sendId, o.status, o.attempts])).toEqual(ids.map((id) => [id, "sent", 1]));
      expect(statements).toHaveLength(2);
      expect(statements[0]).toMatch(/^WITH target AS/);
      expect(statements[1]).toMatch(/^UPDATE outbox o SET status = r\.status/);
      expect(new Set(channel.calls.map((c) => c.key))).toEqual(new Set(ids));
      for (const id of ids) {
        expect(await row(id)).toMatchObject({ status: "sent", attempts: 1, fencing_token: 1, lease_until: null, sent_at: new Date(clock.now()) });
      }
      expect(new Set((await Promise.all(ids.map(row))).map((r) => r.provider_message_id)).size).toBe(5);
    });

    it("skips a send another worker holds, and delivers the rest", async () => {
      const { clock, channel, deps } = setup(false);
      const [held, b, c] = [await outbox(clock, "sms"), await outbox(clock, "sms"), await outbox(clock, "sms")];
      const gate = new Gate();
      channel.answers.set(held, gate);
      const other = deliverOne(deps, held);
      while (!gate.entered) await settle();
      const outcomes = await deliverBatch(deps, [held, b, c]);
      expect(outcomes.map((o) => o.status)).toEqual(["skipped", "sent", "sent"]);
      expect(channel.calls.map((call) => call.key).sort()).toEqual([held, b, c].sort());
      expect(await row(held)).toMatchObject({ status: "sending", fencing_token: 1 });
      gate.open({ providerMessageId: "the-other-worker" });
      expect(await other).toBe("sent");
      expect(await row(held)).toMatchObject({ status: "sent", provider_message_id: "the-other-worker", attempts: 1 });
    });

    it("ignores only the send whose token went stale; the rest of the batch is recorded", async () => {
      const { clock, channel, deps } = setup(true);
      const [lost, kept] = [await outbox(clock, "sms"), await outbox(clock, "sms")];
      const [lostGate, keptGate, reclaimGate] = [new Gate(), new Gate(), new Gate()];
      channel.answers.set(lost, lostGate);
      channel.answers.set(kept, keptGate);
      const slow = deliverBatch(deps, [lost, kept]);
      while (!lostGate.entered || !keptGate.entered) await settle();
      await clock.advance(60_001);
      // Another worker re-claims the expired lease of `lost` (token 2) and is inside its own call.
      channel.answers.set(lost, reclaimGate);
      const reclaim = deliverOne(deps, lost);
      while (!reclaimGate.entered) await settle();
      lostGate.open({ providerMessageId: "stale" });
      keptGate.open({ providerMessageId: "kept-by-token-1" });
      const outcomes = await slow;
      expect(outcomes[0]).toMatchObject({ sendId: lost, status: "skipped", error: "claim 1 lost its lease before finishing; its result was discarded" });
      expect(outcomes[1]).toMatchObject({ sendId: kept, status: "sent" });
      expect(await row(lost)).toMatchObject({ status: "sending", fencing_token: 2, provider_message_id: null });
      expect(await row(kept)).toMatchObject({ status: "sent", fencing_token: 1, provider_message_id: "kept-by-token-1" });
      reclaimGate.open({ providerMessageId: "by-token-2" });
      expect(await reclaim).toBe("sent");
      expect(await row(lost)).toMatchObject({ status: "sent", fencing_token: 2, provider_message_id: "by-token-2" });
    });

    it("keeps each send's provider error to itself", async () => {
      const { clock, channel, deps } = setup(true);
      const [ok, permanent, outage, limited, bug] = [
        await outbox(clock, "sms"),
        await outbox(clock, "sms"),
        await outbox(clock, "sms"),
        await outbox(clock, "sms"),
        await outbox(clock, "sms"),
      ];
      channel.answers.set(ok, { providerMessageId: "SM-ok" });
      channel.answers.set(permanent, new ChannelError("Twilio answered 400: invalid number", { retryable: false, status: 400 }));
      channel.answers.set(outage, new ChannelError("Twilio answered 503", { retryable: true, status: 503 }));
      channel.answers.set(limited, new ChannelError("Twilio answered 429", { retryable: true, status: 429, retryAfterMs: 7000 }));
      channel.answers.set(bug, new TypeError("cannot read properties of undefined"));
      const outcomes = await deliverBatch(deps, [ok, permanent, outage, limited, bug]);
      expect(outcomes.map((o) => o.status)).toEqual(["sent", "failed", "retry", "retry", "retry"]);
      const now = clock.now();
      expect(await row(ok)).toMatchObject({ status: "sent", provider_message_id: "SM-ok", last_error: null });
      expect(await row(permanent)).toMatchObject({ status: "failed", last_error: "Twilio answered 400: invalid number", lease_until: null, sent_at: null });
      expect(await row(outage)).toMatchObject({ status: "pending", deliver_after: new Date(now + 1000), last_error: "Twilio answered 503", lease_until: null });
      expect(await row(limited)).toMatchObject({ status: "pending", deliver_after: new Date(now + 7000) });
      expect((await row(bug)).last_error).toBe("unexpected error in the sms channel: cannot read properties of undefined");
      expect(outcomes[2]?.retryAt).toEqual(new Date(now + 1000));
    });

    it("settles a dead worker's email as unknown in the same claim that takes the rest of the batch", async () => {
      const { clock, channel, deps } = setup(false, "email");
      const dead = await outbox(clock, "email");
      const gate = new Gate();
      channel.answers.set(dead, gate);
      const died = deliverOne(deps, dead);
      while (!gate.entered) await settle();
      await clock.advance(60_001);
      const fresh = await outbox(clock, "email");
      const { counting, statements } = counted();
      const outcomes = await deliverBatch({ ...deps, store: counting }, [dead, fresh]);
      expect(outcomes.map((o) => o.status)).toEqual(["unknown", "sent"]);
      expect(outcomes[0]?.error).toMatch(/lease ran out during attempt 1, inside the email provider call/);
      expect(statements).toHaveLength(2);
      expect(channel.calls.map((c) => c.key)).toEqual([dead, fresh]);
      gate.open({});
      expect(await died).toBe("skipped");
      expect(await row(dead)).toMatchObject({ status: "unknown", attempts: 1, fencing_token: 1 });
    });

    it("records finished sends after recordDelayMs instead of waiting for a slow one", async () => {
      const { clock, channel, deps } = setup(true);
      const [slow, quick] = [await outbox(clock, "sms"), await outbox(clock, "sms")];
      const gate = new Gate();
      channel.answers.set(slow, gate);
      let recordedQuick: (outcome: DeliveryOutcome) => void = () => {};
      const quickRecorded = new Promise<DeliveryOutcome>((resolve) => {
        recordedQuick = resolve;
      });
      const batch = deliverBatch({ ...deps, recordDelayMs: 500, onOutcome: (o) => o.sendId === quick && recordedQuick(o) }, [slow, quick]);
      while (!gate.entered || channel.calls.length < 2) await settle();
      for (let i = 0; i < 20; i++) await settle();
      expect((await row(quick)).status).toBe("sending");
      await clock.advance(500);
      expect(await quickRecorded).toMatchObject({ status: "sent" });
      expect(await row(quick)).toMatchObject({ status: "sent", sent_at: new Date(clock.now() - 500) });
      expect((await row(slow)).status).toBe("sending");
      gate.open({ providerMessageId: "late" });
      expect((await batch).map((o) => o.status)).toEqual(["sent", "sent"]);
      expect(await row(slow)).toMatchObject({ status: "sent", provider_message_id: "late" });
    });

    it("claims at most batchConcurrency sends at once, and sends each id once however often it is named", async () => {
      const { clock, channel, deps } = setup(true);
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await outbox(clock, "sms"));
      const { counting, statements } = counted();
      const outcomes = await deliverBatch({ ...deps, store: counting, batchConcurrency: 2 }, [...ids, ids[0] as string, ids[3] as string]);
      expect(outcomes.map((o) => o.sendId)).toEqual(ids);
      expect(outcomes.every((o) => o.status === "sent")).toBe(true);
      expect(channel.calls).toHaveLength(5);
      expect(statements).toHaveLength(6);
    });

    it("takes a rate limiter's token per send before claiming it", async () => {
      const { clock, channel, deps } = setup(true);
      const start = clock.now();
      const limited = { ...deps, limiters: new Map([["sms", new RateLimiter(clock, { perSecond: 2, burst: 2 })]]) };
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await outbox(clock, "sms"));
      let done = false;
      const batch = deliverBatch(limited, ids).finally(() => {
        done = true;
      });
      while (channel.calls.length < 2) await settle();
      for (let i = 0; i < 20; i++) await settle();
      expect(channel.calls).toHaveLength(2);
      while (!done) {
        await clock.advance(100);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect((await batch).map((o) => o.status)).toEqual(["sent", "sent", "sent", "sent", "sent"]);
      // A send is no earlier than its token: two at once (the burst), then one per 500 ms.
      const sentAt = (await Promise.all(ids.map(row))).map((r) => (r.sent_at as Date).getTime() - start).sort((x, y) => x - y);
      expect(sentAt.slice(0, 2)).toEqual([0, 0]);
      expect(sentAt[2]).toBeGreaterThanOrEqual(500);
      expect(sentAt[3]).toBeGreaterThanOrEqual(1000);
      expect(sentAt[4]).toBeGreaterThanOrEqual(1500);
    });

    it("rejects a malformed id, naming its place", async () => {
      const { deps } = setup(true);
      await expect(deliverBatch(deps, [randomUUID(), "nope"])).rejects.toThrow(/sendIds\[1\] must be an outbox send_id \(a uuid\), got "nope"/);
    });

    it("runs as a queue handler for { sendIds } and { sendId } jobs, refusing anything else with the reason", async () => {
      const { clock, channel, deps } = setup(true);
      const [a, b, c] = [await outbox(clock, "sms"), await outbox(clock, "sms"), await outbox(clock, "sms")];
      const handler = deliveryBatchHandler(deps);
      await handler({ id: "j1", queue: "deliver", data: { sendIds: [a, b] }, attempt: 1 });
      await handler({ id: "j2", queue: "deliver", data: { sendId: c }, attempt: 1 });
      expect(channel.calls.map((call) => call.key).sort()).toEqual([a, b, c].sort());
      const refused = async (data: unknown) => handler({ id: "j3", queue: "deliver", data: data as { sendId: string }, attempt: 1 }).catch((e: unknown) => e);
      const empty = await refused({ sendIds: [] });
      expect(empty).toBeInstanceOf(PermanentJobError);
      expect((empty as Error).message).toMatch(/data\.sendIds must be a non-empty array/);
      expect(((await refused({ sendIds: [a, 7] })) as Error).message).toMatch(/data\.sendIds\[1\] must be an outbox send_id \(a uuid\), got 7/);
      expect(((await refused({ other: 1 })) as Error).message).toMatch(/data must be \{ sendIds: .* \} or \{ sendId: .* \}/);
    });
  });
});

describe("deliveryJobs", () => {
  const ids = Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);

  it("groups sends into jobs of at most `size`, a lone send keeping its per-send id", () => {
    const jobs = deliveryJobs(ids, 2);
    expect(jobs.map((j) => j.data.sendIds)).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    expect(jobs[2]?.options.jobId).toBe(`deliver.${ids[4]}.0`);
    expect(jobs[0]?.options.jobId).toMatch(/^deliver\.batch\.[0-9a-f]{40}$/);
    expect(deliveryJobs([{ sendId: ids[0] as string, attempts: 2, due: new Date(5000) }])[0]?.options.jobId).toBe(`deliver.${ids[0]}.2.5000`);
  });

  it("names the same tries the same, and a new try (attempts, due time) anew", () => {
    const due = (attempts: number, ms: number) => ids.slice(0, 3).map((sendId) => ({ sendId, attempts, due: new Date(ms) }));
    expect(deliveryJobs(due(1, 1000))[0]?.options.jobId).toBe(deliveryJobs(due(1, 1000))[0]?.options.jobId);
    expect(deliveryJobs(due(1, 1000))[0]?.options.jobId).not.toBe(deliveryJobs(due(2, 1000))[0]?.options.jobId);
    expect(deliveryJobs(due(1, 1000))[0]?.options.jobId).not.toBe(deliveryJobs(due(1, 2000))[0]?.options.jobId);
    expect(deliveryJobs(ids.slice(0, 3))[0]?.options.jobId).not.toBe(deliveryJobs(ids.slice(0, 2))[0]?.options.jobId);
    expect(() => deliveryJobs(ids, 0)).toThrow(/size must be a whole number ≥ 1 \(got 0\)/);
  });
});
