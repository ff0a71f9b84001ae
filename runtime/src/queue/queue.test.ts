import { afterAll, describe, expect, it } from "vitest";
import { passTimeUntil, queueFixtures } from "../testing/queues.js";
import { eventually, realSleep } from "../testing/services.js";
import { type Job, PermanentJobError, QueueUsageError } from "./port.js";

/**
 * The queue port's conformance suite: the same tests against BullMQ on the real Redis (real time,
 * a key prefix of its own) and the in-process queue (a virtual clock). "Time passes" means the
 * virtual clock advances, or real time is slept.
 */
describe.each(queueFixtures())("queue conformance: $kind", (fixture) => {
  afterAll(() => fixture.cleanup());
  /** Real timers and Redis round trips may fire a few ms early by Node's clock; virtual ones never do. */
  const slack = fixture.kind === "bullmq" ? 5 : 0;

  it("runs a job with its data as JSON delivers it, and tells the attempt", async () => {
    const { queue } = await fixture.open();
    const seen: Job[] = [];
    await queue.process("work", async (job) => {
      seen.push(job);
    });
    const id = await queue.add("work", { at: new Date("2025-01-01T00:00:00Z"), n: 1, gone: undefined });
    await eventually(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toEqual({ id, queue: "work", data: { at: "2025-01-01T00:00:00.000Z", n: 1 }, attempt: 1 });
    const other = await queue.add("work", {});
    expect(other).not.toBe(id);
  });

  it("dedupes by jobId while the queue holds the job, finished and kept included", async () => {
    const { queue } = await fixture.open();
    const ran: string[] = [];
    expect(await queue.add("work", { n: 1 }, { jobId: "step.e1.0" })).toBe("step.e1.0");
    expect(await queue.add("work", { n: 2 }, { jobId: "step.e1.0" })).toBe("step.e1.0");
    const bulk = await queue.addBulk("work", [
      { data: { n: 3 }, options: { jobId: "step.e1.0" } },
      { data: { n: 4 }, options: { jobId: "step.e2.0" } },
    ]);
    expect(bulk).toEqual(["step.e1.0", "step.e2.0"]);
    expect(await queue.counts("work")).toMatchObject({ waiting: 2 });

    await queue.process<{ n: number }>("work", async (job) => {
      ran.push(`${job.id}=${job.data.n}`);
    });
    await eventually(() => expect(ran).toHaveLength(2));
    expect(ran).toEqual(["step.e1.0=1", "step.e2.0=4"]); // in order; the first add's data wins
    await eventually(async () => expect(await queue.state("work", "step.e1.0")).toBe("completed"));

    // Finished but kept: adding the id again is still a no-op. The sentinel runs after it would have.
    await queue.add("work", { n: 5 }, { jobId: "step.e1.0" });
    await queue.add("work", { n: 6 }, { jobId: "sentinel" });
    await eventually(() => expect(ran).toContain("sentinel=6"));
    expect(ran).toHaveLength(3);
  });

  it("frees a finished job's id once it is no longer kept", async () => {
    const { queue } = await fixture.open({ retain: { completed: 1 } });
    const ran: string[] = [];
    await queue.process("work", async (job) => {
      ran.push(job.id);
    });
    await queue.add("work", {}, { jobId: "a" });
    await eventually(async () => expect(await queue.state("work", "a")).toBe("completed"));
    await queue.add("work", {}, { jobId: "b" });
    await eventually(async () => expect(await queue.state("work", "b")).toBe("completed"));
    expect(await queue.state("work", "a")).toBeUndefined(); // only the newest one is kept
    await queue.add("work", {}, { jobId: "a" });
    await eventually(() => expect(ran).toEqual(["a", "b", "a"]));
  });

  it("runs a delayed job once its delay has passed on the queue's clock, not before", async () => {
    const harness = await fixture.open();
    const { queue } = harness;
    const ranAt: number[] = [];
    await queue.process("work", async () => {
      ranAt.push(harness.now());
    });
    const addedAt = harness.now();
    const id = await queue.add("work", {}, { delay: 800, jobId: "later" });
    expect(await queue.state("work", id)).toBe("delayed");
    await harness.passTime(100);
    expect(ranAt).toEqual([]);
    await passTimeUntil(harness, () => ranAt.length === 1);
    expect((ranAt[0] ?? 0) - addedAt).toBeGreaterThanOrEqual(800 - slack);
  });

  it("runs at most `concurrency` jobs at once", async () => {
    const { queue } = await fixture.open();
    let active = 0;
    let mostActive = 0;
    let done = 0;
    const release = gate();
    await queue.process(
      "work",
      async () => {
        active++;
        mostActive = Math.max(mostActive, active);
        await release.opened;
        active--;
        done++;
      },
      { concurrency: 2 },
    );
    await queue.addBulk(
      "work",
      Array.from({ length: 5 }, (_, i) => ({ data: { i } })),
    );
    await eventually(() => expect(active).toBe(2));
    await realSleep(50); // a third job would have started by now if the limit leaked
    expect(active).toBe(2);
    expect(await queue.counts("work")).toMatchObject({ active: 2, waiting: 3 });
    release.open();
    await eventually(() => expect(done).toBe(5));
    expect(mostActive).toBe(2);
  });

  it("retries a failing job after its backoff, then completes it", async () => {
    const retries: boolean[] = [];
    const harness = await fixture.open({ onFailure: (_job, _error, willRetry) => retries.push(willRetry) });
    const { queue } = harness;
    const tries: { attempt: number; at: number }[] = [];
    await queue.process("work", async (job) => {
      tries.push({ attempt: job.attempt, at: harness.now() });
      if (job.attempt < 3) throw new Error("flaky provider");
    });
    const id = await queue.add("work", {}, { jobId: "flaky", attempts: 3, backoff: { type: "exponential", delayMs: 100 } });
    await passTimeUntil(harness, async () => (await queue.state("work", id)) === "completed");
    expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);
    const [first, second, third] = tries.map((t) => t.at);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(100 - slack);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(200 - slack);
    expect(retries).toEqual([true, true]);
  });

  it("fails a job for good after its last try, and at once on PermanentJobError", async () => {
    const failures: string[] = [];
    const harness = await fixture.open({
      onFailure: (job, _error, willRetry) => failures.push(`${job.id}#${job.attempt}${willRetry ? " retry" : " final"}`),
    });
    const { queue } = harness;
    await queue.process<{ permanent: boolean }>("work", async (job) => {
      if (job.data.permanent) throw new PermanentJobError("malformed event");
      throw new Error("provider down");
    });
    await queue.add("work", { permanent: false }, { jobId: "down", attempts: 2, backoff: { type: "fixed", delayMs: 50 } });
    await queue.add("work", { permanent: true }, { jobId: "bad", attempts: 5 });
    await passTimeUntil(harness, async () => (await queue.counts("work")).failed === 2);
    expect(failures.sort()).toEqual(["bad#1 final", "down#1 retry", "down#2 final"]);
    expect(await queue.state("work", "down")).toBe("failed");
    expect(await queue.state("work", "bad")).toBe("failed");
  });

  it("reports each job's state and the counts per state", async () => {
    const { queue } = await fixture.open();
    await queue.add("idle", {}, { jobId: "w1" });
    await queue.add("idle", {}, { jobId: "w2" });
    await queue.add("idle", {}, { jobId: "d1", delay: 60_000 });
    expect(await queue.counts("idle")).toEqual({ waiting: 2, delayed: 1, active: 0, completed: 0, failed: 0 });
    expect(await queue.state("idle", "w1")).toBe("waiting");
    expect(await queue.state("idle", "d1")).toBe("delayed");
    expect(await queue.state("idle", "never-added")).toBeUndefined();
    expect(await queue.counts("other")).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });
  });

  it("refuses ids and names that BullMQ could not hold, before adding anything", async () => {
    const { queue } = await fixture.open();
    await expect(queue.add("work", {}, { jobId: "step:e1" })).rejects.toThrow(QueueUsageError);
    await expect(queue.add("work", {}, { jobId: "42" })).rejects.toThrow(QueueUsageError);
    await expect(queue.add("work", {}, { jobId: "" })).rejects.toThrow(QueueUsageError);
    await expect(queue.add("bad:name", {})).rejects.toThrow(QueueUsageError);
    await expect(
      queue.addBulk("work", [
        { data: {}, options: { jobId: "fine" } },
        { data: {}, options: { jobId: "not:fine" } },
      ]),
    ).rejects.toThrow(QueueUsageError);
    expect(await queue.state("work", "fine")).toBeUndefined();
    await queue.process("work", async () => {});
    await expect(queue.process("work", async () => {})).rejects.toThrow(QueueUsageError);
  });

  it("close() waits for running jobs, starts no more, and refuses later use", async () => {
    const { queue } = await fixture.open();
    const log: string[] = [];
    const release = gate();
    await queue.process<{ n: number }>("work", async (job) => {
      log.push(`start ${job.data.n}`);
      if (job.data.n === 1) await release.opened;
      log.push(`end ${job.data.n}`);
    });
    await queue.add("work", { n: 1 });
    await queue.add("work", { n: 2 });
    await eventually(() => expect(log).toEqual(["start 1"]));
    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await realSleep(50);
    expect(closed).toBe(false);
    release.open();
    await closing;
    expect(log).toEqual(["start 1", "end 1"]);
    await expect(queue.add("work", { n: 3 })).rejects.toThrow(QueueUsageError);
    await queue.close(); // twice is harmless
  });
});

function gate(): { opened: Promise<void>; open(): void } {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
