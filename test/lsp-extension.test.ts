import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HoverRequest, type MarkupContent } from "vscode-languageserver-protocol/node";
import { LspClient, makeProject, repoRoot } from "./lsp-harness.js";

const extension = join(repoRoot, "vscode-extension");
const manifest = JSON.parse(readFileSync(join(extension, "package.json"), "utf8"));

describe("VS Code extension", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(extension, "build.mjs")], { cwd: extension, stdio: "inherit" });
  });

  it("type-checks", () => {
    execFileSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", join(extension, "tsconfig.json")], { stdio: "inherit" });
  });

  it("bundles a server that works on its own (no node_modules needed)", async () => {
    const server = join(extension, "dist/server.js");
    expect(readFileSync(server, "utf8")).not.toMatch(/require\("(vscode-languageserver|chevrotain|liquidjs)/);
    const client = await LspClient.start(makeProject({ "a.journey": "segment a = engaged and nobody\n" }), { server });
    try {
      const diagnostics = await client.waitForDiagnostics("a.journey", (d) => d.length > 0);
      expect(diagnostics.map((d) => d.code)).toEqual(["J2003"]);
      const uri = await client.open("b.journey", "segment b = engaged\n");
      const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 14 } });
      expect((hover?.contents as MarkupContent).value).toContain("segment engaged =");
    } finally {
      await client.stop();
    }
  });

  it("bundles the client with only `vscode` left to the host", () => {
    const client = readFileSync(join(extension, "dist/extension.js"), "utf8");
    const required = [...client.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? "");
    const builtins = new Set(["vscode", "child_process", "crypto", "fs", "net", "os", "path", "url", "util", "events", "stream", "assert", "buffer", "tty", "string_decoder", "readline", "http", "https", "zlib", "worker_threads"]);
    expect(required.filter((name) => !builtins.has(name.replace(/^node:/, "")))).toEqual([]);
  });

  it("contributes the language, grammars, snippets, settings and commands it names", () => {
    const contributes = manifest.contributes;
    for (const path of [
      ...contributes.grammars.map((g: { path: string }) => g.path),
      ...contributes.snippets.map((s: { path: string }) => s.path),
      ...contributes.languages.map((l: { configuration: string }) => l.configuration),
    ]) {
      expect(existsSync(join(extension, path)), path).toBe(true);
    }
    expect(Object.keys(contributes.configuration.properties)).toEqual(expect.arrayContaining(["journey.trace.server", "journey.server.path"]));
    expect(contributes.commands.map((c: { command: string }) => c.command)).toEqual(expect.arrayContaining(["journey.restartServer", "journey.showGraph"]));
    const source = readFileSync(join(extension, "src/extension.ts"), "utf8");
    for (const command of contributes.commands) expect(source).toContain(`"${command.command}"`);
    expect(manifest.main).toBe("./dist/extension.js");
  });

  it("packages into a self-contained .vsix with vsce (no node_modules inside)", () => {
    const out = join(mkdtempSync(join(tmpdir(), "journey-vsix-")), "journey.vsix");
    const vsce = join(repoRoot, "node_modules/@vscode/vsce/vsce");
    const flags = ["--no-dependencies", "--skip-license", "--allow-missing-repository"];
    execFileSync(process.execPath, [vsce, "package", ...flags, "--out", out], { cwd: extension, stdio: "pipe" });
    expect(statSync(out).size).toBeGreaterThan(10_000);
    const listed = execFileSync(process.execPath, [vsce, "ls", ...flags.slice(0, 1)], { cwd: extension, encoding: "utf8" }).split("\n").filter(Boolean);
    expect(listed).toEqual(expect.arrayContaining(["dist/extension.js", "dist/server.js", "dist/preview.js", "syntaxes/journey.tmLanguage.json", "snippets/journey.json", "package.json"]));
    expect(listed.filter((f) => f.includes("node_modules") || f.startsWith("src/"))).toEqual([]);
  }, 120_000);

  it("has a language configuration with comments, brackets, auto-closing and indentation", () => {
    const config = JSON.parse(readFileSync(join(extension, "language-configuration.json"), "utf8"));
    expect(config.comments.lineComment).toBe("//");
    expect(config.brackets).toContainEqual(["{", "}"]);
    expect(config.autoClosingPairs.map((p: { open: string }) => p.open)).toEqual(expect.arrayContaining(["{", "(", "[", '"']));
    expect(new RegExp(config.indentationRules.increaseIndentPattern).test("journey j {")).toBe(true);
    expect(new RegExp(config.indentationRules.decreaseIndentPattern).test("  }")).toBe(true);
  });

  it("has a snippet for every journey shape in the examples", () => {
    const snippets = JSON.parse(readFileSync(join(extension, "snippets/journey.json"), "utf8")) as Record<string, { prefix: string; body: string[] }>;
    const bodies = Object.values(snippets).map((s) => s.body.join("\n"));
    const prefixes = Object.values(snippets).map((s) => s.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    // The trigger forms and steps the example journeys use.
    for (const shape of [
      /when \$\{\d+:\w+\}\n/,
      / per /,
      /when customer \$\{\d+\|enters,leaves\|\}/,
      /when on customer\./,
      /when every /,
      /when api/,
      /wait for .* up to .* else \{/,
      /matching/,
      /wait until/,
      /wait for best send time/,
      /^match /m,
      /^split \{/m,
      /^experiment /m,
      /^holdout /m,
      /recommend/,
      /^track /m,
      /^set customer\./m,
      /^add to list/m,
      /^start journey/m,
      /on new version: migrate/,
      /as \$\{\d+:alias\}/,
      /^segment /m,
      /^score /m,
      /^template .* email/m,
      /^policy \{/m,
    ]) {
      expect(bodies.some((b) => shape.test(b)), String(shape)).toBe(true);
    }
  });
});
