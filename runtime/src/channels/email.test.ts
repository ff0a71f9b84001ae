import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EmailChannel, htmlToText } from "./email.js";
import type { OutboundMessage } from "./port.js";

/** A local SMTP server (smtp-server) that keeps what it receives, or refuses recipients when told. */
interface SmtpPeer {
  port: number;
  received: { from: string; to: string[]; raw: string }[];
  /** The next RCPT TO answers to give instead of accepting. */
  refusals: { code: number; message: string }[];
  close(): Promise<void>;
}

async function startSmtp(): Promise<SmtpPeer> {
  const peer = { received: [], refusals: [] } as unknown as SmtpPeer;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = peer.refusals.shift();
      if (!refusal) return callback();
      const error = Object.assign(new Error(refusal.message), { responseCode: refusal.code });
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        peer.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback(null, `Message queued as Q${peer.received.length}`);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  peer.port = (server.server.address() as AddressInfo).port;
  peer.close = () => new Promise((resolve) => server.close(() => resolve()));
  return peer;
}

/** The decoded text of a quoted-printable MIME message, enough to look for phrases in it. */
const decoded = (raw: string) =>
  raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

const header = (raw: string, name: string) => new RegExp(`^${name}: (.*)$`, "mi").exec(raw)?.[1]?.trim();

const message = (sendId: string, to = "mario@example.com"): OutboundMessage => ({
  sendId,
  customerId: "c1",
  enrollmentId: "e1",
  journey: "promo_fallback",
  version: "v1",
  node: "promo",
  template: "promo_email",
  channel: "email",
  to,
  content: {
    subject: "Mario, offers picked for you",
    preheader: "Spring sale: up to 30% off",
    body: '<p>Ciao Mario,</p><p>Our spring sale is on.</p><p><a href="https://shop.example.com/spring">See the sale</a></p>',
  },
});

describe("email channel (SMTP)", () => {
  let peer: SmtpPeer;
  let channel: EmailChannel;

  beforeAll(async () => {
    peer = await startSmtp();
    channel = new EmailChannel({ host: "127.0.0.1", port: peer.port, secure: false, from: '"Shop" <news@shop.example>', timeoutMs: 5000 });
  });
  afterAll(async () => {
    await channel.close();
    await peer.close();
  });
  beforeEach(() => {
    peer.refusals = [];
  });

  it("delivers the message with the send id in Message-ID and X-Journey-Send-Id", async () => {
    const sendId = "6f1c1a52-8a52-5d7e-9a41-2b8f0f3c1d11";
    const result = await channel.send(message(sendId), { idempotencyKey: sendId });
    const mail = peer.received.at(-1);
    expect(mail?.from).toBe("news@shop.example");
    expect(mail?.to).toEqual(["mario@example.com"]);
    const raw = mail?.raw ?? "";
    expect(header(raw, "Message-ID")).toBe(`<${sendId}@shop.example>`);
    expect(header(raw, "X-Journey-Send-Id")).toBe(sendId);
    expect(header(raw, "Subject")).toBe("Mario, offers picked for you");
    expect(header(raw, "To")).toBe("mario@example.com");
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    const text = decoded(raw);
    expect(text).toContain("Spring sale: up to 30% off</div>");
    expect(text).toContain("See the sale (https://shop.example.com/spring)");
    expect(result.providerMessageId).toBe(`Q${peer.received.length}`);
    expect(channel.idempotent).toBe(false);
  });

  it("treats a permanent refusal (550) as permanent, with the server's words", async () => {
    peer.refusals.push({ code: 550, message: "No such user here" });
    await expect(channel.send(message("send-2", "nobody@example.com"), { idempotencyKey: "send-2" })).rejects.toMatchObject({
      retryable: false,
      ambiguous: false,
      status: 550,
      message: expect.stringContaining("No such user here"),
    });
  });

  it("treats a temporary refusal (451) as retryable and not ambiguous", async () => {
    peer.refusals.push({ code: 451, message: "Try again later" });
    await expect(channel.send(message("send-3"), { idempotencyKey: "send-3" })).rejects.toMatchObject({ retryable: true, ambiguous: false, status: 451 });
  });

  it("treats a refused connection as retryable and not ambiguous", async () => {
    const closed = await startSmtp();
    await closed.close();
    const down = new EmailChannel({ host: "127.0.0.1", port: closed.port, from: "news@shop.example", timeoutMs: 2000 });
    try {
      await expect(down.send(message("send-4"), { idempotencyKey: "send-4" })).rejects.toMatchObject({ retryable: true, ambiguous: false });
    } finally {
      await down.close();
    }
  });

  it("refuses a recipient that is not one address, before connecting", async () => {
    const count = peer.received.length;
    await expect(channel.send(message("send-5", "a@x.com, b@y.com"), { idempotencyKey: "send-5" })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining("is not one address"),
    });
    expect(peer.received.length).toBe(count);
  });

  it("needs a sender with a domain", () => {
    expect(() => new EmailChannel({ host: "h", from: "news" })).toThrow(/JOURNEY_EMAIL_FROM/);
  });

  it("makes a readable text alternative from HTML", () => {
    expect(htmlToText("<p>Hi &amp; welcome</p><ul><li>One</li><li>Two</li></ul>")).toBe("Hi & welcome\n- One\n- Two");
  });
});
