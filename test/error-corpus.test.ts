import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { catalog, checkProgram, type Diagnostic } from "@journey/language";
import { describe, expect, it } from "vitest";

/**
 * The error corpus: test/fixtures/errors/*.journey are the mistakes marketers make, one per file.
 * Each fixture is checked together with the shared files of examples/ (schema, segments,
 * templates, policy, and the template files they read), unless its first line is
 * `// standalone`, and must give exactly the diagnostics its trailing `// expect:` lines list:
 *
 *     // expect: J2002 12:23-12:33
 *
 * (the code, then the 1-based start line:column - end line:column in the fixture). The shared
 * files must stay clean. `UPDATE_EXPECT=1 npx vitest run test/error-corpus.test.ts` rewrites the
 * `// expect:` block of every fixture from what the checker says; read the result before
 * committing it.
 */

const root = join(import.meta.dirname, "..");
const fixturesDir = "test/fixtures/errors";
const sharedFiles = ["schema", "segments", "templates", "policy"].map((name) => `examples/${name}.journey`);
const update = Boolean(process.env.UPDATE_EXPECT) && process.env.UPDATE_EXPECT !== "0";

const expectLine = /^\/\/ expect: (J\d{4}) (\d+):(\d+)-(\d+):(\d+)$/;

function readRelative(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), "utf8");
  } catch {
    return undefined;
  }
}

const shared = sharedFiles.map((file) => ({ file, text: readRelative(file) ?? "" }));

function check(file: string, text: string): Diagnostic[] {
  const standalone = /^\/\/ standalone\s*$/.test(text.split("\n")[0] ?? "");
  const sources = [...(standalone ? [] : shared), { file, text }];
  return checkProgram(sources, { readFile: readRelative }).diagnostics;
}

/** Splits a fixture into its text and its trailing `// expect:` lines (blank lines around them ignored). */
function splitExpectations(text: string): { body: string; expected: string[] } {
  const lines = text.split("\n");
  let end = lines.length;
  while (end > 0 && (lines[end - 1] ?? "").trim() === "") end--;
  let start = end;
  while (start > 0 && expectLine.test((lines[start - 1] ?? "").trim())) start--;
  const expected = lines.slice(start, end).map((line) => line.trim());
  return { body: lines.slice(0, start).join("\n").trimEnd(), expected };
}

function position(d: Diagnostic): string {
  return `${d.range.start.line + 1}:${d.range.start.column + 1}-${d.range.end.line + 1}:${d.range.end.column + 1}`;
}

function expectation(d: Diagnostic): string {
  return `// expect: ${d.code} ${position(d)}`;
}

function describeDiagnostic(d: Diagnostic): string {
  return `${d.file}:${position(d)} ${d.code} ${d.severity}: ${d.message}`;
}

const fixtures = readdirSync(join(root, fixturesDir))
  .filter((name) => name.endsWith(".journey"))
  .sort()
  .map((name) => `${fixturesDir}/${name}`);

/** Every code the fixtures expect, gathered as the fixtures are checked. */
const expectedCodes = new Set<string>();
for (const file of fixtures) {
  for (const line of splitExpectations(readRelative(file) ?? "").expected) {
    const code = expectLine.exec(line)?.[1];
    if (code) expectedCodes.add(code);
  }
}

describe("the error corpus", () => {
  it("checks the shared example files with no diagnostics", () => {
    const diagnostics = checkProgram(shared, { readFile: readRelative }).diagnostics;
    expect(diagnostics.map(describeDiagnostic)).toEqual([]);
  });

  it("has at least 60 fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
  });

  it("covers every code of the catalog except the internal J9xxx ones", () => {
    const codes = Object.keys(catalog).filter((code) => !code.startsWith("J9"));
    expect(codes.filter((code) => !expectedCodes.has(code))).toEqual([]);
  });

  for (const file of fixtures) {
    it(`${file} gives exactly its expected diagnostics`, () => {
      let text = readRelative(file) ?? "";
      if (update) {
        const { body } = splitExpectations(text);
        const found = check(file, `${body}\n`).filter((d) => d.file === file);
        text = `${body}\n\n${found.map(expectation).join("\n")}\n`;
        writeFileSync(join(root, file), text);
      }
      const { expected } = splitExpectations(text);
      const diagnostics = check(file, text);
      const elsewhere = diagnostics.filter((d) => d.file !== file);
      expect(elsewhere.map(describeDiagnostic), `${file}: the shared files must stay clean`).toEqual([]);
      const own = diagnostics.filter((d) => d.file === file);
      const actual = own.map(expectation);
      const report = [
        `${file}: the checker's diagnostics differ from the fixture's // expect: lines.`,
        "expected:",
        ...(expected.length ? expected.map((line) => `  ${line}`) : ["  (none)"]),
        "actual:",
        ...(own.length ? own.map((d) => `  ${expectation(d)}    ${d.severity}: ${d.message}`) : ["  (none)"]),
        "(run UPDATE_EXPECT=1 npx vitest run test/error-corpus.test.ts to rewrite them, then read the result)",
      ].join("\n");
      expect(actual, report).toEqual(expected);
      expect(expected.length, `${file}: a fixture shows a mistake, so it expects at least one diagnostic`).toBeGreaterThan(0);
    });
  }
});
