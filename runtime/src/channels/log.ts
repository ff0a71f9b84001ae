import type { Writable } from "node:stream";
import { CHANNEL_NAMES, type Channel, type ChannelName, type OutboundMessage, type SendResult, type SendContext } from "./port.js";

export interface LoggedMessage {
  channel: ChannelName;
  idempotencyKey: string;
  message: OutboundMessage;
}

/** Where logged messages go: an array (tests, the dev UI) or a stream of JSON lines (a terminal, a file). */
export type LogSink = LoggedMessage[] | Writable;

/**
 * The sink `journey dev` uses instead of real providers: every message is recorded once per
 * idempotency key (a repeat is dropped, as a provider honouring the key would), so idempotent.
 */
export class LogChannel implements Channel {
  readonly idempotent = true;
  readonly #seen: Set<string>;

  constructor(
    readonly name: ChannelName,
    private readonly sink: LogSink,
    seen: Set<string> = new Set(),
  ) {
    this.#seen = seen;
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    if (this.#seen.has(ctx.idempotencyKey)) return { providerMessageId: `log:${ctx.idempotencyKey}` };
    this.#seen.add(ctx.idempotencyKey);
    const entry: LoggedMessage = { channel: this.name, idempotencyKey: ctx.idempotencyKey, message };
    if (Array.isArray(this.sink)) this.sink.push(entry);
    else this.sink.write(`${JSON.stringify(entry)}\n`);
    return { providerMessageId: `log:${ctx.idempotencyKey}` };
  }
}

/** A log channel for every channel name, sharing one sink and one record of keys seen. */
export function logChannels(sink: LogSink): Map<ChannelName, Channel> {
  const seen = new Set<string>();
  return new Map(CHANNEL_NAMES.map((name) => [name, new LogChannel(name, sink, seen)] as const));
}
