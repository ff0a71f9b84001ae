import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "../compiler/bin/journey.js");

function journey(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "journey-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const tidy = "segment big = sum(purchase.total, last 90 days) > 500\n";
const messy = "segment   big=sum(purchase.total,last 90 days)>500";
const broken = "journey j {\n  when purchase\n  goal purchase within 7 days\n  wait\n}\n";
/** The schema the check tests share, so the only findings are the planted mistakes. */
const schema = "event purchase {\n  total money\n}\n";

describe("journey fmt", () => {
  it("--check exits 0 when every file is formatted", () => {
    const dir = project({ "a.journey": tidy });
    const run = journey(["fmt", "--check", "."], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1 file is formatted");
  });

  it("--check exits 1, names the files that would change and changes nothing", () => {
    const dir = project({ "a.journey": tidy, "b.journey": messy });
    const run = journey(["fmt", "--check"], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("would reformat b.journey");
    expect(run.stdout).not.toContain("a.journey");
    expect(readFileSync(join(dir, "b.journey"), "utf8")).toBe(messy);
  });

  it("rewrites files in place", () => {
    const dir = project({ "b.journey": messy });
    const run = journey(["fmt", "b.journey"], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("formatted b.journey");
    expect(readFileSync(join(dir, "b.journey"), "utf8")).toBe(tidy);
  });

  it("leaves a file with syntax errors untouched and reports the errors", () => {
    const dir = project({ "bad.journey": broken, "b.journey": messy });
    const run = journey(["fmt"], dir);
    expect(run.code).toBe(1);
    expect(readFileSync(join(dir, "bad.journey"), "utf8")).toBe(broken);
    expect(readFileSync(join(dir, "b.journey"), "utf8")).toBe(tidy);
    expect(run.stderr).toContain("error[J1003]: expected a duration such as `2 days` after `wait`");
    expect(run.stderr).toContain("--> bad.journey:4:7");
    expect(run.stderr).toContain("left untouched");
  });

  it("exits 2 with a message for a path that does not exist", () => {
    const dir = project({});
    const run = journey(["fmt", "missing.journey"], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("journey: cannot read `missing.journey`: no such file or folder\n");
  });
});

describe("journey check", () => {
  it("reports syntax errors as JSON with 1-based positions and exits 1", () => {
    const dir = project({ "bad.journey": broken, "schema.journey": schema });
    const run = journey(["check", "--format", "json"], dir);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.summary).toEqual({ files: 2, errors: 1, warnings: 0 });
    expect(report.diagnostics[0]).toMatchObject({
      code: "J1003",
      severity: "error",
      file: "bad.journey",
      range: { start: { line: 4, column: 7 }, end: { line: 4, column: 7 } },
    });
  });

  it("exits 0 on a clean project and 2 on an unknown format", () => {
    const dir = project({ "a.journey": tidy, "schema.journey": schema });
    expect(journey(["check"], dir).code).toBe(0);
    const bad = journey(["check", "--format", "xml"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Allowed choices are pretty, json, sarif, github.");
  });

  it("prints help and exits 0", () => {
    const run = journey(["--help"], project({}));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("fmt");
    expect(run.stdout).toContain("check");
  });
});
