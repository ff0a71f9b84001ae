/**
 * The real PostgreSQL for the segment SQL tests: 127.0.0.1:5432, database `test`, trust auth as
 * `postgres` or `root` (PGHOST, PGPORT, PGUSER, PGDATABASE override). Each test file works in a
 * schema of its own, made from docs/ir.md's layout block and dropped at the end.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SqlParam } from "@journey/compiler";
import pg from "pg";
import type { Population } from "./evaluate.js";
import { root } from "./examples.js";

/** The ```sql layout block of docs/ir.md: the tables the segment SQL assumes. */
export function documentedLayout(): string {
  const doc = readFileSync(join(root, "docs/ir.md"), "utf8");
  const block = /```sql layout\n([\s\S]*?)```/.exec(doc);
  if (!block?.[1]) throw new Error("docs/ir.md has no ```sql layout block");
  return block[1];
}

export class TestDatabase {
  private constructor(
    readonly client: pg.Client,
    readonly schema: string,
  ) {}

  static async open(label: string): Promise<TestDatabase> {
    const problems: string[] = [];
    for (const user of [process.env.PGUSER, "postgres", "root"].filter((u): u is string => Boolean(u))) {
      const client = new pg.Client({ host: process.env.PGHOST ?? "127.0.0.1", port: Number(process.env.PGPORT ?? 5432), user, database: process.env.PGDATABASE ?? "test" });
      try {
        await client.connect();
        const schema = `journey_${label}_${process.pid}_${Date.now()}`;
        await client.query(`CREATE SCHEMA "${schema}"`);
        await client.query(`SET search_path TO "${schema}"`);
        // Not UTC on purpose: the queries must not depend on the session's time zone.
        await client.query("SET TIME ZONE 'America/New_York'");
        await client.query(documentedLayout());
        return new TestDatabase(client, schema);
      } catch (error) {
        problems.push(`${user}: ${error instanceof Error ? error.message : String(error)}`);
        await client.end().catch(() => undefined);
      }
    }
    throw new Error(`cannot use PostgreSQL at 127.0.0.1:5432, database test (${problems.join("; ")})`);
  }

  async close(): Promise<void> {
    await this.client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await this.client.end();
  }

  private async insert(table: string, columns: string[], rows: unknown[][]): Promise<void> {
    for (let start = 0; start < rows.length; start += 500) {
      const batch = rows.slice(start, start + 500);
      const values = batch.map((row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`).join(", ");
      await this.client.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values}`, batch.flat());
    }
  }

  async load(population: Population): Promise<void> {
    await this.insert("customers", ["customer_id", "profile"], population.customers.map((c) => [c.id, JSON.stringify(c.profile)]));
    await this.insert(
      "events",
      ["event_id", "customer_id", "name", "occurred_at", "properties"],
      // Numbered in the order the events were recorded: the runtime's event_id is an identity column.
      population.customers.flatMap((c) => c.events.map((e) => [c.id, e.name, new Date(e.at).toISOString(), JSON.stringify(e.properties)])).map((row, i) => [i + 1, ...row]),
    );
    await this.insert("list_members", ["list", "customer_id"], [...population.lists].flatMap(([list, members]) => [...members].map((id) => [list, id])));
    await this.insert(
      "scores",
      ["score", "customer_id", "value", "as_of"],
      [...population.scores].flatMap(([name, values]) => [...values].map(([id, s]) => [name, id, s.value, new Date(s.updatedAt).toISOString()])),
    );
    await this.insert("objects", ["type", "key", "data"], [...population.objects].flatMap(([type, items]) => [...items].map(([key, data]) => [type, key, JSON.stringify(data)])));
  }

  /** Runs a segment's query at `now`: the members' ids, sorted. */
  async members(sql: { query: string; params: SqlParam[] }, now: number): Promise<string[]> {
    const params = sql.params.map((p) => (p.kind === "now" ? new Date(now).toISOString() : p.value));
    const result = await this.client.query<{ customer_id: string }>(sql.query, params);
    return result.rows.map((row) => row.customer_id).sort();
  }
}
