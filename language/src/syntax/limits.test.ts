import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { MAX_NESTING, parse } from "./parse.js";

/** Inputs far outside what people write: the parser must answer, with a diagnostic where it gives up. */

const DEEP = 10_000;

/** The offset of the `n`th (1-based) occurrence of `char` in `text`. */
function nth(text: string, char: string, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = text.indexOf(char, at + 1);
  return at;
}

function codes(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => d.code);
}

function expectSaneRanges(text: string, diagnostics: Diagnostic[]): void {
  for (const d of diagnostics) {
    expect(d.code).toMatch(/^J\d{4}$/);
    expect(d.range.start.offset).toBeGreaterThanOrEqual(0);
    expect(d.range.start.offset).toBeLessThanOrEqual(d.range.end.offset);
    expect(d.range.end.offset).toBeLessThanOrEqual(text.length);
  }
}

/** A small deterministic random source (mulberry32), so that the "random" file is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`nesting ${DEEP} levels deep`, () => {
  it("of braces (`if` inside `if`) gives J1005 at the first brace too deep, not a stack overflow", () => {
    const text = `journey deep {\n  when signup\n  ${"if x {".repeat(DEEP)} exit ${"}".repeat(DEEP)}\n}\n`;
    const { ast, diagnostics } = parse(text);
    expect(ast.kind).toBe("SourceFile");
    expect(ast.declarations[0]?.kind).toBe("JourneyDecl");
    const deep = diagnostics.filter((d) => d.code === "J1005");
    expect(deep).toHaveLength(1);
    // The journey's `{` is the first level, so the first brace too deep is the (MAX_NESTING + 1)th.
    expect(deep[0]?.range.start.offset).toBe(nth(text, "{", MAX_NESTING + 1));
    expect(deep[0]?.message).toContain(`more than ${MAX_NESTING} levels deep`);
    expect(codes(diagnostics)).not.toContain("J9001");
    expectSaneRanges(text, diagnostics);
  });

  it("of parentheses in a segment condition gives J1005, not a stack overflow", () => {
    const text = `segment deep = ${"(".repeat(DEEP)}visits > 1${")".repeat(DEEP)}\n`;
    const { ast, diagnostics } = parse(text);
    expect(ast.declarations[0]?.kind).toBe("SegmentDecl");
    const deep = diagnostics.filter((d) => d.code === "J1005");
    expect(deep).toHaveLength(1);
    expect(deep[0]?.range.start.offset).toBe(nth(text, "(", MAX_NESTING + 1));
    expect(codes(diagnostics)).not.toContain("J9001");
    expectSaneRanges(text, diagnostics);
  });

  it("of brackets in a list gives J1005, not a stack overflow", () => {
    const text = `segment deep = country in ${"[".repeat(DEEP)}"IT"${"]".repeat(DEEP)}\n`;
    const { ast, diagnostics } = parse(text);
    expect(ast.declarations[0]?.kind).toBe("SegmentDecl");
    const deep = diagnostics.filter((d) => d.code === "J1005");
    expect(deep).toHaveLength(1);
    expect(deep[0]?.range.start.offset).toBe(nth(text, "[", MAX_NESTING + 1));
    expect(codes(diagnostics)).not.toContain("J9001");
    expectSaneRanges(text, diagnostics);
  });

  it("of unclosed braces gives J1005 and J1004, not a stack overflow", () => {
    const text = `journey deep {\n  when signup\n  ${"if x {".repeat(DEEP)}`;
    const { diagnostics } = parse(text);
    expect(codes(diagnostics)).toContain("J1005");
    expect(codes(diagnostics)).toContain("J1004");
    expect(codes(diagnostics)).not.toContain("J9001");
    expectSaneRanges(text, diagnostics);
  });

  it("is cut at exactly MAX_NESTING: one level less is parsed whole, without a diagnostic", () => {
    const levels = MAX_NESTING - 1; // plus the journey's own braces
    const text = `journey deep {\n  when signup\n  ${"if x {".repeat(levels)} exit ${"}".repeat(levels)}\n}\n`;
    expect(parse(text).diagnostics).toEqual([]);
  });

  // Chains that need no bracket must not overflow the stack either.
  const unbracketed: Array<[string, string]> = [
    ["`not not … x`", `segment deep = ${"not ".repeat(DEEP)}visits > 1\n`],
    ["`- - … 1`", `segment deep = visits > ${"- ".repeat(DEEP)}1\n`],
  ];
  for (const [shape, text] of unbracketed) {
    it(`of ${shape} gives a tree, not an internal error (J9001)`, () => {
      const { ast, diagnostics } = parse(text);
      expect(codes(diagnostics)).not.toContain("J9001");
      expect(ast.declarations).toHaveLength(1);
    });
  }

  // Known bug: `where` inside `where` and `list of` inside `list of` recurse once per word without
  // a limit, overflow the stack, and parse() falls back to J9001 with an empty tree (from ~300
  // nested `where`s and ~1,600 `list of`s).
  const unlimited: Array<[string, string]> = [
    ["`x where x where …`", `segment deep = count(page_view where ${"url where ".repeat(DEEP)}true) > 1\n`],
    ["`list of list of …`", `event deep { tags ${"list of ".repeat(DEEP)}text }\n`],
  ];
  for (const [shape, text] of unlimited) {
    it.fails(`of ${shape} gives a diagnostic and a tree, not an internal error (J9001)`, () => {
      const { ast, diagnostics } = parse(text);
      expect(codes(diagnostics)).not.toContain("J9001");
      expect(ast.declarations).toHaveLength(1);
    });
  }

  // Known bug: cutting the nesting at MAX_NESTING leaves the `if` at the last level without its
  // block, so J1005 comes with two follow-on J1003s ("expected `{` after `x`", "expected `}` …").
  it.fails("of braces gives J1005 alone, without follow-on errors", () => {
    const text = `journey deep {\n  when signup\n  ${"if x {".repeat(DEEP)} exit ${"}".repeat(DEEP)}\n}\n`;
    expect(codes(parse(text).diagnostics)).toEqual(["J1005"]);
  });
});

describe("size", () => {
  it("parses a 10 MB generated valid file, with every declaration and no diagnostic", () => {
    const unit = (i: number) => `/// Segment number ${i}.
segment s${i} = sum(purchase.total, last 90 days) > ${i} and country in ["IT", "FR"]

journey j${i} "Journey ${i}" {
  when customer enters s${i}
  entry once
  goal purchase within 7 days
  wait 2 days
  if no purchase in last 30 days {
    send email promo_${i} as promo
  } else {
    send sms "Hello {{ customer.first_name | default: 'you' }}"
  }
  wait for email_opened up to 2 days else { exit }
}

`;
    const parts: string[] = [];
    let size = 0;
    while (size < 10 * 1024 * 1024) {
      const part = unit(parts.length);
      parts.push(part);
      size += part.length;
    }
    const text = parts.join("");
    const { ast, diagnostics } = parse(text, "big.journey");
    expect(diagnostics).toEqual([]);
    expect(ast.declarations).toHaveLength(2 * parts.length);
    expect(ast.declarations.filter((d) => d.kind === "JourneyDecl")).toHaveLength(parts.length);
    const last = ast.declarations[ast.declarations.length - 1];
    expect(last?.kind === "JourneyDecl" && last.items.map((item) => item.kind)).toEqual(["WhenClause", "EntryClause", "GoalClause", "WaitStep", "IfStep", "WaitStep"]);
    expect(last?.span.end).toBe(text.length - 2);
  }, 180_000);

  it("returns on a file of 100,000 random bytes (read as Latin-1), with sane diagnostics", () => {
    const next = random(42);
    const bytes = Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(next() * 256)));
    const text = bytes.toString("latin1");
    const { ast, diagnostics } = parse(text);
    expect(ast.kind).toBe("SourceFile");
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(codes(diagnostics)).not.toContain("J9001");
    expectSaneRanges(text, diagnostics);
  });

  it("returns on a file of 100,000 random bytes (read as UTF-8, with replacement characters)", () => {
    const next = random(7);
    const bytes = Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(next() * 256)));
    const text = bytes.toString("utf8");
    const { ast, diagnostics } = parse(text);
    expect(ast.kind).toBe("SourceFile");
    expect(codes(diagnostics)).not.toContain("J9001");
    expectSaneRanges(text, diagnostics);
  });

  it("returns on 100,000 random tokens of the language", () => {
    const next = random(3);
    const words = ["journey", "j", "{", "}", "(", ")", "[", "]", "when", "wait", "2", "days", "send", "email", "if", "x", ">", "and", "\n", '"s"', "segment", "=", ",", "."];
    const text = Array.from({ length: 100_000 }, () => words[Math.floor(next() * words.length)]).join(" ");
    const { ast, diagnostics } = parse(text);
    expect(ast.kind).toBe("SourceFile");
    expect(codes(diagnostics)).not.toContain("J9001");
    expectSaneRanges(text, diagnostics);
  }, 60_000);
});

describe("a very long condition", () => {
  it("is cut at MAX_OPERATORS with one J1005, so no tool walks a 10,000-deep tree", async () => {
    const { MAX_OPERATORS } = await import("./build.js");
    const text = `segment s = ${Array.from({ length: 10_000 }, (_, i) => `a${i} == 1`).join(" and ")}\n`;
    const result = parse(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["J1005"]);
    let depth = 0;
    let node = (result.ast.declarations[0] as { condition?: { kind: string; left?: unknown } }).condition;
    while (node?.kind === "Binary") {
      depth++;
      node = node.left as typeof node;
    }
    expect(depth).toBeLessThanOrEqual(MAX_OPERATORS);
  });
});
