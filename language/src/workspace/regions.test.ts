import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProgram } from "../semantics/checker.js";
import type * as A from "../syntax/ast.js";
import { parse } from "../syntax/parse.js";
import { declarationRegions, RegionParser } from "./regions.js";
import { Workspace } from "./workspace.js";

const examples = join(import.meta.dirname, "../../../examples");
/** Every example file in one text: a large file with every kind of declaration, comments and long texts. */
const large = readdirSync(examples)
  .filter((f) => f.endsWith(".journey"))
  .sort()
  .map((f) => readFileSync(join(examples, f), "utf8"))
  .join("\n");

describe("declarationRegions", () => {
  it("cuts a file where top-level declarations start, with the comments above them", () => {
    const text = '// header\n\n/// doc\nsegment a = x\n\njourney j {\n  send email t\n  segment_like: wait 1 day\n}\ntemplate t email {\n  body """\nsegment not_a_start\n"""\n}\n';
    const regions = declarationRegions(text).map((r) => text.slice(r.start, r.end));
    // Blank lines and comments above a declaration go with it.
    expect(regions).toEqual(["// header\n\n/// doc\nsegment a = x\n", "\njourney j {\n  send email t\n  segment_like: wait 1 day\n}\n", 'template t email {\n  body """\nsegment not_a_start\n"""\n}\n']);
  });

  it("covers the text exactly", () => {
    const regions = declarationRegions(large);
    expect(regions[0]?.start).toBe(0);
    expect(regions[regions.length - 1]?.end).toBe(large.length);
    for (let i = 1; i < regions.length; i++) expect(regions[i]?.start).toBe(regions[i - 1]?.end);
    expect(regions.length).toBeGreaterThan(50);
  });
});

describe("RegionParser", () => {
  it("re-parses only the changed declaration, at its place in the file", () => {
    const regions = new RegionParser("big.journey");
    regions.seed(parse(large, "big.journey"));
    const at = large.indexOf("/// Opened at least one email");
    const edited = `${large.slice(0, at)}segment fresh = count(purchase, last 3 days) >= 1\n${large.slice(at)}`;
    const update = regions.update(edited);
    // The new declaration and, at most, its neighbour (which lost the blank line above it).
    const fresh = update?.fresh.map((r) => edited.slice(r.start, r.end)) ?? [];
    expect(fresh.length).toBeLessThanOrEqual(2);
    expect(fresh.join("")).toContain("segment fresh = count(purchase, last 3 days) >= 1\n");
    expect(fresh.join("").length).toBeLessThan(200);
    const declared = update?.parsed.ast.declarations.find((d) => d.kind === "SegmentDecl" && d.name?.text === "fresh");
    expect(declared?.span.start).toBe(at);
    // A declaration after the edit is where it now is.
    const moved = update?.parsed.ast.declarations.find((d): d is A.SegmentDecl => d.kind === "SegmentDecl" && d.name?.text === "engaged");
    expect(moved?.name?.span.start).toBe(edited.indexOf("segment engaged") + "segment ".length);
  });

  it("declines when a changed declaration has a syntax error (the whole file is parsed then)", () => {
    const regions = new RegionParser("big.journey");
    regions.seed(parse(large, "big.journey"));
    const at = large.indexOf("segment engaged");
    expect(regions.update(`${large.slice(0, at)}segment broken =\n\n${large.slice(at)}`)).toBeUndefined();
  });
});

describe("Workspace with a large file", () => {
  it("gives the same diagnostics from the quick check of an edit as a check from scratch", () => {
    const workspace = new Workspace({ regionThreshold: 1000 });
    let text = large;
    workspace.set("big.journey", text);
    workspace.project();
    const edits: [string, string][] = [
      ["segment engaged =", "segment engaged_readers ="],
      ["wait 2 days", "wait 3 days"],
      ["\n/// Bought from us before", "\nsegment probe = loyalty_tier == \"platinum\"\n\n/// Bought from us before"],
      ["send email promo_email", "send email promo_emial"],
      // A syntax error: the whole file is parsed, and the regions start again from that parse.
      ["segment lapsed_buyers =", "segment lapsed_buyers"],
      ["segment lapsed_buyers", "segment lapsed_buyers ="],
      ["wait 3 days", "wait 4 days"],
    ];
    for (const [from, to] of edits) {
      text = text.replace(from, to);
      workspace.set("big.journey", text);
      const quick = workspace.fileProject("big.journey");
      if (!quick.exactIn) {
        // Parsed whole: exact everywhere.
        expect(quick.program.diagnostics.some((d) => d.severity === "error" && d.code.startsWith("J1"))).toBe(true);
        continue;
      }
      const simplify = (ds: { code: string; message: string; range: { start: { offset: number; line: number; column: number } } }[]) =>
        ds.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.column}/${d.range.start.offset} ${d.message}`).sort();
      const scratch = checkProgram([{ file: "big.journey", text }]).diagnostics;
      // Dependents elsewhere in the file wait for the full check: compare the edited declarations' findings, and the rest as carried over.
      const full = workspace.project().program.diagnostics;
      expect(simplify(full)).toEqual(simplify(scratch));
      const freshStarts = quick.exactIn?.regions ?? [];
      const inFresh = (d: { range: { start: { offset: number } } }) => freshStarts.some((r) => d.range.start.offset >= r.start && d.range.start.offset <= r.end);
      expect(simplify(quick.program.diagnostics.filter(inFresh))).toEqual(simplify(scratch.filter(inFresh)));
    }
  });
});
