import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dumpParse, formatRange } from "./dump.js";
import { parse } from "./parse.js";

/**
 * Golden tests: every `__fixtures__/{valid,broken}/*.journey` is parsed and dumped (tree outline,
 * then diagnostics) and compared with the `.golden` file next to it.
 *
 *   UPDATE_GOLDEN=1 npx vitest run language/src/syntax/golden.test.ts   rewrites every golden
 *
 * Goldens record what the parser does; read the diff before committing one. What it *should* do
 * is written in the broken fixtures themselves, in header comments that are checked on every run
 * (and are never rewritten):
 *
 *   // expect J1003 at 7:7: expected a duration such as `2 days`   a diagnostic with this code
 *                                                                   starts at line:col (1-based) and
 *                                                                   its message contains the text
 *   // known bug: …                                                 the expectations fail today
 */

const fixtures = join(import.meta.dirname, "__fixtures__");
const update = process.env.UPDATE_GOLDEN === "1";

function fixtureFiles(group: "valid" | "broken"): string[] {
  const dir = join(fixtures, group);
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".journey")).sort() : [];
}

function checkGolden(path: string): void {
  const text = readFileSync(path, "utf8");
  const actual = dumpParse(parse(text));
  const goldenPath = path.replace(/\.journey$/, ".golden");
  if (update) {
    writeFileSync(goldenPath, actual);
    return;
  }
  expect(existsSync(goldenPath), `${goldenPath} is missing: run UPDATE_GOLDEN=1 npx vitest run language/src/syntax/golden.test.ts`).toBe(
    true,
  );
  expect(actual, "the parse differs from its golden (UPDATE_GOLDEN=1 rewrites it; review the diff)").toBe(
    readFileSync(goldenPath, "utf8"),
  );
}

interface Expectation {
  code: string;
  line: number;
  column: number;
  message: string;
}

function expectationsOf(text: string): { expectations: Expectation[]; knownBug: string | undefined } {
  const expectations: Expectation[] = [];
  let knownBug: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const expectation = /^\/\/ expect (J\d{4}) at (\d+):(\d+)(?:: (.*))?$/.exec(line);
    if (expectation) {
      const [, code, row, column, message] = expectation;
      expectations.push({ code: code as string, line: Number(row), column: Number(column), message: message ?? "" });
    }
    const bug = /^\/\/ known bug: (.*)$/.exec(line);
    if (bug) knownBug = bug[1];
  }
  return { expectations, knownBug };
}

/** All `kind` tags the syntax tree can hold, read from ast.ts so that a new node kind needs a fixture. */
function astKinds(): string[] {
  const source = readFileSync(join(import.meta.dirname, "ast.ts"), "utf8");
  return [...new Set([...source.matchAll(/kind: "([A-Z][A-Za-z]*)"/g)].map((match) => match[1] as string))].sort();
}

function kindsIn(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const item of node) kindsIn(item, into);
  else if (node && typeof node === "object") {
    const kind = (node as { kind?: unknown }).kind;
    if (typeof kind === "string") into.add(kind);
    for (const value of Object.values(node)) kindsIn(value, into);
  }
  return into;
}

describe("golden parses of valid files", () => {
  const files = fixtureFiles("valid");

  it("has at least a dozen valid fixtures", () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of files) {
    const path = join(fixtures, "valid", name);
    it(`${name} matches its golden`, () => checkGolden(path));

    it(`${name} has no diagnostics and no missing parts`, () => {
      const result = parse(readFileSync(path, "utf8"), path);
      expect(result.diagnostics).toEqual([]);
      const dump = dumpParse(result);
      expect(dump).not.toContain("<missing>");
      expect(dump).not.toContain("<bad span");
      expect(dump).not.toContain("MissingStep");
    });
  }

  it("cover every kind of syntax node (except MissingStep, which only broken input makes)", () => {
    const seen = new Set<string>();
    for (const name of files) kindsIn(parse(readFileSync(join(fixtures, "valid", name), "utf8")).ast, seen);
    const uncovered = astKinds().filter((kind) => kind !== "MissingStep" && !seen.has(kind));
    expect(uncovered, "node kinds that no valid fixture produces").toEqual([]);
  });
});

describe("golden parses of broken files", () => {
  const files = fixtureFiles("broken");

  it("has at least fifteen broken fixtures", () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  for (const name of files) {
    const path = join(fixtures, "broken", name);
    const text = readFileSync(path, "utf8");
    const { expectations, knownBug } = expectationsOf(text);

    it(`${name} matches its golden`, () => checkGolden(path));

    it(`${name} states what it expects`, () => {
      expect(expectations.length, "a broken fixture needs at least one `// expect` line").toBeGreaterThan(0);
    });

    const check = () => {
      const { diagnostics } = parse(text, path);
      const shown = diagnostics.map((d) => `${d.code} ${formatRange(d.range)} ${d.message}`);
      for (const want of expectations) {
        const found = diagnostics.some(
          (d) =>
            d.code === want.code &&
            d.range.start.line + 1 === want.line &&
            d.range.start.column + 1 === want.column &&
            d.message.includes(want.message),
        );
        expect(found, `expected ${want.code} at ${want.line}:${want.column} "${want.message}", got:\n${shown.join("\n")}`).toBe(true);
      }
    };
    if (knownBug) it.fails(`${name} reports what it expects (known bug: ${knownBug})`, check);
    else it(`${name} reports what it expects`, check);
  }
});

describe("goldens", () => {
  it("each belongs to a fixture", () => {
    for (const group of ["valid", "broken"] as const) {
      const dir = join(fixtures, group);
      if (!existsSync(dir)) continue;
      const orphans = readdirSync(dir)
        .filter((name) => name.endsWith(".golden"))
        .filter((name) => !existsSync(join(dir, name.replace(/\.golden$/, ".journey"))));
      expect(orphans, `goldens without a fixture in ${group}/`).toEqual([]);
    }
  });
});
