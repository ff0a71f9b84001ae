import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { dumpParse } from "./dump.js";
import { builtInSeed, fuzzSeeds, type Mutant, mutants } from "./mutations.js";
import { parse } from "./parse.js";
import { journeyLexer } from "./tokens.js";

/**
 * Property tests: broken versions of real files (see mutations.ts) never make the parser throw,
 * hang or report a range outside the text.
 *
 *   FUZZ_RUNS=100000 FUZZ_SEED=7 npx vitest run language/src/syntax/fuzz.test.ts
 *
 * A failure prints fast-check's seed and path and the shrunk case (seed index, mutations, text);
 * FUZZ_SEED and FUZZ_PATH replay it.
 */

const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const seed = Number(process.env.FUZZ_SEED ?? 20_261_123);
const path = process.env.FUZZ_PATH;
const settings = { numRuns: runs, seed, ...(path ? { path } : {}) };

const seeds = fuzzSeeds();

/** Everything wrong with one diagnostic, as readable strings (empty when it is fine). */
function diagnosticProblems(d: Diagnostic, textLength: number): string[] {
  const problems: string[] = [];
  if (!/^J\d{4}$/.test(d.code)) problems.push(`code ${JSON.stringify(d.code)} is not J + 4 digits`);
  const { start, end } = d.range;
  if (!(start.offset >= 0 && start.offset <= end.offset && end.offset <= textLength)) {
    problems.push(`range ${start.offset}..${end.offset} is not within 0..${textLength}`);
  }
  if (typeof d.message !== "string" || d.message.trim() === "") problems.push("empty message");
  return problems;
}

/**
 * Nodes whose span is not within the text, ends before it starts, or leaves its parent's span
 * (a doc comment, which sits before what it documents, is the one exception).
 */
function spanProblems(node: unknown, parent: { start: number; end: number }, where = "ast", out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item, i) => spanProblems(item, parent, `${where}[${i}]`, out));
  else if (node && typeof node === "object") {
    const span = (node as { span?: { start: number; end: number } }).span;
    let inner = parent;
    if (span) {
      const kind = String((node as { kind?: unknown }).kind);
      if (!(span.start >= parent.start && span.start <= span.end && span.end <= parent.end)) {
        out.push(`${where} (${kind}) has span ${span.start}..${span.end}, outside ${parent.start}..${parent.end}`);
      } else inner = span;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key !== "span" && key !== "doc" && key !== "comments") spanProblems(value, inner, `${where}.${key}`, out);
    }
  }
  return out;
}

describe("the fuzz corpus", () => {
  it("has the built-in seed, which parses without a diagnostic", () => {
    expect(seeds).toContain(builtInSeed);
    expect(parse(builtInSeed).diagnostics).toEqual([]);
  });

  it("makes texts that differ from their seed", () => {
    const sample = fc.sample(mutants(seeds), { numRuns: 200, seed });
    const changed = sample.filter((mutant) => mutant.text !== seeds[mutant.seed]);
    expect(changed.length).toBeGreaterThan(150);
  });
});

describe(`parse on ${runs} mutated texts (seed ${seed})`, () => {
  it(
    "never throws, always returns a SourceFile, and keeps every diagnostic inside the text",
    () => {
      fc.assert(
        fc.property(mutants(seeds), ({ text }: Mutant) => {
          const result = parse(text, "fuzz.journey");
          expect(result.ast.kind).toBe("SourceFile");
          expect(Array.isArray(result.ast.declarations)).toBe(true);
          expect(Array.isArray(result.diagnostics)).toBe(true);
          const problems = result.diagnostics.flatMap((d) => diagnosticProblems(d, text.length).map((p) => `${d.code}: ${p}`));
          expect(problems).toEqual([]);
          // J9001 is parse()'s last-resort catch: the text was survived, but the parser itself failed.
          expect(result.diagnostics.filter((d) => d.code === "J9001").map((d) => d.message)).toEqual([]);
        }),
        settings,
      );
    },
    120_000,
  );

  it(
    "gives the same result when the same text is parsed again (the shared parser keeps no state)",
    () => {
      fc.assert(
        fc.property(fc.array(mutants(seeds), { minLength: 2, maxLength: 2 }), ([first, second]) => {
          const before = dumpParse(parse((first as Mutant).text));
          parse((second as Mutant).text);
          expect(dumpParse(parse((first as Mutant).text))).toBe(before);
        }),
        { ...settings, numRuns: Math.max(1, Math.floor(runs / 10)) },
      );
    },
    120_000,
  );

  // Known bug: a node built from an empty CST node (a block or a step with no real token, e.g.
  // after `journey a b {`) gets a made-up span at the start of the file (0..-1, lately 0..0),
  // outside its parent; parents that join it may then start at 0 too.
  it.fails(
    "keeps every node span inside the text and inside its parent's span",
    () => {
      fc.assert(
        fc.property(mutants(seeds), ({ text }: Mutant) => {
          expect(spanProblems(parse(text).ast, { start: 0, end: text.length })).toEqual([]);
        }),
        { ...settings, numRuns: Math.max(1, Math.floor(runs / 5)) },
      );
    },
    120_000,
  );

  it(
    "never drops text silently: with no diagnostics, every token lies inside a declaration",
    () => {
      fc.assert(
        fc.property(mutants(seeds), ({ text }: Mutant) => {
          const result = parse(text);
          if (result.diagnostics.length > 0) return;
          const spans = result.ast.declarations.map((d) => d.span);
          const lost = journeyLexer
            .tokenize(text)
            .tokens.filter((t) => !spans.some((s) => s.start <= t.startOffset && t.startOffset + t.image.length <= s.end))
            .map((t) => t.image);
          expect(lost).toEqual([]);
        }),
        { ...settings, numRuns: Math.max(1, Math.floor(runs / 5)) },
      );
    },
    120_000,
  );
});
