import type { ProjectFile } from "@journey/compiler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Evaluator, type Population } from "./build-support/evaluate.js";
import { buildFolder, examples } from "./build-support/examples.js";
import { generatePopulation, NOW } from "./build-support/population.js";
import { TestDatabase } from "./build-support/postgres.js";

/**
 * Every example segment is lowered twice: to a predicate tree and to SQL. Both must pick the same
 * customers out of a generated population, the SQL run by the real PostgreSQL (see
 * build-support/postgres.ts) on the tables docs/ir.md documents.
 */

const project: ProjectFile = buildFolder(examples).project;
const population: Population = generatePopulation(project);
let database: TestDatabase;

beforeAll(async () => {
  database = await TestDatabase.open("examples");
  await database.load(population);
});

afterAll(async () => {
  await database?.close();
});

describe("segment SQL and predicate trees agree", () => {
  const evaluator = new Evaluator(project, population);

  it("the examples have segments, and the population events", () => {
    expect(project.segments.length).toBeGreaterThanOrEqual(15);
    expect(population.customers.length).toBe(300);
  });

  for (const segment of project.segments) {
    it(`${segment.name}`, async () => {
      const expected = evaluator.members(segment.name);
      expect(await database.members(segment.sql, NOW)).toEqual(expected);
      // A segment that takes everyone or no one would prove little.
      expect(expected.length, `${segment.name} has members`).toBeGreaterThan(0);
      expect(expected.length, `${segment.name} leaves someone out`).toBeLessThan(population.customers.length);
    });
  }

  it("at another time too: a month earlier, memberships differ and still agree", async () => {
    const earlier = NOW - 30 * 86_400_000;
    const before = new Evaluator(project, { ...population, now: earlier });
    let changed = 0;
    for (const segment of project.segments) {
      const expected = before.members(segment.name);
      expect(await database.members(segment.sql, earlier), segment.name).toEqual(expected);
      if (expected.join() !== evaluator.members(segment.name).join()) changed++;
    }
    expect(changed).toBeGreaterThan(5);
  });
});
