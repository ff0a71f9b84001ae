// Front-end benchmark: lexer and parser throughput on generated workspaces, next to JSON.parse
// of JSON documents of the same byte sizes measured in the same run.
//
//   npm run bench                      builds (tsc -b), then runs this file
//   node --expose-gc bench/run.mjs [--runs=7] [--warmups=2] [--shape=many-small,one-large]
//                                  [--out=bench/results/frontend.json] [--no-write]
//
// Not part of the tests: a missed goal is printed, and the exit code is 0 unless --strict is given.
// The exit code is 1 whenever a generated file does not parse cleanly (the bench would be meaningless).
// See bench/README.md for how to read the figures.

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, jsonTwin, sha256, WORKSPACES_DIR, writeShape } from "./generate.mjs";
import { parseArgs, selectedShapes } from "./options.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

// ── Options ─────────────────────────────────────────────────────────────────

const args = parseArgs();
const WARMUPS = Number(args.get("warmups") ?? 2);
const RUNS = Number(args.get("runs") ?? 7);
const shapes = selectedShapes(args);
const out = join(root, args.get("out") ?? "bench/results/frontend.json");
const write = !args.has("no-write");
const strict = args.has("strict");

/** What the front end is expected to do on these shapes (docs and the language server depend on it). */
const GOALS = {
  "many-small": { text: "parse the 1,000-file workspace in < 150 ms", metric: "workspaceMs", max: 150 },
  "one-large": { text: "parse the 20,000-line file at ≥ 10 MB/s", metric: "parseMBps", min: 10 },
};

// ── The language package ────────────────────────────────────────────────────

let language;
try {
  language = await import("../language/dist/index.js");
} catch (error) {
  console.error("bench: cannot load language/dist/index.js; build it first with `npx tsc -b` (`npm run bench` does).");
  console.error(String(error));
  process.exit(1);
}
const { lex, parse } = language;

const STEP_KINDS = new Set([
  "SendStep",
  "ShowStep",
  "WaitStep",
  "IfStep",
  "MatchStep",
  "SplitStep",
  "HoldoutStep",
  "ExperimentStep",
  "SetStep",
  "ListStep",
  "TrackStep",
  "NotifyStep",
  "StartJourneyStep",
  "ExitStep",
  "MissingStep",
]);

/** How many steps a syntax tree holds, at any depth. */
function countSteps(node) {
  let n = 0;
  const stack = [node];
  while (stack.length > 0) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      for (const y of x) stack.push(y);
    } else if (x !== null && typeof x === "object") {
      if (STEP_KINDS.has(x.kind)) n++;
      for (const key in x) if (key !== "span") stack.push(x[key]);
    }
  }
  return n;
}

/**
 * Every generated file must lex and parse with zero diagnostics, into the number of declarations
 * and steps the generator wrote. Anything else stops the bench loudly.
 */
function verify(shape, files) {
  const problems = [];
  for (const file of files) {
    const where = relative(root, join(WORKSPACES_DIR, shape, file.path));
    const lexed = lex(file.text);
    if (lexed.errorCount > 0) problems.push(`${where}: the lexer reports ${lexed.errorCount} error(s)`);
    const result = parse(file.text, where);
    for (const d of result.diagnostics) {
      const line = d.range.start.line;
      const source = file.text.split("\n")[line] ?? "";
      problems.push(`${where}:${line + 1}:${d.range.start.column + 1}: ${d.code} ${d.message}\n    | ${source}`);
    }
    if (result.diagnostics.length === 0) {
      const decls = result.ast.declarations.length;
      const steps = countSteps(result.ast.declarations);
      if (decls !== file.decls || steps !== file.steps) {
        problems.push(`${where}: read as ${decls} declarations and ${steps} steps; the generator wrote ${file.decls} and ${file.steps}`);
      }
    }
  }
  if (problems.length > 0) {
    console.error(`\nbench: FAILED — ${problems.length} problem(s) in the generated ${shape} workspace; its text must be valid.`);
    for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
    if (problems.length > 20) console.error(`  … and ${problems.length - 20} more`);
    process.exit(1);
  }
}

// ── Timing ──────────────────────────────────────────────────────────────────

const gc = typeof globalThis.gc === "function" ? globalThis.gc : () => {};
let sink = 0; // results feed this, so no work can be optimised away

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Times lex, parse and JSON.parse over the same workspace, round by round (the order rotates every
 * round, so none of the three always runs just after another's garbage). Returns milliseconds per
 * pass over the whole workspace, warm-ups dropped.
 */
function measure(texts, paths, jsons) {
  const tasks = {
    lex: () => {
      for (let i = 0; i < texts.length; i++) sink += lex(texts[i]).tokenCount;
    },
    parse: () => {
      for (let i = 0; i < texts.length; i++) sink += parse(texts[i], paths[i]).ast.declarations.length;
    },
    json: () => {
      for (let i = 0; i < jsons.length; i++) sink += JSON.parse(jsons[i]).items.length;
    },
  };
  const names = Object.keys(tasks);
  const samples = { lex: [], parse: [], json: [] };
  for (let round = 0; round < WARMUPS + RUNS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length];
      gc();
      const start = performance.now();
      tasks[name]();
      const ms = performance.now() - start;
      if (round >= WARMUPS) samples[name].push(ms);
    }
  }
  return samples;
}

// ── Formatting ──────────────────────────────────────────────────────────────

const round = (x, digits) => Number(x.toFixed(digits));
/** Thousands separators without depending on the machine's locale. */
function grouped(n) {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
function fixed(x, digits = 1) {
  return x.toFixed(digits);
}

function gitInfo() {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "language"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return { commit, languageDirty: dirty };
  } catch {
    return { commit: "unknown", languageDirty: null };
  }
}

// ── Main ────────────────────────────────────────────────────────────────────

const results = [];
let coldStart;
const mb = (bytes) => bytes / 1e6;

for (const shape of shapes) {
  const files = generate(shape);
  writeShape(shape, files); // on disk too, to look at or to open in the editor
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  const lines = files.reduce((n, f) => n + f.lines, 0);

  if (coldStart === undefined) {
    // The very first parse of the process: it pays for building the parser (a CLI run pays it once).
    const first = files[0];
    const start = performance.now();
    parse(first.text, first.path);
    coldStart = { firstParseMs: round(performance.now() - start, 2), file: `${shape}/${first.path}`, bytes: Buffer.byteLength(first.text) };
  }
  verify(shape, files);

  const jsons = files.map((f, i) => jsonTwin(Buffer.byteLength(f.text), 0x5eed0000 + i));
  for (const j of jsons) JSON.parse(j); // a twin must be valid JSON, too
  const jsonBytes = jsons.reduce((n, j) => n + Buffer.byteLength(j), 0);
  if (jsonBytes !== bytes) throw new Error(`JSON twins are ${jsonBytes} bytes, the workspace ${bytes}`);

  process.stdout.write(`measuring ${shape} (${files.length} files, ${grouped(lines)} lines, ${grouped(bytes)} bytes): ${WARMUPS} warm-ups + ${RUNS} runs… `);
  const samples = measure(
    files.map((f) => f.text),
    files.map((f) => f.path),
    jsons,
  );
  const lexMs = median(samples.lex);
  const parseMs = median(samples.parse);
  const jsonMs = median(samples.json);
  const entry = {
    shape,
    files: files.length,
    bytes,
    lines,
    sha256: sha256(files),
    lexMs: round(lexMs, 2),
    lexMBps: round(mb(bytes) / (lexMs / 1000), 2),
    lexLinesPerS: Math.round(lines / (lexMs / 1000)),
    parseMs: round(parseMs, 2),
    parseMBps: round(mb(bytes) / (parseMs / 1000), 2),
    parseLinesPerS: Math.round(lines / (parseMs / 1000)),
    workspaceMs: round(parseMs, 2),
    jsonParseMs: round(jsonMs, 2),
    jsonParseMBps: round(mb(bytes) / (jsonMs / 1000), 2),
    ratio: round(jsonMs / parseMs, 4),
    samplesMs: {
      lex: samples.lex.map((x) => round(x, 2)),
      parse: samples.parse.map((x) => round(x, 2)),
      jsonParse: samples.json.map((x) => round(x, 2)),
    },
  };
  const goal = GOALS[shape];
  if (goal) {
    const value = entry[goal.metric];
    entry.goal = { text: goal.text, metric: goal.metric, value, met: goal.max !== undefined ? value < goal.max : value >= goal.min };
  }
  results.push(entry);
  console.log(`parse ${fixed(entry.parseMBps)} MB/s`);
}

// ── Report ──────────────────────────────────────────────────────────────────

const columns = [
  ["shape", (r) => r.shape, "l"],
  ["files", (r) => grouped(r.files)],
  ["lines", (r) => grouped(r.lines)],
  ["bytes", (r) => grouped(r.bytes)],
  ["lex MB/s", (r) => fixed(r.lexMBps)],
  ["lex lines/s", (r) => grouped(r.lexLinesPerS)],
  ["parse MB/s", (r) => fixed(r.parseMBps)],
  ["parse lines/s", (r) => grouped(r.parseLinesPerS)],
  ["workspace ms", (r) => fixed(r.workspaceMs)],
  ["JSON.parse MB/s", (r) => fixed(r.jsonParseMBps)],
  ["JSON.parse ms", (r) => fixed(r.jsonParseMs, 2)],
  ["parse/JSON.parse", (r) => `${r.ratio.toFixed(4)} (1/${Math.round(1 / r.ratio)})`],
];
const cells = results.map((r) => columns.map(([, get]) => get(r)));
const widths = columns.map(([title], c) => Math.max(title.length, ...cells.map((row) => row[c].length)));
const line = (row) => row.map((cell, c) => (columns[c][2] === "l" ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
const cpu = os.cpus()[0]?.model?.trim() ?? "unknown";
const git = gitInfo();

console.log("");
console.log(`node ${process.version} · ${cpu} (${os.cpus().length} cpus) · ${os.platform()} ${os.arch()} · commit ${git.commit}${git.languageDirty ? " (language/ has uncommitted changes)" : ""}`);
console.log(`median of ${RUNS} runs after ${WARMUPS} warm-ups${globalThis.gc ? ", gc before each" : ""}; MB = 10^6 bytes; parse includes lexing; workspace ms = one parse of every file`);
console.log("");
console.log(line(columns.map(([title]) => title)));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of cells) console.log(line(row));
console.log("");
console.log("parse/JSON.parse: parse MB/s divided by JSON.parse MB/s on the same bytes (1 = as fast as JSON.parse; 1/N = N times slower)");
console.log(`cold start: the first parse of the process (${coldStart.file}, ${grouped(coldStart.bytes)} bytes) took ${fixed(coldStart.firstParseMs)} ms`);
let missed = 0;
for (const r of results) {
  if (!r.goal) continue;
  const shown = r.goal.metric === "workspaceMs" ? `${fixed(r.goal.value)} ms` : `${fixed(r.goal.value)} MB/s`;
  console.log(`goal ${r.shape}: ${r.goal.text}: ${shown} ${r.goal.met ? "MET" : "MISSED"}`);
  if (!r.goal.met) missed++;
}

if (write) {
  const record = {
    benchmark: "frontend",
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu,
    cpus: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    commit: git.commit,
    languageDirty: git.languageDirty,
    method: {
      warmups: WARMUPS,
      runs: RUNS,
      statistic: "median",
      gcBetweenSamples: Boolean(globalThis.gc),
      megabyte: "10^6 bytes of UTF-8 text",
      parse: "parse(text, file) from language/dist: lexing, parsing, syntax tree and diagnostics",
      lex: "lex(text) from language/dist: tokens only",
      workspaceMs: "median time of one parse of every file of the shape, text already in memory",
      baseline: "JSON.parse of one generated JSON document per file, each of the file's exact byte size",
      ratio: "jsonParseMs / parseMs, i.e. parse MB/s as a share of JSON.parse MB/s",
    },
    coldStart,
    shapes: results,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nwrote ${relative(root, out)}`);
}
if (sink === -1) console.log(sink); // keep the sink alive
process.exit(strict && missed > 0 ? 1 : 0);
