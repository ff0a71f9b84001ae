import { systemClock, type Clock } from "../engine/clock.js";
import { callProvider } from "./http.js";
import { type Channel, ChannelError, expectChannel, type OutboundMessage, type SendContext, type SendResult } from "./port.js";

export interface SmsSettings {
  /** Twilio account SID (AC…), also the user of Basic auth. */
  accountSid: string;
  /** Secret: from JOURNEY_TWILIO_AUTH_TOKEN only. */
  authToken: string;
  /** Sender number (E.164); or messagingServiceSid instead. */
  from?: string;
  messagingServiceSid?: string;
  /** Default https://api.twilio.com; any server speaking the same API. */
  baseUrl?: string;
  timeoutMs?: number;
  /** Only for an HTTP-date Retry-After. */
  clock?: Clock;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * SMS over Twilio's Messages API. Twilio honours `I-Twilio-Idempotency-Token` (a repeated request
 * with the same token returns the first message instead of sending again), so it is idempotent.
 */
export class SmsChannel implements Channel {
  readonly name = "sms";
  readonly idempotent = true;
  readonly #settings: SmsSettings;
  readonly #url: string;

  constructor(settings: SmsSettings) {
    if (!settings.from && !settings.messagingServiceSid) {
      throw new Error("sms channel: set a sender, `from` (JOURNEY_SMS_FROM) or `messagingServiceSid` (JOURNEY_TWILIO_MESSAGING_SERVICE_SID)");
    }
    if (settings.from && !E164.test(settings.from)) {
      throw new Error(`sms channel: the sender ${JSON.stringify(settings.from)} is not an E.164 number (like +15005550006)`);
    }
    this.#settings = settings;
    const base = (settings.baseUrl ?? "https://api.twilio.com").replace(/\/+$/, "");
    this.#url = `${base}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const sms = expectChannel(message, "sms");
    if (!E164.test(sms.to)) {
      throw new ChannelError(`send ${sms.sendId}: sms recipient ${JSON.stringify(sms.to)} is not an E.164 phone number (+ and 7-15 digits)`, {
        retryable: false,
      });
    }
    if (!sms.content.body) throw new ChannelError(`send ${sms.sendId}: the sms has an empty body`, { retryable: false });
    const form = new URLSearchParams({ To: sms.to, Body: sms.content.body });
    if (this.#settings.messagingServiceSid) form.set("MessagingServiceSid", this.#settings.messagingServiceSid);
    else if (this.#settings.from) form.set("From", this.#settings.from);
    const auth = Buffer.from(`${this.#settings.accountSid}:${this.#settings.authToken}`).toString("base64");
    const clock = this.#settings.clock ?? systemClock;
    const response = await callProvider({
      provider: "Twilio",
      url: this.#url,
      method: "POST",
      headers: {
        authorization: `Basic ${auth}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        "i-twilio-idempotency-token": ctx.idempotencyKey,
      },
      body: form.toString(),
      timeoutMs: this.#settings.timeoutMs ?? 10_000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      now: () => clock.now(),
    });
    const sid = parseSid(response.text);
    return sid === undefined ? {} : { providerMessageId: sid };
  }
}

function parseSid(text: string): string | undefined {
  try {
    const sid = (JSON.parse(text) as { sid?: unknown }).sid;
    return typeof sid === "string" ? sid : undefined;
  } catch {
    // A 2xx without JSON still means accepted; only the provider's id is missing.
    return undefined;
  }
}
