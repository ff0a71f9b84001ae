import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./lsp-harness.js";

const cases = join(repoRoot, "vscode-extension/test/grammar");

describe("TextMate grammar (vscode-tmgrammar-test)", () => {
  it("scopes journeys, schemas, templates, policies and ```journey blocks in Markdown as the test files say", () => {
    const files = readdirSync(cases).filter((f) => /\.test\.(journey|md)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const run = spawnSync(process.execPath, [join(repoRoot, "node_modules/vscode-tmgrammar-test/dist/unit.js"), "--config", "package.json", ...files], {
      cwd: cases,
      encoding: "utf8",
    });
    expect(run.stdout + run.stderr).not.toContain("failed");
    expect(run.status, run.stdout + run.stderr).toBe(0);
    for (const file of files) expect(run.stdout).toContain(`✓ ${file} run successfuly`);
  });
});
