import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { catalog, type Diagnostic, type Range, type Severity } from "@journey/language";
import AjvDraft04 from "ajv-draft-04";
import addFormatsModule from "ajv-formats";
import { afterAll, describe, expect, it } from "vitest";
import { checkExitCode, parseMaxWarnings, tooManyWarnings } from "../compiler/src/cli/exitCode.js";
import { escapeData, escapeProperty, githubCommand, renderGithub } from "../compiler/src/cli/report/github.js";
import { renderSarif } from "../compiler/src/cli/report/sarif.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "compiler/bin/journey.js");
// CI clones the repository with shared/ beside it.
const sarifSchemaPath = join(root, "..", "shared", "schemas", "sarif-schema-2.1.0.json");

function journey(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "journey-formats-"));
  made.push(dir);
  for (const [name, text] of Object.entries({ "schema.journey": schema, ...files })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

// ajv-draft-04 and ajv-formats are CommonJS: `module.exports` is the class (the plugin), and so is its
// `default` property, which is the one TypeScript's NodeNext view of the default import lets us name.
const Ajv = AjvDraft04.default;
const addFormats = addFormatsModule.default;

function sarifValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(sarifSchemaPath, "utf8")));
}

/** Fails with ajv's messages (path and reason) when the document is not valid SARIF 2.1.0. */
function expectValidSarif(document: unknown): void {
  const validate = sarifValidator();
  const valid = validate(document);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(valid).toBe(true);
}

interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}
interface SarifLocation {
  id?: number;
  physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: SarifRegion };
  message?: { text: string };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: SarifLocation[];
  relatedLocations?: SarifLocation[];
  fixes?: { description: { text: string }; artifactChanges: unknown[] }[];
}
interface SarifRule {
  id: string;
  shortDescription: { text: string };
  helpUri: string;
  defaultConfiguration: { level: string };
}
interface SarifRun {
  tool: { driver: { name: string; version: string; informationUri: string; rules: SarifRule[] } };
  results: SarifResult[];
}

/** The one run of a SARIF log, after checking that the log is valid and has exactly one. */
function onlyRun(text: string): SarifRun {
  const log = JSON.parse(text) as { version: string; runs: SarifRun[] };
  expectValidSarif(log);
  expect(log.version).toBe("2.1.0");
  expect(log.runs).toHaveLength(1);
  const [run] = log.runs;
  if (!run) throw new Error("no run");
  return run;
}

const at = <T>(items: T[] | undefined, index: number): T => {
  const item = items?.[index];
  if (item === undefined) throw new Error(`nothing at ${index}`);
  return item;
};

const range = (line: number, column: number, endLine = line, endColumn = column + 1): Range => ({
  start: { line, column, offset: 0 },
  end: { line: endLine, column: endColumn, offset: 0 },
});

/** Codes from the catalog as it is now: others are adding codes, so none is named here. */
const codes = Object.keys(catalog);
const codeAt = (index: number) => codes[index % codes.length] ?? "J9999";

function diagnostic(overrides: Partial<Diagnostic>): Diagnostic {
  return { code: codeAt(0), severity: "error", message: "something is wrong", file: "a.journey", range: range(0, 0), related: [], fixes: [], ...overrides };
}

// Every project here has this schema, so the only findings are the mistakes each test plants.
const schema = "event purchase {\n  total money\n}\n\nevent signed_up {}\n";
const broken = "journey j {\n  when signed_up\n  goal purchase within 7 days\n  wait\n}\n";
const unclosed = "journey k {\n  when signed_up\n  goal purchase within 7 days\n";
const badCharacter = "segment s = 1 @ 2\n";
const tidy = "segment big = sum(purchase.total, last 90 days) > 500\n";

describe("journey check --format sarif", () => {
  it("prints SARIF 2.1.0 that validates against the OASIS schema, one result per diagnostic", () => {
    const dir = project({ "a.journey": broken, "b.journey": unclosed, "nested/c d.journey": badCharacter, "ok.journey": tidy });
    const json = journey(["check", "--format", "json"], dir);
    const run = journey(["check", "--format", "sarif"], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    const sarifRun = onlyRun(run.stdout);

    const expected = JSON.parse(json.stdout).diagnostics as { code: string; file: string; message: string; range: { start: { line: number; column: number } } }[];
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(sarifRun.tool.driver).toMatchObject({ name: "journey", informationUri: "https://github.com/journey-lang/journey" });
    expect(sarifRun.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(sarifRun.results).toHaveLength(expected.length);

    const rules = sarifRun.tool.driver.rules;
    expect(new Set(rules.map((rule) => rule.id))).toEqual(new Set(expected.map((d) => d.code)));
    for (const rule of rules) {
      const entry = (catalog as Record<string, { title: string; severity: Severity }>)[rule.id];
      expect(rule.shortDescription.text).toBe(entry?.title);
      expect(rule.helpUri).toBe(`https://github.com/journey-lang/journey/blob/main/docs/diagnostics.md#${rule.id.toLowerCase()}`);
      expect(rule.defaultConfiguration.level).toBe(entry?.severity === "error" ? "error" : entry?.severity === "warning" ? "warning" : "note");
    }

    sarifRun.results.forEach((result, index) => {
      const d = at(expected, index);
      expect(result.ruleId).toBe(d.code);
      expect(rules[result.ruleIndex]?.id).toBe(d.code);
      expect(result.level).toBe("error");
      expect(result.message.text).toBe(d.message);
      const location = at(result.locations, 0).physicalLocation;
      expect(location.artifactLocation.uriBaseId).toBe("%SRCROOT%");
      expect(decodeURIComponent(location.artifactLocation.uri)).toBe(d.file);
      expect(location.region).toMatchObject({ startLine: d.range.start.line, startColumn: d.range.start.column });
    });
    // A path with a space is a URI reference, so the space is escaped.
    expect(sarifRun.results.map((r) => at(r.locations, 0).physicalLocation.artifactLocation.uri)).toContain("nested/c%20d.journey");
  });

  it("is valid SARIF with no results on a clean project, and exits 0", () => {
    const dir = project({ "ok.journey": tidy });
    const run = journey(["check", "--format", "sarif"], dir);
    expect(run.code).toBe(0);
    const sarifRun = onlyRun(run.stdout);
    expect(sarifRun.results).toEqual([]);
    expect(sarifRun.tool.driver.rules).toEqual([]);
  });

  it("is checked by a validator that rejects what is not SARIF 2.1.0", () => {
    const validate = sarifValidator();
    const log = JSON.parse(renderSarif([diagnostic({})], { version: "1.0.0" }));
    expect(validate(log)).toBe(true);
    log.runs[0].results[0].level = "fatal";
    log.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(validate(log)).toBe(false);
    expect(validate({ version: "2.1.0" })).toBe(false);
  });

  it("renders every severity, related places, fixes and absolute paths as valid SARIF", () => {
    const diagnostics: Diagnostic[] = [
      diagnostic({ code: codeAt(1), severity: "error", file: "src/a.journey", range: range(2, 4, 5, 1) }),
      diagnostic({
        code: codeAt(2),
        severity: "warning",
        file: "src/b.journey",
        range: range(0, 8, 0, 12),
        related: [{ file: "src/a.journey", range: range(3, 0, 3, 5), message: "first defined here" }],
        fixes: [
          {
            title: "rename it",
            applicability: "safe",
            edits: [
              { file: "src/b.journey", range: range(0, 8, 0, 12), newText: "other" },
              { file: "src/a.journey", range: range(3, 0, 3, 0), newText: "// moved\n" },
            ],
          },
          { title: "nothing to do", applicability: "suggestion", edits: [] },
        ],
      }),
      diagnostic({ code: codeAt(1), severity: "info", file: "/tmp/outside/c.journey" }),
      diagnostic({ code: "J9999", severity: "hint", file: "windows\\style.journey" }),
    ];
    const run = onlyRun(renderSarif(diagnostics, { version: "1.2.3" }));
    const result = (index: number) => at(run.results, index);
    expect(run.tool.driver.version).toBe("1.2.3");
    expect(run.results.map((r) => r.level)).toEqual(["error", "warning", "note", "note"]);
    expect(at(result(0).locations, 0).physicalLocation.region).toEqual({ startLine: 3, startColumn: 5, endLine: 6, endColumn: 2 });
    expect(result(1).relatedLocations).toEqual([
      {
        id: 0,
        physicalLocation: { artifactLocation: { uri: "src/a.journey", uriBaseId: "%SRCROOT%" }, region: { startLine: 4, startColumn: 1, endLine: 4, endColumn: 6 } },
        message: { text: "first defined here" },
      },
    ]);
    // A fix without edits changes nothing, so SARIF (which needs at least one change) leaves it out.
    expect(result(1).fixes).toHaveLength(1);
    expect(at(result(1).fixes, 0).description.text).toBe("rename it");
    expect(at(result(1).fixes, 0).artifactChanges).toEqual([
      {
        artifactLocation: { uri: "src/b.journey", uriBaseId: "%SRCROOT%" },
        replacements: [{ deletedRegion: { startLine: 1, startColumn: 9, endLine: 1, endColumn: 13 }, insertedContent: { text: "other" } }],
      },
      {
        artifactLocation: { uri: "src/a.journey", uriBaseId: "%SRCROOT%" },
        replacements: [{ deletedRegion: { startLine: 4, startColumn: 1, endLine: 4, endColumn: 1 }, insertedContent: { text: "// moved\n" } }],
      },
    ]);
    expect(at(result(2).locations, 0).physicalLocation.artifactLocation).toEqual({ uri: "file:///tmp/outside/c.journey" });
    expect(at(result(3).locations, 0).physicalLocation.artifactLocation.uri).toBe("windows/style.journey");
    // A code the catalog does not know still gets a rule, so that every ruleIndex points somewhere.
    const ids = run.tool.driver.rules.map((rule) => rule.id);
    expect(ids).toContain("J9999");
    for (const r of run.results) expect(ids[r.ruleIndex]).toBe(r.ruleId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("journey check --format github", () => {
  it("escapes %, CR and LF in messages, and : and , too in properties", () => {
    expect(escapeData("100% done\r\nnext: a, b")).toBe("100%25 done%0D%0Anext: a, b");
    expect(escapeProperty("C:\\dir,x/100%\n")).toBe("C%3A\\dir%2Cx/100%25%0A");
    const command = githubCommand(
      diagnostic({ code: "J1003", file: "odd: name, 100%.journey", message: "line one\nline two: 50% off, today\r", range: range(1, 6, 1, 6) }),
    );
    expect(command).toBe("::error file=odd%3A name%2C 100%25.journey,line=2,col=7,endLine=2,endColumn=7,title=J1003::line one%0Aline two: 50%25 off, today%0D");
  });

  it("maps severities to error, warning and notice, and leaves out columns for a range over several lines", () => {
    const levels = (["error", "warning", "info", "hint"] as const).map((severity) => githubCommand(diagnostic({ severity })).split(" ")[0]);
    expect(levels).toEqual(["::error", "::warning", "::notice", "::notice"]);
    expect(githubCommand(diagnostic({ code: "J1004", range: range(0, 10, 3, 2), file: "dir\\a.journey" }))).toBe(
      "::error file=dir/a.journey,line=1,endLine=4,title=J1004::something is wrong",
    );
    expect(renderGithub([])).toBe("");
  });

  it("prints one command per diagnostic, then the whole report without colour", () => {
    const dir = project({ "a.journey": broken, "b.journey": unclosed });
    const run = spawnSync(process.execPath, [bin, "check", "--format", "github"], { cwd: dir, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "1" } });
    expect(run.status).toBe(1);
    const pretty = journey(["check"], dir);
    const lines = run.stdout.split("\n");
    const commands = lines.filter((line) => line.startsWith("::"));
    const expected = JSON.parse(journey(["check", "--format", "json"], dir).stdout).diagnostics as {
      code: string;
      file: string;
      message: string;
      range: { start: { line: number; column: number }; end: { line: number; column: number } };
    }[];
    expect(commands).toHaveLength(expected.length);
    commands.forEach((command, index) => {
      const { code, file, message, range } = at(expected, index);
      const columns = range.start.line === range.end.line ? `,col=${range.start.column}` : "";
      expect(command.startsWith(`::error file=${file},line=${range.start.line}${columns},endLine=${range.end.line}`), command).toBe(true);
      expect(command.endsWith(`,title=${code}::${escapeData(message)}`), command).toBe(true);
    });
    expect(commands.some((command) => command.startsWith("::error file=a.journey,line=4,col=")), run.stdout).toBe(true);
    expect(lines.slice(0, commands.length)).toEqual(commands);
    expect(run.stdout).not.toContain("\u001b[");
    expect(run.stdout.slice(commands.map((c) => `${c}\n`).join("").length)).toBe(pretty.stdout);
  });
});

describe("journey check --max-warnings", () => {
  it("fails on errors always, and on warnings only above the limit", () => {
    expect(checkExitCode({ errors: 0, warnings: 0 })).toBe(0);
    expect(checkExitCode({ errors: 0, warnings: 1000 })).toBe(0);
    expect(checkExitCode({ errors: 1, warnings: 0 })).toBe(1);
    expect(checkExitCode({ errors: 1, warnings: 0 }, 5)).toBe(1);
    expect(checkExitCode({ errors: 0, warnings: 0 }, 0)).toBe(0);
    expect(checkExitCode({ errors: 0, warnings: 1 }, 0)).toBe(1);
    expect(checkExitCode({ errors: 0, warnings: 3 }, 3)).toBe(0);
    expect(checkExitCode({ errors: 0, warnings: 4 }, 3)).toBe(1);
    expect(tooManyWarnings({ errors: 2, warnings: 4 }, 3)).toBe(true);
    expect(tooManyWarnings({ errors: 0, warnings: 4 })).toBe(false);
  });

  it("accepts whole numbers from 0 only", () => {
    expect(parseMaxWarnings("0")).toBe(0);
    expect(parseMaxWarnings("25")).toBe(25);
    for (const bad of ["-1", "1.5", "abc", "", "1e3", "99999999999999999999"]) expect(() => parseMaxWarnings(bad), bad).toThrow("whole number");
  });

  it("is a usage error (exit 2, one line on stderr) for a value that is not a whole number", () => {
    const dir = project({ "ok.journey": tidy });
    for (const bad of ["-1", "1.5", "many"]) {
      const run = journey(["check", "--max-warnings", bad], dir);
      expect(run.code, bad).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`error: option '--max-warnings <count>' argument '${bad}' is invalid. expected a whole number, 0 or more.\n`);
    }
  });

  it("passes a clean project at --max-warnings 0, and still fails on errors", () => {
    expect(journey(["check", "--max-warnings", "0"], project({ "ok.journey": tidy })).code).toBe(0);
    expect(journey(["check", "--max-warnings", "10"], project({ "a.journey": broken })).code).toBe(1);
  });
});
