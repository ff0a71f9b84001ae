import type { ChannelName } from "../channels/port.js";
import type { Clock } from "../engine/clock.js";

export interface RateLimit {
  /** Sustained sends per second. */
  perSecond: number;
  /** Sends allowed at once after a quiet spell. Default: one second's worth (at least 1). */
  burst?: number;
}

/**
 * Defaults, deliberately below what the providers allow a new account (Twilio: about 1 SMS/s per
 * long code, more through a messaging service; FCM: about 600,000/min per project); tune them in
 * the config's `channels.rateLimits`.
 */
export const DEFAULT_RATE_LIMITS: Record<ChannelName, RateLimit> = {
  email: { perSecond: 50 },
  sms: { perSecond: 10 },
  push: { perSecond: 500 },
  webhook: { perSecond: 50 },
  in_app: { perSecond: 1000 },
};

/** Parallel provider calls per delivery worker process, per channel. */
const DEFAULT_CONCURRENCY: Record<ChannelName, number> = { email: 10, sms: 10, push: 20, webhook: 20, in_app: 50 };

/**
 * A token bucket on the injected clock: `burst` tokens, refilled at `perSecond`. It limits one
 * process; across processes the production queue's limiter (deliveryQueueOptions) holds the total.
 */
export class RateLimiter {
  readonly #clock: Clock;
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAt: number;

  constructor(clock: Clock, limit: RateLimit) {
    if (!(limit.perSecond > 0) || !Number.isFinite(limit.perSecond)) {
      throw new RangeError(`rate limit: perSecond must be a positive number (got ${limit.perSecond})`);
    }
    const burst = limit.burst ?? Math.max(1, Math.ceil(limit.perSecond));
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`rate limit: burst must be a whole number ≥ 1 (got ${burst})`);
    this.#clock = clock;
    this.#perMs = limit.perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#updatedAt = clock.now();
  }

  /** Takes a token if there is one: 0. Otherwise nothing is taken, and the answer is the wait in ms. */
  tryTake(): number {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    // The epsilon keeps float noise (0.998 / 0.002 = 1.0000000000000009) from adding a millisecond.
    return Math.max(1, Math.ceil((1 - this.#tokens) / this.#perMs - 1e-9));
  }

  /** Waits (on the clock) until a token is free, and takes it. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.tryTake();
      if (wait === 0) return;
      await this.#clock.sleep(wait);
    }
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
    this.#updatedAt = now;
  }
}

/** One limiter per channel, from the config's rate limits over the defaults. */
export function rateLimiters(clock: Clock, limits: Partial<Record<ChannelName, RateLimit>> = {}): Map<ChannelName, RateLimiter> {
  const names = Object.keys(DEFAULT_RATE_LIMITS) as ChannelName[];
  return new Map(names.map((name) => [name, new RateLimiter(clock, limits[name] ?? DEFAULT_RATE_LIMITS[name])] as const));
}

export interface DeliveryQueueOptions {
  /** The queue to put this channel's deliveries on: BullMQ's limiter holds per queue, so one per channel. */
  queue: string;
  /** BullMQ Worker `limiter`: at most `max` jobs per `duration` ms across every worker of the queue. */
  limiter: { max: number; duration: number };
  /** Worker concurrency per process. */
  concurrency: number;
}

/** Settings for the production (BullMQ) delivery queue of one channel. */
export function deliveryQueueOptions(channel: ChannelName, limits: Partial<Record<ChannelName, RateLimit>> = {}): DeliveryQueueOptions {
  const limit = limits[channel] ?? DEFAULT_RATE_LIMITS[channel];
  // BullMQ counts whole jobs per window: a slow rate becomes one job per (1000 / rate) ms.
  const limiter =
    limit.perSecond >= 1
      ? { max: Math.round(limit.perSecond), duration: 1000 }
      : { max: 1, duration: Math.round(1000 / limit.perSecond) };
  return { queue: `deliver.${channel}`, limiter, concurrency: DEFAULT_CONCURRENCY[channel] };
}
