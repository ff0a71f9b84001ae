import { createServer, } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChannelError, type OutboundMessage } from "./port.js";
import { PushChannel } from "./push.js";
import { readBody } from "../testing/http.js";

/** A local server speaking FCM HTTP v1's messages:send: bearer auth, JSON in and out. */
const PROJECT = "shop-app";
const TOKEN = "ya29.test-access-token";

interface FcmPeer {
  url: string;
  received: unknown[];
  /** The next answers to give instead of accepting; `hang` never answers. */
  failures: ({ status: number; body: unknown; headers?: Record<string, string> } | "hang")[];
  close(): Promise<void>;
}

async function startFcm(): Promise<FcmPeer> {
  const peer = { received: [], failures: [] } as unknown as FcmPeer;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=UTF-8", ...headers });
      res.end(JSON.stringify(json));
    };
    if (req.method !== "POST" || req.url !== `/v1/projects/${PROJECT}/messages:send`) {
      return reply(404, { error: { code: 404, message: "not found", status: "NOT_FOUND" } });
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return reply(401, { error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } });
    }
    const failure = peer.failures.shift();
    if (failure === "hang") return; // never answers: the client's timeout must end the call
    if (failure) return reply(failure.status, failure.body, failure.headers);
    peer.received.push(JSON.parse(body));
    reply(200, { name: `projects/${PROJECT}/messages/${peer.received.length}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  peer.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return peer;
}

const message = (sendId: string): OutboundMessage => ({
  sendId,
  customerId: "c1",
  enrollmentId: "e1",
  journey: "abandoned_cart",
  version: "v1",
  node: "push",
  template: "cart_push",
  channel: "push",
  to: "device-token-1",
  content: { title: "Your cart misses you", body: "3 items are waiting", data: { cart: "42" } },
});

describe("push channel (FCM HTTP v1)", () => {
  let peer: FcmPeer;
  let channel: PushChannel;

  beforeAll(async () => {
    peer = await startFcm();
    channel = new PushChannel({ projectId: PROJECT, accessToken: TOKEN, baseUrl: peer.url, timeoutMs: 2000 });
  });
  afterAll(() => peer.close());
  beforeEach(() => {
    peer.failures = [];
    peer.received = [];
  });

  it("sends token, notification and the send id in data, and returns FCM's message name", async () => {
    const result = await channel.send(message("send-1"), { idempotencyKey: "send-1" });
    expect(result.providerMessageId).toBe(`projects/${PROJECT}/messages/1`);
    expect(peer.received).toEqual([
      {
        message: {
          token: "device-token-1",
          notification: { title: "Your cart misses you", body: "3 items are waiting" },
          data: { cart: "42", send_id: "send-1" },
        },
      },
    ]);
    expect(channel.idempotent).toBe(false);
  });

  it("treats 503 as retryable and honours Retry-After", async () => {
    peer.failures.push({ status: 503, body: { error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" } }, headers: { "retry-after": "12" } });
    await expect(channel.send(message("send-2"), { idempotencyKey: "send-2" })).rejects.toMatchObject({
      retryable: true,
      status: 503,
      retryAfterMs: 12_000,
      ambiguous: false,
    });
  });

  it("treats 400 as permanent and quotes FCM's error", async () => {
    const fcmError = {
      error: {
        code: 400,
        message: "The registration token is not a valid FCM registration token",
        status: "INVALID_ARGUMENT",
        details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "INVALID_ARGUMENT" }],
      },
    };
    peer.failures.push({ status: 400, body: fcmError });
    const error = (await channel.send(message("send-3"), { idempotencyKey: "send-3" }).catch((e: unknown) => e)) as ChannelError;
    expect(error).toBeInstanceOf(ChannelError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/FCM answered 400/);
    expect(error.message).toContain("not a valid FCM registration token");
    expect(peer.received).toEqual([]);
  });

  it("fails permanently without the right bearer token", async () => {
    const wrong = new PushChannel({ projectId: PROJECT, accessToken: "expired", baseUrl: peer.url });
    await expect(wrong.send(message("send-4"), { idempotencyKey: "send-4" })).rejects.toMatchObject({ retryable: false, status: 401 });
  });

  it("marks a call that got no answer as ambiguous: FCM may have sent it", async () => {
    peer.failures.push("hang");
    await expect(channel.send(message("send-5"), { idempotencyKey: "send-5" })).rejects.toMatchObject({
      retryable: true,
      ambiguous: true,
      message: expect.stringContaining("no answer within 2000 ms"),
    });
  });
});
