import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Rules of the runtime's imports, read from its sources: it never reads journey source text (so
 * never imports the parser), and it loads database and queue drivers only when a store or queue is
 * opened (a CLI that only checks and builds must not pay for pg, PGlite, BullMQ or ioredis).
 */
const root = import.meta.dirname;
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !path.includes("/testing/") ? [path] : [];
  });
const files = sources(root).map((path) => ({ file: relative(root, path), text: readFileSync(path, "utf8") }));
const staticImports = (text: string) =>
  [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)].map((m) => ({ typeOnly: Boolean(m[1]), from: m[2] }));

describe("runtime imports", () => {
  it("has sources to check", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it("never imports the language package (the parser)", () => {
    const offenders = files.filter(({ text }) => /from\s+"@journey\/language"|import\("@journey\/language"\)/.test(text));
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it("imports drivers for their types only; the code loads them with import() when opening", () => {
    const drivers = new Set(["pg", "@electric-sql/pglite", "bullmq", "ioredis"]);
    const offenders = files.flatMap(({ file, text }) =>
      staticImports(text)
        .filter((i) => i.from !== undefined && drivers.has(i.from) && !i.typeOnly)
        .map((i) => `${file}: ${i.from}`),
    );
    expect(offenders).toEqual([]);
  });
});
