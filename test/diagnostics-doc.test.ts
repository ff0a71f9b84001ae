import { readFileSync } from "node:fs";
import { join } from "node:path";
import { catalog, checkProgram, type Diagnostic } from "@journey/language";
import { describe, expect, it } from "vitest";

/**
 * docs/diagnostics.md has one section per catalog code, headed `## J2002 — unknown field` under an
 * `<a id="j2002"></a>` anchor (the SARIF output links `docs/diagnostics.md#j2002`). Its examples are
 * checked by the checker, not just the parser: every ```journey check-wrong block, checked with the
 * shared files of examples/ (or alone when its info string says `standalone`), must give the
 * section's code with a message containing the text after `// error:` on its first line; every
 * ```journey check-fixed block must give no errors and no warnings (hints only in J4004's section).
 */

const root = join(import.meta.dirname, "..");
const docFile = "docs/diagnostics.md";
const markdown = readFileSync(join(root, docFile), "utf8");
const sharedFiles = ["schema", "segments", "templates", "policy"].map((name) => `examples/${name}.journey`);

function readRelative(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), "utf8");
  } catch {
    return undefined;
  }
}

const shared = sharedFiles.map((file) => ({ file, text: readRelative(file) ?? "" }));

interface Block {
  /** 1-based line of the opening fence in docs/diagnostics.md. */
  line: number;
  kind: "wrong" | "fixed";
  standalone: boolean;
  text: string;
}

interface Section {
  code: string;
  heading: string;
  /** 1-based line of the heading. */
  line: number;
  anchored: boolean;
  blocks: Block[];
}

/** The `## …` sections of the document, with their ```journey check-wrong / check-fixed blocks. */
function sections(text: string): Section[] {
  const lines = text.split(/\r?\n/);
  const found: Section[] = [];
  let current: Section | undefined;
  let open: { fence: string; line: number; info: string; body: string[] } | undefined;
  lines.forEach((line, index) => {
    if (open) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
      if (close?.[1] && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
        const [language, modifier, ...flags] = open.info.split(/\s+/);
        if (current && language === "journey" && (modifier === "check-wrong" || modifier === "check-fixed")) {
          current.blocks.push({
            line: open.line,
            kind: modifier === "check-wrong" ? "wrong" : "fixed",
            standalone: flags.includes("standalone"),
            text: open.body.join("\n"),
          });
        }
        open = undefined;
      } else {
        open.body.push(line);
      }
      return;
    }
    const fence = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence?.[1]) {
      open = { fence: fence[1], line: index + 1, info: (fence[2] ?? "").trim(), body: [] };
      return;
    }
    const heading = /^## (.*)$/.exec(line);
    if (heading) {
      const code = /^(J\d{4})\b/.exec(heading[1] ?? "")?.[1] ?? "";
      const previous = lines.slice(0, index).filter((l) => l.trim() !== "").pop() ?? "";
      current = { code, heading: line, line: index + 1, anchored: previous.trim() === `<a id="${code.toLowerCase()}"></a>`, blocks: [] };
      found.push(current);
    }
  });
  return found;
}

/** A block is checked as a file of the example project, named to sort after the shared files. */
function check(block: Block): { file: string; diagnostics: Diagnostic[] } {
  const file = `examples/zz-diagnostics-md-line-${block.line}.journey`;
  const sources = [...(block.standalone ? [] : shared), { file, text: block.text }];
  return { file, diagnostics: checkProgram(sources, { readFile: readRelative }).diagnostics };
}

/** A diagnostic placed in docs/diagnostics.md (the block's text starts the line after the fence). */
function render(block: Block, file: string, d: Diagnostic): string {
  const where = d.file === file ? `${docFile}:${block.line + 1 + d.range.start.line}:${d.range.start.column + 1}` : `${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1}`;
  return `${where} ${d.code} ${d.severity}: ${d.message}`;
}

const all = sections(markdown);
const byCode = new Map(all.map((section) => [section.code, section]));
const codes = Object.keys(catalog) as (keyof typeof catalog)[];

describe(docFile, () => {
  it("has a section for every code of the catalog, in catalog order", () => {
    expect(all.map((section) => section.code)).toEqual(codes);
  });

  for (const code of codes) {
    it(`${code} has its heading, anchor and examples`, () => {
      const section = byCode.get(code);
      expect(section, `${docFile}: no section \`## ${code} — ${catalog[code].title}\``).toBeDefined();
      if (!section) return;
      expect(section.heading).toBe(`## ${code} — ${catalog[code].title}`);
      expect(section.anchored, `${docFile}:${section.line}: put <a id="${code.toLowerCase()}"></a> on the line before the heading`).toBe(true);
      if (code.startsWith("J9")) {
        expect(section.blocks, `${docFile}:${section.line}: internal errors have no example`).toEqual([]);
        return;
      }
      expect(section.blocks.filter((b) => b.kind === "wrong").length, `${docFile}:${section.line}: a journey check-wrong example`).toBeGreaterThan(0);
      expect(section.blocks.filter((b) => b.kind === "fixed").length, `${docFile}:${section.line}: a journey check-fixed example`).toBeGreaterThan(0);
    });
  }

  for (const section of all) {
    for (const block of section.blocks) {
      if (block.kind === "wrong") {
        it(`${docFile}:${block.line} gives ${section.code} as its // error: comment says`, () => {
          const firstLine = block.text.split("\n")[0] ?? "";
          const expected = /^\s*\/\/\s*error:\s*(.+?)\s*$/.exec(firstLine)?.[1];
          expect(expected, `${docFile}:${block.line + 1}: a check-wrong example starts with \`// error: <part of the message>\``).toBeDefined();
          const { file, diagnostics } = check(block);
          const shown = diagnostics.map((d) => render(block, file, d)).join("\n") || "(none)";
          expect(diagnostics.filter((d) => d.file !== file).map((d) => render(block, file, d)), "the shared files must stay clean").toEqual([]);
          expect(
            diagnostics.some((d) => d.file === file && d.code === section.code && d.message.includes(expected ?? "")),
            `${docFile}:${block.line}: expected ${section.code} with a message containing "${expected}", got:\n${shown}`,
          ).toBe(true);
        });
      } else {
        it(`${docFile}:${block.line} (the fix for ${section.code}) checks clean`, () => {
          const { file, diagnostics } = check(block);
          const allowed = (d: Diagnostic) => section.code === "J4004" && d.severity === "hint";
          expect(diagnostics.filter((d) => !allowed(d)).map((d) => render(block, file, d))).toEqual([]);
        });
      }
    }
  }
});
