import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type Diagnostic, parse } from "@journey/language";
import { describe, expect, it } from "vitest";

/**
 * Every ```journey block in docs/ must parse with no diagnostics, and every ```journey wrong
 * block must fail with the message its first line promises (`// error: <part of the message>`).
 * This keeps the language reference true to the parser.
 */

const root = join(import.meta.dirname, "..");
const docs = join(root, "docs");

interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  text: string;
}

function markdownFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...markdownFiles(path));
    else if (entry.name.endsWith(".md")) found.push(path);
  }
  return found.sort();
}

/** The fenced code blocks of a Markdown text (``` or ~~~, closed by a fence at least as long). */
function fencedBlocks(file: string, markdown: string): { blocks: Block[]; unclosed?: number } {
  const lines = markdown.split(/\r?\n/);
  const blocks: Block[] = [];
  let open: { fence: string; line: number; info: string; body: string[] } | undefined;
  lines.forEach((line, index) => {
    if (open) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
      if (close?.[1] && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
        blocks.push({ file, line: open.line, info: open.info, text: open.body.join("\n") });
        open = undefined;
      } else {
        open.body.push(line);
      }
      return;
    }
    const start = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (start?.[1]) open = { fence: start[1], line: index + 1, info: (start[2] ?? "").trim(), body: [] };
  });
  return open ? { blocks, unclosed: open.line } : { blocks };
}

/** Exactly `journey` and `journey wrong`; other modifiers (docs/diagnostics.md's `check-wrong`, `check-fixed`) are tested elsewhere. */
function kindOf(info: string): "valid" | "wrong" | undefined {
  const [language, modifier, ...rest] = info.split(/\s+/);
  if (language !== "journey" || rest.length > 0) return undefined;
  if (modifier === undefined) return "valid";
  return modifier === "wrong" ? "wrong" : undefined;
}

/** A diagnostic placed at its line in the Markdown file (the block's text starts the line after the fence). */
function render(block: Block, d: Diagnostic): string {
  return `${block.file}:${block.line + 1 + d.range.start.line}:${d.range.start.column + 1} ${d.code} ${d.message}`;
}

const files = markdownFiles(docs).map((path) => {
  const file = relative(root, path);
  return { file, ...fencedBlocks(file, readFileSync(path, "utf8")) };
});
const all = files.flatMap(({ blocks }) => blocks);

describe("docs/", () => {
  it("has journey examples to check", () => {
    expect(all.filter((b) => kindOf(b.info) === "valid").length).toBeGreaterThan(0);
    expect(all.filter((b) => kindOf(b.info) === "wrong").length).toBeGreaterThan(0);
  });

  for (const { file, unclosed } of files) {
    it(`${file} closes every code fence`, () => {
      expect(unclosed, `${file}:${unclosed}: this code fence is never closed`).toBeUndefined();
    });
  }

  for (const block of all) {
    const kind = kindOf(block.info);
    if (kind === "valid") {
      it(`${block.file}:${block.line} parses with no diagnostics`, () => {
        const { diagnostics } = parse(block.text, block.file);
        expect(diagnostics.map((d) => render(block, d)), `${block.file}:${block.line}: journey block`).toEqual([]);
      });
    } else if (kind === "wrong") {
      it(`${block.file}:${block.line} fails as its // error: comment says`, () => {
        const firstLine = block.text.split("\n")[0] ?? "";
        const expected = /^\s*\/\/\s*error:\s*(.+?)\s*$/.exec(firstLine)?.[1];
        expect(expected, `${block.file}:${block.line + 1}: a wrong example starts with \`// error: <part of the message>\``).toBeDefined();
        const { diagnostics } = parse(block.text, block.file);
        const messages = diagnostics.map((d) => render(block, d));
        expect(
          diagnostics.some((d) => d.message.includes(expected ?? "")),
          `${block.file}:${block.line}: expected a diagnostic containing "${expected}", got:\n${messages.join("\n") || "(none)"}`,
        ).toBe(true);
      });
    }
  }
});
