/**
 * The channel port: one interface in front of every provider a message can leave by. Delivery
 * (runtime/src/delivery) claims an outbox row, turns its payload into an OutboundMessage, and calls
 * `send` with the row's send id as the idempotency key; what an adapter throws decides what happens
 * next (ChannelError.retryable, .ambiguous). Policy per channel: docs/channels.md.
 */
export const CHANNEL_NAMES = ["email", "sms", "push", "webhook", "in_app"] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

export function isChannelName(name: string): name is ChannelName {
  return (CHANNEL_NAMES as readonly string[]).includes(name);
}

/** Rendered parts, as the engine wrote them into outbox.payload.content. */
export interface EmailContent {
  subject?: string;
  preheader?: string;
  /** HTML or plain text: a body with tags is sent as HTML with a plain-text alternative. */
  body: string;
  /** A plain-text alternative written by the template, used instead of one derived from the HTML. */
  text?: string;
}
export interface SmsContent {
  body: string;
}
export interface PushContent {
  title?: string;
  body: string;
  /** Extra key/value pairs for the app (FCM data values are strings). */
  data?: Record<string, string>;
}
export interface WebhookContent {
  /** Overrides `to` when set. */
  url?: string;
  method?: string;
  /** Sent as is (templates render JSON text); absent: an empty body. */
  body?: string;
}
export interface InAppContent {
  title?: string;
  body?: string;
  recommendations?: unknown[];
}

interface MessageBase {
  /** The outbox row's id: uuidv5(journey version, enrollment, node); the idempotency key. */
  sendId: string;
  customerId: string;
  enrollmentId: string;
  journey: string;
  /** The journey version (IR hash) that decided the send. */
  version: string;
  node: string;
  /** The template rendered, or null for an inline message. */
  template: string | null;
  /** Email address, E.164 phone number, push token, webhook URL, or (in_app) the customer id. */
  to: string;
}

export type OutboundMessage =
  | (MessageBase & { channel: "email"; content: EmailContent })
  | (MessageBase & { channel: "sms"; content: SmsContent })
  | (MessageBase & { channel: "push"; content: PushContent })
  | (MessageBase & { channel: "webhook"; content: WebhookContent })
  | (MessageBase & { channel: "in_app"; content: InAppContent });

export type MessageOf<C extends ChannelName> = Extract<OutboundMessage, { channel: C }>;

export interface SendContext {
  /** The send id: providers that honour a key get it, so a repeated call cannot send twice. */
  idempotencyKey: string;
  /** Aborted when delivery gives up waiting (before the claim's lease runs out). */
  signal?: AbortSignal;
}

export interface SendResult {
  /** The provider's id for the message (Twilio's SM…, FCM's message name, SMTP's queue reply). */
  providerMessageId?: string;
}

export interface Channel {
  readonly name: ChannelName;
  /**
   * True when the provider honours our idempotency key (or when sending twice is harmless): a send
   * whose worker died mid-call may then be sent again. False: it is marked `unknown` instead.
   */
  readonly idempotent: boolean;
  send(message: OutboundMessage, ctx: SendContext): Promise<SendResult>;
  /** Releases connections (SMTP pool); optional. */
  close?(): Promise<void>;
}

export interface ChannelErrorOptions {
  retryable: boolean;
  status?: number;
  /** The provider asked us to wait this long (Retry-After). */
  retryAfterMs?: number;
  /**
   * The provider may have accepted the message before the failure (a timeout or a connection lost
   * after the request went out). On a non-idempotent channel such a send is not retried: it becomes
   * `unknown`, because a retry could duplicate it.
   */
  ambiguous?: boolean;
  cause?: unknown;
}

/** A failed send, classified: retry later (network, 429, 5xx) or never (other 4xx, bad input). */
export class ChannelError extends Error {
  override name = "ChannelError";
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly ambiguous: boolean;

  constructor(message: string, options: ChannelErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.ambiguous = options.ambiguous ?? false;
  }
}

/** A message handed to the wrong adapter: a wiring bug, never worth a retry. */
export function expectChannel<C extends ChannelName>(message: OutboundMessage, name: C): MessageOf<C> {
  if (message.channel !== name) {
    throw new ChannelError(
      `send ${message.sendId}: a ${message.channel} message was given to the ${name} channel (check the channel map)`,
      { retryable: false },
    );
  }
  return message as MessageOf<C>;
}
