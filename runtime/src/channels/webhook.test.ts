import { createServer, } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutboundMessage } from "./port.js";
import { WebhookChannel } from "./webhook.js";
import { readBody } from "../testing/http.js";

const SECRET = `whsec_${Buffer.from("a test signing key of 32 bytes!!").toString("base64")}`;

/** A receiver doing what Standard Webhooks asks of one: verify the signature, dedupe by webhook-id. */
interface Receiver {
  url: string;
  accepted: Map<string, { method: string; path: string; payload: unknown }>;
  deliveries: number;
  close(): Promise<void>;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const receiver = { accepted: new Map(), deliveries: 0 } as unknown as Receiver;
  const server = createServer(async (req, res) => {
    receiver.deliveries++;
    const body = await readBody(req);
    let payload: unknown;
    try {
      payload = verifier.verify(body, req.headers as Record<string, string>);
    } catch (error) {
      res.writeHead(401, { "content-type": "text/plain" });
      return res.end(`signature rejected: ${(error as Error).message}`);
    }
    const id = req.headers["webhook-id"] as string;
    if (!receiver.accepted.has(id)) receiver.accepted.set(id, { method: req.method ?? "", path: req.url ?? "", payload });
    res.writeHead(204);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

const message = (sendId: string, to: string, content: Extract<OutboundMessage, { channel: "webhook" }>["content"]): OutboundMessage => ({
  sendId,
  customerId: "c1",
  enrollmentId: "e1",
  journey: "lead_scoring",
  version: "v1",
  node: "handoff",
  template: "sales_handoff",
  channel: "webhook",
  to,
  content,
});

describe("webhook channel (Standard Webhooks)", () => {
  let receiver: Receiver;
  const channel = new WebhookChannel({ secret: SECRET });

  beforeAll(async () => {
    receiver = await startReceiver(SECRET);
  });
  afterAll(() => receiver.close());

  it("signs so that the receiver's Webhook.verify accepts it, with the send id as webhook-id", async () => {
    await channel.send(message("send-1", `${receiver.url}/leads`, { body: '{"email":"lead@example.com","score":80}' }), { idempotencyKey: "send-1" });
    expect(receiver.accepted.get("send-1")).toEqual({ method: "POST", path: "/leads", payload: { email: "lead@example.com", score: 80 } });
  });

  it("takes url and method from the content over `to`", async () => {
    await channel.send(message("send-2", "https://unused.example", { url: `${receiver.url}/hooks?priority=hot`, method: "put", body: "{}" }), {
      idempotencyKey: "send-2",
    });
    expect(receiver.accepted.get("send-2")).toMatchObject({ method: "PUT", path: "/hooks?priority=hot" });
  });

  it("is idempotent: a repeat carries the same webhook-id, which the receiver dedupes", async () => {
    const hook = message("send-3", receiver.url, { body: '{"n":1}' });
    await channel.send(hook, { idempotencyKey: "send-3" });
    const before = receiver.deliveries;
    await channel.send(hook, { idempotencyKey: "send-3" });
    expect(receiver.deliveries).toBe(before + 1);
    expect([...receiver.accepted.keys()].filter((k) => k === "send-3")).toHaveLength(1);
    expect(channel.idempotent).toBe(true);
  });

  it("fails permanently when the receiver rejects the signature (another secret)", async () => {
    const other = new WebhookChannel({ secret: `whsec_${Buffer.from("some other key, also 32 bytes!!!").toString("base64")}` });
    await expect(other.send(message("send-4", receiver.url, { body: "{}" }), { idempotencyKey: "send-4" })).rejects.toMatchObject({
      retryable: false,
      status: 401,
      message: expect.stringContaining("signature rejected"),
    });
    expect(receiver.accepted.has("send-4")).toBe(false);
  });

  it("refuses a URL that is not absolute http(s), and a method it does not know", async () => {
    await expect(channel.send(message("send-5", "crm/leads", {}), { idempotencyKey: "send-5" })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining("is not an absolute URL"),
    });
    await expect(channel.send(message("send-6", "ftp://crm.example/leads", {}), { idempotencyKey: "send-6" })).rejects.toThrow(/must be http or https/);
    await expect(channel.send(message("send-7", receiver.url, { method: "TRACE" }), { idempotencyKey: "send-7" })).rejects.toThrow(/is not one of/);
  });

  it("explains an unusable secret", () => {
    expect(() => new WebhookChannel({ secret: "whsec_" })).toThrow(/JOURNEY_WEBHOOK_SECRET/);
  });
});
