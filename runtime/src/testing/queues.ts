import { VirtualClock } from "../engine/clock.js";
import { openBullmqQueue } from "../queue/bullmq.js";
import { InProcessQueue } from "../queue/in-process.js";
import type { JobQueue, QueueKind, QueueOptions } from "../queue/port.js";
import { realSleep, services, uniqueName } from "./services.js";

/** A queue as the conformance suite drives it, with the clock its delays run on. */
export interface QueueUnderTest {
  queue: JobQueue;
  /** The time the queue's delays are measured against. */
  now(): number;
  /** Lets `ms` of the queue's time pass: a virtual clock advances, real time is slept. */
  passTime(ms: number): Promise<void>;
}

export interface QueueFixture {
  kind: QueueKind;
  /** A new, empty queue set (BullMQ: a Redis key prefix of its own). */
  open(options?: QueueOptions): Promise<QueueUnderTest>;
  /** Closes what open() opened and deletes its Redis keys. */
  cleanup(): Promise<void>;
}

export function bullmqFixture(): QueueFixture {
  const opened: JobQueue[] = [];
  const prefixes: string[] = [];
  return {
    kind: "bullmq",
    open: async (options = {}) => {
      const prefix = uniqueName("journey-test");
      prefixes.push(prefix);
      const queue = await openBullmqQueue({ ...options, redisUrl: services.redisUrl, prefix });
      opened.push(queue);
      return { queue, now: () => Date.now(), passTime: realSleep };
    },
    cleanup: async () => {
      await Promise.all(opened.map((q) => q.close()));
      const { Redis } = await import("ioredis");
      const redis = new Redis(services.redisUrl);
      try {
        for (const prefix of prefixes) {
          let cursor = "0";
          do {
            const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
            if (keys.length > 0) await redis.del(...keys);
            cursor = next;
          } while (cursor !== "0");
        }
      } finally {
        await redis.quit();
      }
    },
  };
}

export function inProcessFixture(): QueueFixture {
  const opened: JobQueue[] = [];
  return {
    kind: "in-process",
    open: async (options = {}) => {
      const clock = new VirtualClock();
      const queue = new InProcessQueue({ ...options, clock });
      opened.push(queue);
      return { queue, now: () => clock.now(), passTime: (ms) => clock.advance(ms) };
    },
    cleanup: async () => {
      await Promise.all(opened.map((q) => q.close()));
    },
  };
}

/** The fixtures the queue conformance suite runs against (BullMQ is left out with JOURNEY_TEST_SERVICES=embedded). */
export function queueFixtures(): QueueFixture[] {
  return services.embeddedOnly ? [inProcessFixture()] : [bullmqFixture(), inProcessFixture()];
}

/**
 * Lets the queue's time pass in `stepMs` steps until `check` holds (at most `timeoutMs` of real
 * time): works the same whether the queue runs on a virtual clock or on real time.
 */
export async function passTimeUntil(
  harness: QueueUnderTest,
  check: () => boolean | Promise<boolean>,
  stepMs = 10,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`passTimeUntil: condition still false after ${timeoutMs} ms`);
    await harness.passTime(stepMs);
    await realSleep(1);
  }
}
