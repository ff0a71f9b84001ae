import { type Channel, expectChannel, type OutboundMessage, type SendResult } from "./port.js";

/**
 * In-app messages have no provider: the engine writes the `in_app_messages` row with the outbox
 * row, and the API serves a customer only the rows whose outbox status is `sent`. "Sending" is
 * therefore delivery marking the outbox row sent (after any quiet-hours `deliver_after`), which
 * this adapter lets happen; repeating it changes nothing, so it is idempotent.
 */
export class InAppChannel implements Channel {
  readonly name = "in_app";
  readonly idempotent = true;

  async send(message: OutboundMessage): Promise<SendResult> {
    expectChannel(message, "in_app");
    return {};
  }
}
