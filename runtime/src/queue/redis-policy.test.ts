import { describe, expect, it } from "vitest";
import { services } from "../testing/services.js";
import { checkEvictionPolicy } from "./redis-policy.js";

const info = (policy: string) => ({ info: async () => `# Memory\r\nused_memory:1024\r\nmaxmemory_policy:${policy}\r\n` });

describe("Redis eviction policy check", () => {
  it("warns when Redis may evict keys, naming the policy and the fix", async () => {
    const warnings: string[] = [];
    expect(await checkEvictionPolicy(info("allkeys-lru"), (m) => warnings.push(m))).toBe("allkeys-lru");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/"allkeys-lru".*noeviction/s);
  });

  it("is quiet under noeviction, and when the policy is not reported", async () => {
    const warnings: string[] = [];
    expect(await checkEvictionPolicy(info("noeviction"), (m) => warnings.push(m))).toBe("noeviction");
    expect(await checkEvictionPolicy({ info: async () => "# Memory\r\n" }, (m) => warnings.push(m))).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it.skipIf(services.embeddedOnly)("reads the real Redis's policy", async () => {
    const { Redis } = await import("ioredis");
    const redis = new Redis(services.redisUrl);
    try {
      const policy = await checkEvictionPolicy(redis, () => {});
      expect(typeof policy).toBe("string");
    } finally {
      await redis.quit();
    }
  });
});
