import { afterAll, describe, expect, it } from "vitest";
import { eventually, services, uniqueName } from "../testing/services.js";
import { openBullmqQueue } from "./bullmq.js";
import type { JobQueue } from "./port.js";

/** What only the Redis-backed queue does: keep jobs across processes and restarts. */
describe.skipIf(services.embeddedOnly)("BullMQ queue", () => {
  const prefix = uniqueName("journey-test");
  const opened: JobQueue[] = [];
  const open = async () => {
    const queue = await openBullmqQueue({ redisUrl: services.redisUrl, prefix });
    opened.push(queue);
    return queue;
  };
  afterAll(async () => {
    await Promise.all(opened.map((q) => q.close()));
    const { Redis } = await import("ioredis");
    const redis = new Redis(services.redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("keeps jobs a closed process added for the next process to run", async () => {
    const producer = await open();
    await producer.add("work", { n: 1 }, { jobId: "left.1" });
    await producer.add("work", { n: 2 }, { jobId: "left.2", delay: 50 });
    await producer.close();

    const worker = await open();
    const ran: unknown[] = [];
    await worker.process("work", async (job) => {
      ran.push(job.data);
    });
    await eventually(() => expect(ran).toEqual([{ n: 1 }, { n: 2 }]));
  });

  it("fails to open at once, with the cause and without the password, when Redis cannot be reached", async () => {
    const opening = openBullmqQueue({ redisUrl: "redis://user:secret@127.0.0.1:1", prefix, warn: () => {} });
    await expect(opening).rejects.toThrow(/cannot use Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1.*ECONNREFUSED/);
  }, 5_000);
});
