import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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

/** Tokenizes text with the journey grammar (vscode-textmate with oniguruma, as VS Code does). */
async function journeyGrammar() {
  const { loadWASM, OnigScanner, OnigString } = await import("vscode-oniguruma");
  const textmate = await import("vscode-textmate");
  await loadWASM(readFileSync(join(repoRoot, "node_modules/vscode-oniguruma/release/onig.wasm")).buffer);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (sources: string[]) => new OnigScanner(sources), createOnigString: (text: string) => new OnigString(text) }),
    loadGrammar: async (scope: string) =>
      scope === "source.journey" ? textmate.parseRawGrammar(readFileSync(join(repoRoot, "vscode-extension/syntaxes/journey.tmLanguage.json"), "utf8"), "journey.tmLanguage.json") : null,
  });
  const grammar = await registry.loadGrammar("source.journey");
  if (!grammar) throw new Error("no grammar");
  return grammar;
}

describe("TextMate grammar on every example file", () => {
  it("keeps strings and comments to their lines: each line starts back in plain journey (outside \"\"\" texts)", async () => {
    const grammar = await journeyGrammar();
    const examples = join(repoRoot, "examples");
    let lines = 0;
    for (const file of readdirSync(examples).filter((f) => f.endsWith(".journey"))) {
      let state = (await import("vscode-textmate")).INITIAL;
      let inLongText = false;
      for (const [number, line] of readFileSync(join(examples, file), "utf8").split("\n").entries()) {
        const result = grammar.tokenizeLine(line, state);
        const first = result.tokens[0];
        if (!inLongText && first && line.trim() !== "") {
          const scopes = first.scopes.join(" ");
          expect(scopes.includes("string") || scopes.includes("invalid"), `${file}:${number + 1}: ${scopes}`).toBe(false);
        }
        if (line.trimStart().startsWith("//")) {
          const comment = result.tokens.find((t) => line.slice(t.startIndex, t.endIndex).startsWith("//"));
          expect(comment?.scopes.some((s) => s.startsWith("comment.")), `${file}:${number + 1}`).toBe(true);
        }
        inLongText = (line.split('"""').length - 1) % 2 === 1 ? !inLongText : inLongText;
        state = result.ruleStack;
        lines++;
      }
    }
    expect(lines).toBeGreaterThan(300);
  });
});
