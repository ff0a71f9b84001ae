import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChannelError, type OutboundMessage } from "./port.js";
import { SmsChannel } from "./sms.js";
import { readBody } from "../testing/http.js";

/** A local server speaking Twilio's Messages API: form body, Basic auth, idempotency token. */
interface TwilioPeer {
  url: string;
  /** Messages accepted, one per idempotency token (a repeated token returns the first message). */
  sent: Map<string, { sid: string; to: string; from: string; body: string }>;
  requests: number;
  /** The next answers to give instead of accepting (status and body). */
  failures: { status: number; body: string; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const SID = "ACtest0001";
const TOKEN = "secret-token";

async function startTwilio(): Promise<TwilioPeer> {
  const sent = new Map<string, { sid: string; to: string; from: string; body: string }>();
  const peer = { sent, requests: 0, failures: [] } as unknown as TwilioPeer;
  const server: Server = createServer(async (req, res) => {
    peer.requests++;
    const body = await readBody(req);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(json));
    };
    if (req.method !== "POST" || req.url !== `/2010-04-01/Accounts/${SID}/Messages.json`) {
      return reply(404, { code: 20404, message: "The requested resource was not found", status: 404 });
    }
    if (req.headers.authorization !== `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`) {
      return reply(401, { code: 20003, message: "Authenticate", status: 401 });
    }
    if (req.headers["content-type"] !== "application/x-www-form-urlencoded") return reply(415, { message: "form expected" });
    const failure = peer.failures.shift();
    if (failure) {
      res.writeHead(failure.status, { "content-type": "application/json", ...failure.headers });
      return res.end(failure.body);
    }
    const form = new URLSearchParams(body);
    const key = req.headers["i-twilio-idempotency-token"];
    if (typeof key !== "string") return reply(400, { message: "test peer: idempotency token expected" });
    const existing = sent.get(key);
    if (existing) return reply(201, { sid: existing.sid, status: "queued" });
    const message = { sid: `SM${sent.size + 1}`, to: form.get("To") ?? "", from: form.get("From") ?? "", body: form.get("Body") ?? "" };
    sent.set(key, message);
    reply(201, { sid: message.sid, account_sid: SID, to: message.to, from: message.from, body: message.body, status: "queued" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  peer.close = () => new Promise((resolve) => server.close(() => resolve()));
  return peer;
}

const message = (sendId: string, to = "+393331234567", body = "Our spring sale is on"): OutboundMessage => ({
  sendId,
  customerId: "c1",
  enrollmentId: "e1",
  journey: "promo_fallback",
  version: "v1",
  node: "sms",
  template: "promo_sms",
  channel: "sms",
  to,
  content: { body },
});

describe("sms channel (Twilio Messages API)", () => {
  let peer: TwilioPeer;
  let channel: SmsChannel;

  beforeAll(async () => {
    peer = await startTwilio();
    channel = new SmsChannel({ accountSid: SID, authToken: TOKEN, from: "+15005550006", baseUrl: peer.url });
  });
  afterAll(() => peer.close());
  beforeEach(() => {
    peer.failures = [];
  });

  it("posts the form with auth and the send id as idempotency token, and returns Twilio's sid", async () => {
    const result = await channel.send(message("send-1"), { idempotencyKey: "send-1" });
    expect(result.providerMessageId).toMatch(/^SM\d+$/);
    expect(peer.sent.get("send-1")).toEqual({ sid: result.providerMessageId, to: "+393331234567", from: "+15005550006", body: "Our spring sale is on" });
  });

  it("is idempotent: the same send id twice is one message at the provider", async () => {
    const first = await channel.send(message("send-2"), { idempotencyKey: "send-2" });
    const second = await channel.send(message("send-2"), { idempotencyKey: "send-2" });
    expect(second.providerMessageId).toBe(first.providerMessageId);
    expect([...peer.sent.keys()].filter((k) => k === "send-2")).toHaveLength(1);
    expect(channel.idempotent).toBe(true);
  });

  it("treats 429 as retryable and honours Retry-After", async () => {
    peer.failures.push({ status: 429, body: JSON.stringify({ code: 20429, message: "Too Many Requests" }), headers: { "retry-after": "7" } });
    const error = await channel.send(message("send-3"), { idempotencyKey: "send-3" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelError);
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000, ambiguous: false });
  });

  it("treats 500 as retryable", async () => {
    peer.failures.push({ status: 500, body: JSON.stringify({ code: 20500, message: "Internal Server Error" }) });
    await expect(channel.send(message("send-4"), { idempotencyKey: "send-4" })).rejects.toMatchObject({ retryable: true, status: 500 });
  });

  it("treats 400 as permanent, naming the status and Twilio's message", async () => {
    const twilioError = { code: 21211, message: "The 'To' number +390 is not a valid phone number.", more_info: "https://www.twilio.com/docs/errors/21211", status: 400 };
    peer.failures.push({ status: 400, body: JSON.stringify(twilioError) });
    const error = (await channel.send(message("send-5"), { idempotencyKey: "send-5" }).catch((e: unknown) => e)) as ChannelError;
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/Twilio answered 400/);
    expect(error.message).toContain("21211");
    expect(error.message).toContain("is not a valid phone number");
  });

  it("fails permanently on wrong credentials (401)", async () => {
    const wrong = new SmsChannel({ accountSid: SID, authToken: "wrong", from: "+15005550006", baseUrl: peer.url });
    await expect(wrong.send(message("send-6"), { idempotencyKey: "send-6" })).rejects.toMatchObject({ retryable: false, status: 401 });
  });

  it("refuses a recipient that is not E.164 without calling the provider", async () => {
    const before = peer.requests;
    await expect(channel.send(message("send-7", "333 123"), { idempotencyKey: "send-7" })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining("not an E.164 phone number"),
    });
    expect(peer.requests).toBe(before);
  });

  it("reports a refused connection as retryable and not ambiguous (nothing was sent)", async () => {
    const closed = await startTwilio();
    await closed.close();
    const down = new SmsChannel({ accountSid: SID, authToken: TOKEN, from: "+15005550006", baseUrl: closed.url });
    await expect(down.send(message("send-8"), { idempotencyKey: "send-8" })).rejects.toMatchObject({ retryable: true, ambiguous: false });
  });

  it("refuses a sender that is not E.164 when configured", () => {
    expect(() => new SmsChannel({ accountSid: SID, authToken: TOKEN, from: "Shop" })).toThrow(/not an E.164 number/);
    expect(() => new SmsChannel({ accountSid: SID, authToken: TOKEN })).toThrow(/set a sender/);
  });
});
