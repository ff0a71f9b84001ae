import { describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.js";
import { InProcessQueue } from "./in-process.js";

/** What only the embedded queue does: run journey time on a virtual clock, and say when it is idle. */
describe("in-process queue", () => {
  const day = 24 * 3600_000;

  it("runs days of delays in an instant, in due order, with now() at each due time", async () => {
    const clock = new VirtualClock(0);
    const queue = new InProcessQueue({ clock });
    const ran: string[] = [];
    await queue.process<{ name: string }>("wake", async (job) => {
      ran.push(`${job.data.name}@${clock.now() / day}d`);
    });
    await queue.add("wake", { name: "three" }, { delay: 3 * day });
    await queue.add("wake", { name: "one" }, { delay: day });
    await queue.add("wake", { name: "two" }, { delay: 2 * day });
    await clock.advance(2 * day);
    await queue.whenIdle();
    expect(ran).toEqual(["one@1d", "two@2d"]);
    await clock.runAll();
    await queue.whenIdle();
    expect(ran).toEqual(["one@1d", "two@2d", "three@3d"]);
    await queue.close();
  });

  it("never runs a handler inside add(): it starts on a later turn, as from Redis", async () => {
    const queue = new InProcessQueue({ clock: new VirtualClock() });
    const log: string[] = [];
    await queue.process("work", async () => {
      log.push("handler");
    });
    await queue.add("work", {});
    log.push("added");
    await queue.whenIdle();
    expect(log).toEqual(["added", "handler"]);
    await queue.close();
  });

  it("whenIdle() waits for jobs that jobs add", async () => {
    const queue = new InProcessQueue({ clock: new VirtualClock() });
    const ran: number[] = [];
    await queue.process<{ n: number }>("chain", async (job) => {
      ran.push(job.data.n);
      if (job.data.n < 5) await queue.add("chain", { n: job.data.n + 1 });
    });
    await queue.add("chain", { n: 1 });
    await queue.whenIdle();
    expect(ran).toEqual([1, 2, 3, 4, 5]);
    await queue.close();
  });

  it("drops delayed jobs at close(): Postgres, not the process, remembers what is due", async () => {
    const clock = new VirtualClock();
    const queue = new InProcessQueue({ clock });
    await queue.add("wake", {}, { delay: 1000, jobId: "w" });
    expect(clock.pendingTimers).toBe(1);
    await queue.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
