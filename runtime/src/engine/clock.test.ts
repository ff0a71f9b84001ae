import { describe, expect, it } from "vitest";
import { SystemClock, VirtualClock } from "./clock.js";

describe("VirtualClock", () => {
  it("starts at a fixed instant and moves only when advanced", async () => {
    const clock = new VirtualClock();
    expect(new Date(clock.now()).toISOString()).toBe("2025-01-01T00:00:00.000Z");
    await clock.advance(1500);
    expect(clock.now() - Date.UTC(2025, 0, 1)).toBe(1500);
  });

  it("fires timers in due order, ties in the order set, with now() at each due time", async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push(`c@${clock.now()}`));
    clock.setTimer(10, () => fired.push(`a@${clock.now()}`));
    clock.setTimer(10, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(31, () => fired.push(`late@${clock.now()}`));
    await clock.advance(30);
    expect(fired).toEqual(["a@10", "b@10", "c@30"]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    expect(fired.at(-1)).toBe("late@31");
  });

  it("fires timers set by timers (and after awaits) inside the advanced span", async () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      void Promise.resolve().then(() => clock.setTimer(5, () => fired.push(clock.now())));
    });
    await clock.advance(100);
    expect(fired).toEqual([10, 15]);
    expect(clock.now()).toBe(100);
  });

  it("sleep resolves only when time reaches it; cancelled timers never fire", async () => {
    const clock = new VirtualClock(0);
    let woke = false;
    const sleeping = clock.sleep(1000).then(() => {
      woke = true;
    });
    const cancelled = clock.setTimer(500, () => {
      throw new Error("cancelled timer fired");
    });
    cancelled.cancel();
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it("runAll jumps to the last timer; time never goes back", async () => {
    const clock = new VirtualClock(0);
    const day = 24 * 3600_000;
    clock.setTimer(2 * day, () => {});
    expect(await clock.runAll()).toBe(2 * day);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });
});

describe("SystemClock", () => {
  it("fires after the delay", async () => {
    const clock = new SystemClock();
    const start = Date.now();
    await clock.sleep(20);
    expect(Date.now() - start).toBeGreaterThanOrEqual(19);
  });

  it("re-arms delays longer than one Node timer, firing once, not early", async () => {
    const clock = new SystemClock({ maxTimerDelayMs: 10 });
    const start = Date.now();
    let fired = 0;
    await new Promise<void>((resolve) =>
      clock.setTimer(45, () => {
        fired++;
        resolve();
      }),
    );
    expect(Date.now() - start).toBeGreaterThanOrEqual(44);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(1);
  });

  it("cancel stops a pending timer", async () => {
    const clock = new SystemClock();
    let fired = false;
    clock.setTimer(10, () => {
      fired = true;
    }).cancel();
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(false);
  });
});
