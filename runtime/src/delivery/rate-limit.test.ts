import { describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.js";
import { deliveryQueueOptions, RateLimiter } from "./rate-limit.js";

describe("RateLimiter", () => {
  it("allows a burst, then one token per 1/rate on the clock", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(clock, { perSecond: 2, burst: 3 });
    expect([limiter.tryTake(), limiter.tryTake(), limiter.tryTake()]).toEqual([0, 0, 0]);
    expect(limiter.tryTake()).toBe(500);
    await clock.advance(499);
    expect(limiter.tryTake()).toBe(1);
    await clock.advance(1);
    expect(limiter.tryTake()).toBe(0);
    await clock.advance(10_000);
    expect([limiter.tryTake(), limiter.tryTake(), limiter.tryTake(), limiter.tryTake()]).toEqual([0, 0, 0, 500]);
  });

  it("take() waits on the clock", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(clock, { perSecond: 1 });
    await limiter.take();
    let taken = false;
    const second = limiter.take().then(() => {
      taken = true;
    });
    await clock.advance(999);
    expect(taken).toBe(false);
    await clock.advance(1);
    await second;
    expect(taken).toBe(true);
  });

  it("refuses a nonsensical limit", () => {
    expect(() => new RateLimiter(new VirtualClock(), { perSecond: 0 })).toThrow(/positive/);
    expect(() => new RateLimiter(new VirtualClock(), { perSecond: 1, burst: 0.5 })).toThrow(/burst/);
  });
});

describe("deliveryQueueOptions", () => {
  it("turns a rate into BullMQ's limiter, per channel queue", () => {
    expect(deliveryQueueOptions("sms", { sms: { perSecond: 25 } })).toEqual({ queue: "deliver.sms", limiter: { max: 25, duration: 1000 }, concurrency: 10 });
    expect(deliveryQueueOptions("sms", { sms: { perSecond: 0.5 } }).limiter).toEqual({ max: 1, duration: 2000 });
    expect(deliveryQueueOptions("email").limiter).toEqual({ max: 50, duration: 1000 });
  });
});
