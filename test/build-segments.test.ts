import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProjectFile } from "@journey/compiler";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Evaluator, type Population } from "./build-support/evaluate.js";
import { buildFolder, examples, root } from "./build-support/examples.js";
import { generatePopulation, NOW } from "./build-support/population.js";

/**
 * Every example segment is lowered twice: to a predicate tree and to SQL. Both must pick the same
 * customers out of a generated population, the SQL run by the real PostgreSQL at 127.0.0.1:5432
 * (database `test`), in a schema of its own that is dropped afterwards. The tables are the ones
 * docs/ir.md documents, read from the doc itself.
 */

const layout = (() => {
  const doc = readFileSync(join(root, "docs/ir.md"), "utf8");
  const block = /```sql layout\n([\s\S]*?)```/.exec(doc);
  if (!block?.[1]) throw new Error("docs/ir.md has no ```sql layout block");
  return block[1];
})();

const project: ProjectFile = buildFolder(examples).project;
const population: Population = generatePopulation(project);
const schema = `journey_test_${process.pid}_${Date.now()}`;
let client: pg.Client;

async function connect(): Promise<pg.Client> {
  const problems: string[] = [];
  for (const user of [process.env.PGUSER, "postgres", "root"].filter((u): u is string => Boolean(u))) {
    const candidate = new pg.Client({ host: process.env.PGHOST ?? "127.0.0.1", port: Number(process.env.PGPORT ?? 5432), user, database: process.env.PGDATABASE ?? "test" });
    try {
      await candidate.connect();
      return candidate;
    } catch (error) {
      problems.push(`${user}: ${error instanceof Error ? error.message : String(error)}`);
      await candidate.end().catch(() => undefined);
    }
  }
  throw new Error(`cannot connect to PostgreSQL at 127.0.0.1:5432, database test (${problems.join("; ")})`);
}

async function insert(table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    const batch = rows.slice(start, start + 500);
    const values = batch.map((row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`).join(", ");
    await client.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values}`, batch.flat());
  }
}

beforeAll(async () => {
  client = await connect();
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.query(`SET search_path TO "${schema}"`);
  // Not UTC on purpose: the queries must not depend on the session's time zone.
  await client.query("SET TIME ZONE 'America/New_York'");
  await client.query(layout);
  await insert("customers", ["customer_id", "profile"], population.customers.map((c) => [c.id, JSON.stringify(c.profile)]));
  await insert(
    "events",
    ["event_id", "customer_id", "name", "occurred_at", "properties"],
    population.customers.flatMap((c) => c.events.map((e) => [e.id, c.id, e.name, new Date(e.at).toISOString(), JSON.stringify(e.properties)])),
  );
  await insert("list_members", ["list", "customer_id"], [...population.lists].flatMap(([list, members]) => [...members].map((id) => [list, id])));
  await insert(
    "scores",
    ["name", "customer_id", "value", "updated_at"],
    [...population.scores].flatMap(([name, values]) => [...values].map(([id, s]) => [name, id, s.value, new Date(s.updatedAt).toISOString()])),
  );
});

afterAll(async () => {
  if (!client) return;
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

async function sqlMembers(segment: string): Promise<string[]> {
  const sql = project.segments.find((s) => s.name === segment)?.sql;
  if (!sql) throw new Error(`no segment ${segment}`);
  const params = sql.params.map((p) => (p.kind === "now" ? new Date(NOW).toISOString() : p.value));
  const result = await client.query<{ customer_id: string }>(sql.query, params);
  return result.rows.map((row) => row.customer_id).sort();
}

describe("segment SQL and predicate trees agree", () => {
  const evaluator = new Evaluator(project, population);

  it("the examples have segments, and the population events", () => {
    expect(project.segments.length).toBeGreaterThanOrEqual(15);
    expect(population.customers.length).toBe(300);
  });

  for (const segment of project.segments) {
    it(`${segment.name}`, async () => {
      const expected = evaluator.members(segment.name);
      const actual = await sqlMembers(segment.name);
      expect(actual).toEqual(expected);
      // A segment that takes everyone or no one would prove little.
      expect(expected.length, `${segment.name} has members`).toBeGreaterThan(0);
      expect(expected.length, `${segment.name} leaves someone out`).toBeLessThan(population.customers.length);
    });
  }
});
