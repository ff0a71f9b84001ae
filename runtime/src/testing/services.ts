import { randomBytes } from "node:crypto";

/**
 * How tests find the real services. Defaults are the local ones CI starts (.ci/run); override with
 * JOURNEY_TEST_DATABASE_URL and JOURNEY_TEST_REDIS_URL. JOURNEY_TEST_SERVICES=embedded runs only the
 * embedded implementations (PGlite, in-process queue), for a machine with neither service: the
 * production cases are then skipped, loudly, rather than failing.
 */
export const services = {
  databaseUrl: process.env.JOURNEY_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  redisUrl: process.env.JOURNEY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  embeddedOnly: process.env.JOURNEY_TEST_SERVICES === "embedded",
};

if (services.embeddedOnly) {
  console.warn("JOURNEY_TEST_SERVICES=embedded: skipping the PostgreSQL and BullMQ cases of the runtime's conformance suites");
}

/** A name no other test run uses: a PostgreSQL schema or a Redis key prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
}

/** Polls `check` until it stops throwing (or returns true), for effects of work running elsewhere. */
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return;
      if (Date.now() > deadline) throw new Error(`eventually: still false after ${timeoutMs} ms`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A meeting point for `parties` concurrent tasks: each `arrive()` resolves once all have arrived,
 * or rejects after `timeoutMs` (a test that would otherwise hang fails instead).
 */
export function barrier(parties: number, timeoutMs = 3_000): { arrive(): Promise<void> } {
  let arrived = 0;
  let release: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    arrive() {
      arrived++;
      if (arrived >= parties) release();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`barrier: ${arrived} of ${parties} arrived`)), timeoutMs);
        void all.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
