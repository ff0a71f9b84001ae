import { describe, expect, it } from "vitest";
import { ChannelConfigError, channelsFromEnv, parseChannelsConfig } from "./config.js";
import type { LoggedMessage } from "./log.js";

const SECRET = `whsec_${Buffer.from("a test signing key of 32 bytes!!").toString("base64")}`;

describe("channelsFromEnv", () => {
  it("has only in_app when nothing is configured", () => {
    expect([...channelsFromEnv({}).keys()]).toEqual(["in_app"]);
  });

  it("builds each provider from the config file plus secrets from the environment", () => {
    const channels = channelsFromEnv(
      {
        JOURNEY_SMTP_PASSWORD: "pw",
        JOURNEY_TWILIO_AUTH_TOKEN: "tok",
        JOURNEY_FCM_ACCESS_TOKEN: "ya29",
        JOURNEY_WEBHOOK_SECRET: SECRET,
      },
      {
        email: { host: "smtp.example", port: 587, user: "news", from: "news@shop.example" },
        sms: { accountSid: "AC1", from: "+15005550006" },
        push: { projectId: "shop-app" },
      },
    );
    expect([...channels.keys()].sort()).toEqual(["email", "in_app", "push", "sms", "webhook"]);
    expect(Object.fromEntries([...channels].map(([name, c]) => [name, c.idempotent]))).toEqual({
      email: false,
      sms: true,
      push: false,
      webhook: true,
      in_app: true,
    });
  });

  it("refuses a secret in the config file, naming the variable to use", () => {
    expect(() => channelsFromEnv({}, { sms: { accountSid: "AC1", authToken: "x" } })).toThrow(
      "channels.sms.authToken: secrets are read only from environment variables; remove it from the config file and set JOURNEY_TWILIO_AUTH_TOKEN",
    );
    expect(() => parseChannelsConfig({ email: { password: "x" } })).toThrow(/JOURNEY_SMTP_PASSWORD/);
  });

  it("explains half a configuration instead of leaving the channel out", () => {
    expect(() => channelsFromEnv({ JOURNEY_SMTP_HOST: "smtp.example" })).toThrow(/no sender .* set JOURNEY_EMAIL_FROM/);
    expect(() => channelsFromEnv({ JOURNEY_TWILIO_ACCOUNT_SID: "AC1" })).toThrow(/has no auth token: set JOURNEY_TWILIO_AUTH_TOKEN/);
    expect(() => channelsFromEnv({ JOURNEY_TWILIO_ACCOUNT_SID: "AC1", JOURNEY_TWILIO_AUTH_TOKEN: "t" })).toThrow(/no sender/);
    expect(() => channelsFromEnv({ JOURNEY_FCM_ACCESS_TOKEN: "t" })).toThrow(/set JOURNEY_FCM_PROJECT_ID/);
    expect(() => channelsFromEnv({ JOURNEY_SMTP_HOST: "h", JOURNEY_EMAIL_FROM: "a@b.c", JOURNEY_SMTP_PORT: "smtp" })).toThrow(
      "JOURNEY_SMTP_PORT=smtp: expected a port number (1-65535)",
    );
    expect(() => channelsFromEnv({ JOURNEY_WEBHOOK_SECRET: "whsec_" })).toThrow(ChannelConfigError);
  });

  it("names the place of an unknown or mistyped config setting", () => {
    expect(() => parseChannelsConfig({ email: { hots: "x" } })).toThrow(/^channels\.email: Unrecognized key/);
    expect(() => parseChannelsConfig({ rateLimits: { sms: { perSecond: -1 } } })).toThrow(/^channels\.rateLimits\.sms\.perSecond: /);
  });

  it("lets the environment win over the file", () => {
    expect(() => channelsFromEnv({ JOURNEY_SMTP_HOST: "h", JOURNEY_SMTP_SECURE: "maybe" }, { email: { from: "a@b.c" } })).toThrow(
      "JOURNEY_SMTP_SECURE=maybe: expected true or false",
    );
  });

  it("routes every channel to the log sink in log mode, once per idempotency key", async () => {
    const sink: LoggedMessage[] = [];
    const channels = channelsFromEnv({ JOURNEY_CHANNELS: "log" }, {}, { logSink: sink });
    expect([...channels.keys()].sort()).toEqual(["email", "in_app", "push", "sms", "webhook"]);
    const sms = channels.get("sms");
    const message = {
      sendId: "s1",
      customerId: "c",
      enrollmentId: "e",
      journey: "j",
      version: "v",
      node: "n",
      template: null,
      channel: "sms" as const,
      to: "+15005550006",
      content: { body: "hi" },
    };
    await sms?.send(message, { idempotencyKey: "s1" });
    await sms?.send(message, { idempotencyKey: "s1" });
    expect(sink).toEqual([{ channel: "sms", idempotencyKey: "s1", message }]);
    expect(() => channelsFromEnv({ JOURNEY_CHANNELS: "fake" })).toThrow('JOURNEY_CHANNELS=fake: use "providers" or "log"');
  });
});
