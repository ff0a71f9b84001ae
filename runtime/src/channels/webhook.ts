import { Webhook } from "standardwebhooks";
import { systemClock, type Clock } from "../engine/clock.js";
import { callProvider } from "./http.js";
import { type Channel, ChannelError, expectChannel, type OutboundMessage, type SendContext, type SendResult } from "./port.js";

export interface WebhookSettings {
  /** Secret: the signing key, `whsec_` + base64, from JOURNEY_WEBHOOK_SECRET only. */
  secret: string;
  timeoutMs?: number;
  /**
   * For webhook-timestamp (receivers reject one more than 5 minutes off their own clock, so this is
   * wall time in production) and for an HTTP-date Retry-After.
   */
  clock?: Clock;
}

const METHODS = new Set(["POST", "PUT", "PATCH", "DELETE", "GET"]);

/**
 * Webhooks signed per Standard Webhooks: webhook-id is the send id, so a receiver that dedupes by
 * it (as the scheme asks) makes a repeated delivery harmless: idempotent.
 */
export class WebhookChannel implements Channel {
  readonly name = "webhook";
  readonly idempotent = true;
  readonly #signer: Webhook;
  readonly #settings: WebhookSettings;

  constructor(settings: WebhookSettings) {
    try {
      this.#signer = new Webhook(settings.secret);
    } catch (error) {
      throw new Error(
        `webhook channel: the signing secret is not usable (${error instanceof Error ? error.message : String(error)}); set JOURNEY_WEBHOOK_SECRET to whsec_ followed by base64 bytes`,
      );
    }
    this.#settings = settings;
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const hook = expectChannel(message, "webhook");
    const target = hook.content.url ?? hook.to;
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new ChannelError(`send ${hook.sendId}: webhook URL ${JSON.stringify(target)} is not an absolute URL`, { retryable: false });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new ChannelError(`send ${hook.sendId}: webhook URL ${url.href} must be http or https`, { retryable: false });
    }
    const method = (hook.content.method ?? "POST").toUpperCase();
    if (!METHODS.has(method)) {
      throw new ChannelError(`send ${hook.sendId}: webhook method ${JSON.stringify(hook.content.method)} is not one of ${[...METHODS].join(", ")}`, {
        retryable: false,
      });
    }
    const body = method === "GET" ? "" : (hook.content.body ?? "");
    const clock = this.#settings.clock ?? systemClock;
    // The signature covers id, timestamp and body; the timestamp is taken per attempt, as receivers expect.
    const sentAt = new Date(clock.now());
    const signature = this.#signer.sign(ctx.idempotencyKey, sentAt, body);
    await callProvider({
      provider: `webhook ${url.origin}`,
      url: url.href,
      method,
      headers: {
        "content-type": "application/json",
        "webhook-id": ctx.idempotencyKey,
        "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
        "webhook-signature": signature,
      },
      ...(method === "GET" ? {} : { body }),
      timeoutMs: this.#settings.timeoutMs ?? 10_000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      now: () => clock.now(),
    });
    // Standard Webhooks defines no message id in the answer: the send id (webhook-id) is the reference.
    return {};
  }
}
