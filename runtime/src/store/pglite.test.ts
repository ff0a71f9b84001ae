import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { migrate } from "./migrate.js";
import { openPgliteStore } from "./pglite.js";

/** What only the embedded store does: keep its database in a directory between runs. */
describe("PGlite store with a data directory", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("keeps the schema and the rows across close() and a new open", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "journey-pglite-"));
    dirs.push(dataDir);
    const first = await openPgliteStore({ dataDir, schema: "journey" });
    expect((await migrate(first)).applied.length).toBeGreaterThan(0);
    await first.query(
      "INSERT INTO customers (customer_id, profile, created_at, updated_at) VALUES ($1, $2, $3, $3)",
      ["00000000-0000-4000-8000-000000000001", JSON.stringify({ name: "Simona" }), new Date("2025-01-01T00:00:00Z")],
    );
    await first.close();

    const again = await openPgliteStore({ dataDir, schema: "journey" });
    try {
      expect((await migrate(again)).applied).toEqual([]);
      expect((await again.query("SELECT profile FROM customers")).rows).toEqual([{ profile: { name: "Simona" } }]);
    } finally {
      await again.close();
    }
  });
});
