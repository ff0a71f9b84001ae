import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Diagnostic, Range } from "../diagnostics/diagnostic.js";
import { applyMutations, examplesFolder, fuzzSeeds, type Mutant, mutants, mutation } from "../syntax/mutations.js";
import { checkProgram, type SourceInput } from "./checker.js";

/**
 * Property tests of the checker on the parser's fuzz corpus (see ../syntax/mutations.ts): broken
 * versions of real files, checked as one project together with the examples' shared files (schema,
 * segments, templates, policy), so that names resolve and every later phase gets to run. Sometimes a
 * template file is broken too. The checker must never throw, never give up with J9002, and keep every
 * range (of a diagnostic, a related place and a fix) inside its file, with lines and columns that
 * match the offsets.
 *
 *   FUZZ_RUNS=20000 FUZZ_SEED=7 npx vitest run language/src/semantics/fuzz.test.ts
 *
 * A failure prints fast-check's seed and path and the shrunk case; FUZZ_SEED and FUZZ_PATH replay it.
 */

const runs = Number(process.env.FUZZ_RUNS ?? 2_000);
const seed = Number(process.env.FUZZ_SEED ?? 20_261_124);
const path = process.env.FUZZ_PATH;
const settings = { numRuns: runs, seed, ...(path ? { path } : {}) };
/** Room for slow machines: 2,000 runs take about 12 s on a busy 2-CPU box. */
const timeout = Math.max(120_000, runs * 40);

const seeds = fuzzSeeds();

/** The example files every journey refers to; the journeys themselves come from the corpus. */
const projectFiles = ["schema.journey", "segments.journey", "templates.journey", "policy.journey"];
const project: SourceInput[] = projectFiles.map((file) => ({ file, text: readFileSync(join(examplesFolder, file), "utf8") }));

/** The examples' template files, by the path the checker asks for (relative to the project root). */
const templateFolder = join(examplesFolder, "templates");
const templateFiles = new Map<string, string>(
  existsSync(templateFolder)
    ? readdirSync(templateFolder)
        .filter((name) => name.endsWith(".liquid"))
        .sort()
        .map((name) => [`templates/${name}`, readFileSync(join(templateFolder, name), "utf8")])
    : [],
);
const templatePaths = [...templateFiles.keys()];

/** One case: a broken `.journey` text, and maybe a broken template file. */
interface Case {
  mutant: Mutant;
  template?: { path: string; mutations: Parameters<typeof applyMutations>[1] };
}

const cases: fc.Arbitrary<Case> = fc.record(
  {
    mutant: mutants(seeds),
    template: fc.option(
      fc.record({ path: fc.constantFrom(...templatePaths), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) }),
      { freq: 4, nil: undefined },
    ),
  },
  { requiredKeys: ["mutant"] },
);

interface Checked {
  diagnostics: Diagnostic[];
  /** Every file a diagnostic may point into: the sources and the template files the checker read. */
  texts: Map<string, string>;
}

function run({ mutant, template }: Case): Checked {
  const sources = [...project, { file: "fuzz.journey", text: mutant.text }];
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const broken = template ? applyMutations(templateFiles.get(template.path) as string, template.mutations) : undefined;
  const { diagnostics } = checkProgram(sources, {
    readFile: (file) => {
      const text = template && file === template.path ? broken : templateFiles.get(file);
      if (text !== undefined) texts.set(file, text);
      return text;
    },
  });
  return { diagnostics, texts };
}

/** Line and column of an offset, counted independently of the checker (`\n`, `\r\n` and `\r` end lines). */
function positionAt(text: string, offset: number) {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart, offset };
}

/** What is wrong with a range in `file` (empty when it is fine). */
function rangeProblems(what: string, file: string, range: Range, texts: Map<string, string>): string[] {
  const text = texts.get(file);
  if (text === undefined) return [`${what} points into ${JSON.stringify(file)}, which is not a file of the project`];
  const { start, end } = range;
  if (!(Number.isInteger(start.offset) && Number.isInteger(end.offset) && start.offset >= 0 && start.offset <= end.offset && end.offset <= text.length)) {
    return [`${what} ${file} ${start.offset}..${end.offset} is not within 0..${text.length}`];
  }
  const problems: string[] = [];
  for (const [name, position] of [
    ["start", start],
    ["end", end],
  ] as const) {
    const expected = positionAt(text, position.offset);
    if (position.line !== expected.line || position.column !== expected.column) {
      problems.push(`${what} ${name} at offset ${position.offset} is ${position.line}:${position.column}, not ${expected.line}:${expected.column}`);
    }
  }
  return problems;
}

/** Everything wrong with one diagnostic: its code, its range, its related places and its fixes' edits. */
function problems(d: Diagnostic, texts: Map<string, string>): string[] {
  const out: string[] = [];
  if (!/^J\d{4}$/.test(d.code)) out.push(`code ${JSON.stringify(d.code)} is not J + 4 digits`);
  if (d.code === "J9002") out.push(`internal checker error: ${d.message}`);
  if (typeof d.message !== "string" || d.message.trim() === "") out.push("empty message");
  out.push(...rangeProblems("range", d.file, d.range, texts));
  for (const r of d.related) out.push(...rangeProblems("related", r.file, r.range, texts));
  for (const fix of d.fixes) for (const edit of fix.edits) out.push(...rangeProblems(`fix "${fix.title}"`, edit.file, edit.range, texts));
  return out.map((p) => `${d.code} ${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1} ${p}`);
}

describe("the checker's fuzz setup", () => {
  it("checks the example project it starts from with no diagnostics", () => {
    const { diagnostics } = checkProgram(project, { readFile: (file) => templateFiles.get(file) });
    expect(diagnostics.map((d) => `${d.file}:${d.range.start.line + 1} ${d.code} ${d.message}`)).toEqual([]);
    expect(templatePaths.length).toBeGreaterThan(0);
  });

  it("makes cases that give the checker work: most produce diagnostics beyond syntax errors", () => {
    const sample = fc.sample(cases, { numRuns: 200, seed });
    const semantic = sample.filter((c) => run(c).diagnostics.some((d) => !d.code.startsWith("J1")));
    expect(semantic.length).toBeGreaterThan(50);
  });
});

describe(`checkProgram on ${runs} mutated texts with the examples' schema (seed ${seed})`, () => {
  it(
    "never throws, never reports J9002, and keeps every range inside its file",
    () => {
      fc.assert(
        fc.property(cases, (c) => {
          const { diagnostics, texts } = run(c);
          expect(Array.isArray(diagnostics)).toBe(true);
          expect(diagnostics.flatMap((d) => problems(d, texts))).toEqual([]);
        }),
        settings,
      );
    },
    timeout,
  );

  it(
    "gives the same diagnostics when the same project is checked again (no state kept between checks)",
    () => {
      fc.assert(
        fc.property(cases, cases, (first, second) => {
          const before = run(first).diagnostics;
          run(second);
          expect(run(first).diagnostics).toEqual(before);
        }),
        { ...settings, numRuns: Math.max(1, Math.floor(runs / 20)) },
      );
    },
    timeout,
  );
});
