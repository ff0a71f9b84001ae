import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every ```console block in docs/cli.md is run from the repository root: lines starting with `$ `
 * are commands, the lines after them the exact output (stdout and stderr together).
 */
const root = join(import.meta.dirname, "..");
const bin = join(root, "compiler/bin/journey.js");
const doc = readFileSync(join(root, "docs/cli.md"), "utf8");

interface Example {
  command: string;
  expected: string;
  line: number;
}

function consoleExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```console") continue;
    let current: Example | undefined;
    for (i++; i < lines.length && lines[i]?.trim() !== "```"; i++) {
      const line = lines[i] ?? "";
      if (line.startsWith("$ ")) {
        current = { command: line.slice(2), expected: "", line: i + 1 };
        examples.push(current);
      } else if (current) {
        current.expected += `${line}\n`;
      }
    }
  }
  return examples;
}

describe("docs/cli.md", () => {
  const examples = consoleExamples(doc);

  it("has examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  for (const example of examples) {
    it(`line ${example.line}: ${example.command}`, () => {
      const [program, ...args] = example.command.split(/\s+/);
      expect(program).toBe("journey");
      const run = spawnSync(process.execPath, [bin, ...args], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined },
      });
      const output = `${run.stdout}${run.stderr}`.replace(/[ \t]+$/gm, "").trimEnd();
      expect(output).toBe(example.expected.replace(/[ \t]+$/gm, "").trimEnd());
    });
  }
});
