/** The part of a Redis client the check needs (ioredis satisfies it; tests pass a fake). */
export interface RedisInfoSource {
  info(section: "memory"): Promise<string>;
}

/**
 * Warns unless Redis's maxmemory-policy is `noeviction`. Under any other policy a full Redis
 * silently deletes keys, queued jobs among them; nothing is lost for good (Postgres holds the
 * truth and the reconciler re-adds due work) but work stalls until the next sweep. Reads INFO, not
 * CONFIG, which managed Redis services often disable. Returns the policy (undefined if unreported).
 */
export async function checkEvictionPolicy(
  redis: RedisInfoSource,
  warn: (message: string) => void,
): Promise<string | undefined> {
  const info = await redis.info("memory");
  const policy = /^maxmemory_policy:(.*)$/m.exec(info)?.[1]?.trim();
  if (policy !== undefined && policy !== "noeviction") {
    warn(
      `Redis maxmemory-policy is "${policy}", not "noeviction": when memory runs out Redis will delete queued jobs, ` +
        "and due work waits for the reconciler to re-queue it. Set maxmemory-policy noeviction for the queue's Redis.",
    );
  }
  return policy;
}
