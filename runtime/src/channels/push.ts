import { systemClock, type Clock } from "../engine/clock.js";
import { callProvider } from "./http.js";
import { type Channel, ChannelError, expectChannel, type OutboundMessage, type SendContext, type SendResult } from "./port.js";

export interface PushSettings {
  /** The Firebase project id. */
  projectId: string;
  /** Secret: an OAuth 2 access token for FCM, from JOURNEY_FCM_ACCESS_TOKEN only. */
  accessToken: string;
  /** Default https://fcm.googleapis.com; any server speaking the same API. */
  baseUrl?: string;
  timeoutMs?: number;
  /** Only for an HTTP-date Retry-After. */
  clock?: Clock;
}

/**
 * Push over the FCM HTTP v1 API. FCM takes no idempotency key, so a send cut off mid-call may or
 * may not have gone out: not idempotent (such a send becomes `unknown`). The send id travels in
 * `data.send_id`, so an app can drop a duplicate it sees.
 */
export class PushChannel implements Channel {
  readonly name = "push";
  readonly idempotent = false;
  readonly #settings: PushSettings;
  readonly #url: string;

  constructor(settings: PushSettings) {
    this.#settings = settings;
    const base = (settings.baseUrl ?? "https://fcm.googleapis.com").replace(/\/+$/, "");
    this.#url = `${base}/v1/projects/${encodeURIComponent(settings.projectId)}/messages:send`;
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const push = expectChannel(message, "push");
    if (!push.to) throw new ChannelError(`send ${push.sendId}: the push message has no device token`, { retryable: false });
    const notification: Record<string, string> = { body: push.content.body };
    if (push.content.title !== undefined) notification.title = push.content.title;
    const body = JSON.stringify({
      message: { token: push.to, notification, data: { ...push.content.data, send_id: push.sendId } },
    });
    const clock = this.#settings.clock ?? systemClock;
    const response = await callProvider({
      provider: "FCM",
      url: this.#url,
      method: "POST",
      headers: {
        authorization: `Bearer ${this.#settings.accessToken}`,
        "content-type": "application/json; charset=utf-8",
      },
      body,
      timeoutMs: this.#settings.timeoutMs ?? 10_000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      now: () => clock.now(),
    });
    const name = parseName(response.text);
    return name === undefined ? {} : { providerMessageId: name };
  }
}

function parseName(text: string): string | undefined {
  try {
    const name = (JSON.parse(text) as { name?: unknown }).name;
    return typeof name === "string" ? name : undefined;
  } catch {
    // A 2xx without JSON still means accepted; only the provider's id is missing.
    return undefined;
  }
}
