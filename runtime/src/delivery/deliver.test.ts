import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Channel, ChannelError, type ChannelName, type OutboundMessage, type SendResult } from "../channels/port.js";
import { VirtualClock } from "../engine/clock.js";
import { PermanentJobError } from "../queue/port.js";
import { migrate } from "../store/migrate.js";
import type { SqlStore } from "../store/port.js";
import { storeFixtures } from "../testing/stores.js";
import { deliverOne, deliveryHandler, deliveryJobId, dueDeliveries, dueSends } from "./deliver.js";
import { RateLimiter } from "./rate-limit.js";

/**
 * A channel the test drives: each call takes the next scripted answer (a result, an error, or a
 * gate the test opens later, to hold a worker "inside the provider call").
 */
class ScriptedChannel implements Channel {
  readonly calls: { message: OutboundMessage; key: string }[] = [];
  readonly script: (SendResult | ChannelError | Gate)[] = [];
  constructor(
    readonly name: ChannelName,
    readonly idempotent: boolean,
  ) {}
  async send(message: OutboundMessage, ctx: { idempotencyKey: string }): Promise<SendResult> {
    this.calls.push({ message, key: ctx.idempotencyKey });
    const next = this.script.shift() ?? { providerMessageId: `p-${this.calls.length}` };
    if (next instanceof ChannelError) throw next;
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
  async function outbox(clock: VirtualClock, channel: ChannelName, options: { deliverAfter?: number; payload?: unknown } = {}) {
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
    const deps = { store, clock, channels: new Map<string, Channel>([[channelName, channel]]), leaseMs: 60_000, retry: { baseMs: 1000, maxMs: 8000, maxAttempts: 4 } };
    return { clock, channel, deps };
  }

  it("sends a due row once, with the send id as idempotency key, and records the result", async () => {
    const { clock, channel, deps } = setup(true);
    const sendId = await outbox(clock, "sms");
    expect(await deliverOne(deps, sendId)).toBe("sent");
    expect(await deliverOne(deps, sendId)).toBe("skipped");
    expect(channel.calls.map((c) => c.key)).toEqual([sendId]);
    expect(channel.calls[0]?.message).toMatchObject({ sendId, channel: "sms", to: "+393331234567", content: { body: "Hello" }, customerId, enrollmentId });
    expect(await row(sendId)).toMatchObject({ status: "sent", attempts: 1, fencing_token: 1, provider_message_id: "p-1", sent_at: new Date(clock.now()), lease_until: null });
  });

  it("gives a second claimer nothing while the first holds the lease", async () => {
    const { clock, channel, deps } = setup(false);
    const sendId = await outbox(clock, "sms");
    const gate = new Gate();
    channel.script.push(gate);
    const first = deliverOne(deps, sendId);
    while (!gate.entered) await settle();
    expect(await row(sendId)).toMatchObject({ status: "sending", lease_until: new Date(clock.now() + 60_000) });
    expect(await deliverOne(deps, sendId)).toBe("skipped");
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
    const stale = deliverOne(deps, sendId);
    while (!gate.entered) await settle();
    await clock.advance(60_001);
    expect(await dueSends(store, clock.now(), 100)).toContain(sendId);
    expect(await deliverOne(deps, sendId)).toBe("sent");
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
    const stale = deliverOne(deps, sendId);
    while (!gate.entered) await settle();
    await clock.advance(60_001);
    expect(await deliverOne(deps, sendId)).toBe("unknown");
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
    expect(await deliverOne(deps, sendId)).toBe("retry");
    expect(await row(sendId)).toMatchObject({ status: "pending", attempts: 1, deliver_after: new Date(start + 1000), last_error: "Twilio answered 500" });
    expect(await deliverOne(deps, sendId)).toBe("skipped");
    await clock.advance(1000);
    expect(await deliverOne(deps, sendId)).toBe("retry");
    expect(await row(sendId)).toMatchObject({ attempts: 2, deliver_after: new Date(start + 1000 + 2000) });
    await clock.advance(1999);
    expect(await dueSends(store, clock.now(), 100)).not.toContain(sendId);
    await clock.advance(1);
    expect(await dueSends(store, clock.now(), 100)).toContain(sendId);
    expect(await deliverOne(deps, sendId)).toBe("sent");
    expect(await row(sendId)).toMatchObject({ status: "sent", attempts: 3, last_error: null });
  });

  it("honours the provider's Retry-After over the backoff", async () => {
    const { clock, channel, deps } = setup(true);
    const sendId = await outbox(clock, "sms");
    channel.script.push(new ChannelError("Twilio answered 429", { retryable: true, status: 429, retryAfterMs: 7000 }));
    expect(await deliverOne(deps, sendId)).toBe("retry");
    expect((await row(sendId)).deliver_after).toEqual(new Date(clock.now() + 7000));
  });

  it("fails after the last attempt", async () => {
    const { clock, channel, deps } = setup(true);
    const sendId = await outbox(clock, "sms");
    for (let i = 0; i < 4; i++) channel.script.push(new ChannelError("Twilio answered 503", { retryable: true, status: 503 }));
    const results: string[] = [];
    for (let i = 0; i < 4; i++) {
      results.push(await deliverOne(deps, sendId));
      await clock.advance(8000);
    }
    expect(results).toEqual(["retry", "retry", "retry", "failed"]);
    expect(await row(sendId)).toMatchObject({ status: "failed", attempts: 4, last_error: "gave up after 4 attempts: Twilio answered 503" });
  });

  it("fails a permanent error at once", async () => {
    const { clock, channel, deps } = setup(true);
    const sendId = await outbox(clock, "sms");
    channel.script.push(new ChannelError("Twilio answered 400: invalid number", { retryable: false, status: 400 }));
    expect(await deliverOne(deps, sendId)).toBe("failed");
    expect(await row(sendId)).toMatchObject({ status: "failed", attempts: 1, last_error: "Twilio answered 400: invalid number", lease_until: null });
  });

  it("settles an ambiguous failure on a non-idempotent channel as unknown, but retries it on an idempotent one", async () => {
    const ambiguous = () => new ChannelError("no answer within 30000 ms", { retryable: true, ambiguous: true });
    const push = setup(false, "push");
    const pushSend = await outbox(push.clock, "push");
    push.channel.script.push(ambiguous());
    expect(await deliverOne(push.deps, pushSend)).toBe("unknown");
    expect((await row(pushSend)).last_error).toMatch(/takes no idempotency key, so it is not retried/);

    const sms = setup(true, "sms");
    const smsSend = await outbox(sms.clock, "sms");
    sms.channel.script.push(ambiguous());
    expect(await deliverOne(sms.deps, smsSend)).toBe("retry");
  });

  it("holds a quiet-hours send until its deliver_after", async () => {
    const { clock, channel, deps } = setup(true);
    const eightHours = 8 * 3600_000;
    const sendId = await outbox(clock, "sms", { deliverAfter: clock.now() + eightHours });
    expect(await dueSends(store, clock.now(), 100)).not.toContain(sendId);
    expect(await deliverOne(deps, sendId)).toBe("skipped");
    expect(channel.calls).toHaveLength(0);
    await clock.advance(eightHours);
    expect(await dueSends(store, clock.now(), 100)).toContain(sendId);
    expect(await deliverOne(deps, sendId)).toBe("sent");
  });

  it("fails a malformed payload permanently, naming the field", async () => {
    const { clock, deps } = setup(true);
    const sendId = await outbox(clock, "sms", {
      payload: { journey: "j", version: "v1", node: "n", channel: "sms", template: null, to: "+393331234567", content: { text: "no body" } },
    });
    expect(await deliverOne(deps, sendId)).toBe("failed");
    expect((await row(sendId)).last_error).toMatch(/malformed payload \(payload\.content\.body: /);
  });

  it("retries a send whose channel this process has no settings for, saying so", async () => {
    const { clock, deps } = setup(true, "sms");
    const sendId = await outbox(clock, "webhook", {
      payload: { journey: "j", version: "v1", node: "n", channel: "webhook", template: null, to: "https://crm.example/hook", content: {} },
    });
    expect(await deliverOne(deps, sendId)).toBe("retry");
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
    const running = deliverOne(deps, leased);
    while (!gate.entered) await settle();
    expect(await dueDeliveries(store, clock.now(), 100)).toEqual([{ sendId: due, channel: "sms", attempts: 0, jobId: `deliver.${due}.0` }]);
    await clock.advance(60_001);
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
    expect(await deliverOne(limited, a)).toBe("sent");
    let done = false;
    const second = deliverOne(limited, b).then((status) => {
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
