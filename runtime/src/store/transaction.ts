import { AsyncLocalStorage } from "node:async_hooks";
import { type Isolation, StoreUsageError, type TransactionOptions } from "./port.js";

/** SQLSTATEs after which running the whole transaction again is the documented remedy. */
const RETRYABLE = new Set(["40001", "40P01"]);

export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE.has(code);
}

export function beginStatement(isolation: Isolation = "read committed"): string {
  return `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`;
}

/** Real time on purpose: a retry backoff is about database contention, not journey time. */
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or has been tried
 * `maxAttempts` times; waits a short, growing, jittered pause between tries so that two
 * transactions that collided do not collide again in lockstep.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: TransactionOptions,
  sleep: (ms: number) => Promise<void> = realSleep,
): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= maxAttempts || !isRetryable(error)) throw error;
      await sleep(Math.random() * 10 * 2 ** tried);
    }
  }
}

/**
 * Which store's transaction the current async context runs inside, and whether it is still open
 * (a timer set inside a transaction keeps the context after the commit, and may then use the store).
 */
const insideTransaction = new AsyncLocalStorage<{ store: object; open: boolean }>();

export function runInTransactionScope<T>(store: object, fn: () => Promise<T>): Promise<T> {
  const scope = { store, open: true };
  return insideTransaction.run(scope, async () => {
    try {
      return await fn();
    } finally {
      scope.open = false;
    }
  });
}

/** Throws when `store` is called from inside its own still-open transaction. */
export function assertNotInsideTransaction(store: object, method: string): void {
  const scope = insideTransaction.getStore();
  if (scope?.open && scope.store === store) {
    throw new StoreUsageError(
      `store.${method}() called inside one of its own transactions: use the transaction's handle (tx.${method}), ` +
        "or the call runs outside the transaction (and, on the single-connection embedded store, waits for it forever)",
    );
  }
}
