/**
 * The clock port. Every wait, delay, retry backoff and policy window reads time from a Clock the
 * caller provides, so tests and `journey test` can run days of journey time in milliseconds.
 * Times are milliseconds since the Unix epoch (UTC), like Date.now().
 */
export interface Clock {
  now(): number;
  /** Runs `fire` once, `delayMs` from now (negative delays count as 0). */
  setTimer(delayMs: number, fire: () => void): Timer;
  /** Resolves `delayMs` from now. */
  sleep(delayMs: number): Promise<void>;
}

export interface Timer {
  /** Stops the timer if it has not fired; harmless afterwards. */
  cancel(): void;
}

/** Node's timers overflow (and fire at once) past 2^31-1 ms, about 24.8 days: longer delays re-arm. */
const MAX_NODE_DELAY = 2 ** 31 - 1;

export interface SystemClockOptions {
  /** Longest single Node timer; lower it only to test the re-arming of long delays. */
  maxTimerDelayMs?: number;
}

/** Wall-clock time: Date.now() and Node timers. */
export class SystemClock implements Clock {
  readonly #maxTimerDelay: number;

  constructor(options: SystemClockOptions = {}) {
    this.#maxTimerDelay = Math.min(options.maxTimerDelayMs ?? MAX_NODE_DELAY, MAX_NODE_DELAY);
  }

  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, fire: () => void): Timer {
    const dueAt = Date.now() + Math.max(0, delayMs);
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const remaining = dueAt - Date.now();
      if (remaining <= 0) {
        handle = undefined;
        fire();
        return;
      }
      handle = setTimeout(arm, Math.min(remaining, this.#maxTimerDelay));
    };
    handle = setTimeout(arm, Math.min(Math.max(0, delayMs), this.#maxTimerDelay));
    return {
      cancel: () => {
        if (handle !== undefined) clearTimeout(handle);
        handle = undefined;
      },
    };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(delayMs, resolve));
  }
}

interface VirtualTimer {
  dueAt: number;
  /** Tie-break: timers due at the same instant fire in the order they were set. */
  seq: number;
  fire: () => void;
}

/**
 * Time that moves only when told to. `advance(ms)` fires every timer due in that span in order of
 * due time (ties: order set), moving now() to each timer's due time before firing it, and lets
 * promise continuations run between timers, so a timer set by a fired timer inside the span fires too.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: VirtualTimer[] = [];
  #advancing = false;

  /** Starts at `startMs` (default 2025-01-01T00:00:00Z), so tests do not depend on today's date. */
  constructor(startMs: number = Date.UTC(2025, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, fire: () => void): Timer {
    const timer: VirtualTimer = { dueAt: this.#now + Math.max(0, delayMs), seq: this.#seq++, fire };
    this.#timers.push(timer);
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
      },
    };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(delayMs, resolve));
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing the timers due on the way. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`a clock cannot go back (advance(${ms}))`);
    return this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `targetMs`, firing the timers due on the way. */
  async advanceTo(targetMs: number): Promise<void> {
    if (targetMs < this.#now) throw new RangeError("a clock cannot go back");
    if (this.#advancing) throw new Error("advance() is already running: await it before advancing again");
    this.#advancing = true;
    try {
      await settle();
      for (;;) {
        const next = this.#nextDue(targetMs);
        if (!next) break;
        this.#timers = this.#timers.filter((t) => t !== next);
        this.#now = next.dueAt;
        next.fire();
        await settle();
      }
      this.#now = targetMs;
      await settle();
    } finally {
      this.#advancing = false;
    }
  }

  /** Fires every pending timer, however far away, and returns the time reached. */
  async runAll(limit = 100_000): Promise<number> {
    for (let fired = 0; this.#timers.length > 0; fired++) {
      if (fired >= limit) throw new Error(`runAll: still ${this.#timers.length} timers after ${limit}: a timer loop?`);
      const next = this.#nextDue(Number.POSITIVE_INFINITY);
      if (next) await this.advanceTo(Math.max(this.#now, next.dueAt));
    }
    return this.#now;
  }

  #nextDue(limit: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.#timers) {
      if (t.dueAt > limit) continue;
      if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets pending promise continuations (and the timers they set) run before the next timer fires. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const systemClock: Clock = new SystemClock();
