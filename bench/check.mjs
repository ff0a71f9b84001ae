// Check benchmark: wall time of a cold `journey check` of each generated workspace, process start
// included, next to two baselines measured in the same run: a bare Node start (`node -e ""`) and
// the CLI's own start (`journey --version`: loading the CLI and the language, checking nothing).
//
//   npm run bench                      builds (tsc -b), runs bench/run.mjs, then this file
//   node bench/check.mjs [--runs=5] [--warmups=1] [--shape=many-small,medium]
//                        [--out=bench/results/check.json] [--no-write] [--strict]
//
// Not part of the tests: a missed goal is printed, and the exit code is 0 unless --strict is given.
// See bench/README.md for how to read the figures.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generate, sha256, templateBodies, writeShape } from "./generate.mjs";
import { parseArgs, selectedShapes } from "./options.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

// ── Options ─────────────────────────────────────────────────────────────────

const args = parseArgs();
const RUNS = Number(args.get("runs") ?? 5);
const WARMUPS = Number(args.get("warmups") ?? 1);
const shapes = selectedShapes(args);
const out = join(root, args.get("out") ?? "bench/results/check.json");
const write = !args.has("no-write");
const strict = args.has("strict");

/** What a CI run or an editor save may cost (reported, never asserted unless --strict). */
const GOALS = {
  "many-small": { text: "check the 1,000-file workspace in < 1 s wall, process start included", maxMs: 1000 },
};

const CLI = join(root, "compiler", "bin", "journey.js");
const LANGUAGE = join(root, "language", "dist", "index.js");
for (const built of [join(root, "compiler", "dist", "cli", "main.js"), LANGUAGE]) {
  if (!existsSync(built)) {
    console.error(`bench: ${relative(root, built)} is missing; build first with \`npx tsc -b\` (\`npm run bench\` does).`);
    process.exit(1);
  }
}

// ── Processes ───────────────────────────────────────────────────────────────

/** Runs a command to completion; wall milliseconds from spawn to exit, and what it printed. */
function timed(argv) {
  const start = performance.now();
  const result = spawnSync(process.execPath, argv, { cwd: root, encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - start;
  if (result.error) throw result.error;
  return { ms, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The same check, in phases, in a fresh process (run like the CLI, but timed inside): Node's own
 * boot until the first line runs, loading the language package, reading the files, parsing them,
 * and checking them (templates read through `readFile`, as the CLI does).
 */
const BREAKDOWN = `
const boot = performance.now();
const { readdirSync, readFileSync } = await import("node:fs");
const { join, relative } = await import("node:path");
const t0 = performance.now();
const { parse, checkParsed } = await import(${JSON.stringify(pathToFileURL(LANGUAGE).href)});
const t1 = performance.now();
const dir = process.argv[1];
const paths = [];
const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else if (e.name.endsWith(".journey")) paths.push(p); } };
walk(dir);
paths.sort();
const texts = paths.map((p) => [relative(process.cwd(), p), readFileSync(p, "utf8")]);
const t2 = performance.now();
const parsed = texts.map(([file, text]) => parse(text, file));
const t3 = performance.now();
const { diagnostics } = checkParsed(parsed, { readFile: (p) => { try { return readFileSync(p, "utf8"); } catch { return undefined; } } });
const t4 = performance.now();
console.log(JSON.stringify({ bootMs: boot, loadMs: t1 - t0, readMs: t2 - t1, parseMs: t3 - t2, checkMs: t4 - t3, totalMs: t4, diagnostics: diagnostics.length }));
`;

// ── Statistics and formatting ───────────────────────────────────────────────

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
const round = (x, digits = 1) => Number(x.toFixed(digits));
const fixed = (x, digits = 0) => x.toFixed(digits);
function grouped(n) {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
function summary(samples) {
  return { medianMs: round(median(samples)), minMs: round(Math.min(...samples)), samplesMs: samples.map((x) => round(x)) };
}

function gitInfo() {
  const git = (...a) => spawnSync("git", a, { cwd: root, encoding: "utf8" });
  const head = git("rev-parse", "--short=12", "HEAD");
  if (head.status !== 0) return { commit: "unknown", dirty: null };
  const dirty = git("status", "--porcelain", "--", "language", "compiler").stdout.trim() !== "";
  return { commit: head.stdout.trim(), dirty };
}

// ── Main ────────────────────────────────────────────────────────────────────

const workspaces = [];
for (const shape of shapes) {
  const files = generate(shape);
  const dir = writeShape(shape, files); // the same workspaces as bench/run.mjs, template files included
  workspaces.push({
    shape,
    dir: relative(root, dir),
    files: files.length,
    lines: files.reduce((n, f) => n + f.lines, 0),
    bytes: files.reduce((n, f) => n + Buffer.byteLength(f.text), 0),
    templateFiles: templateBodies(files).length,
    sha256: sha256(files),
  });
}

/** Every command measured, in one list so that the rounds rotate through all of them. */
const commands = [
  { id: "node", argv: ["-e", ""] },
  { id: "version", argv: [CLI, "--version"] },
  ...workspaces.flatMap((w) => [
    { id: `check:${w.shape}`, argv: [CLI, "check", w.dir, "--format", "json"] },
    { id: `breakdown:${w.shape}`, argv: ["--input-type=module", "-e", BREAKDOWN, w.dir] },
  ]),
];
const wall = new Map(commands.map((c) => [c.id, []]));
const phases = new Map(workspaces.map((w) => [w.shape, []]));
const last = new Map();

process.stdout.write(`measuring ${commands.length} commands, ${WARMUPS} warm-up${WARMUPS === 1 ? "" : "s"} + ${RUNS} runs each, in rotating order `);
for (let round = 0; round < WARMUPS + RUNS; round++) {
  for (let k = 0; k < commands.length; k++) {
    const command = commands[(k + round) % commands.length];
    const result = timed(command.argv);
    last.set(command.id, result);
    if (round < WARMUPS) continue;
    wall.get(command.id).push(result.ms);
    if (command.id.startsWith("breakdown:")) {
      if (result.status !== 0) {
        console.error(`\nbench: the in-process breakdown failed:\n${result.stderr}`);
        process.exit(1);
      }
      phases.get(command.id.slice("breakdown:".length)).push(JSON.parse(result.stdout));
    }
  }
  process.stdout.write(".");
}
console.log(" done");

const baselines = {
  nodeStart: { command: 'node -e ""', ...summary(wall.get("node")) },
  cliStart: { command: "node compiler/bin/journey.js --version", output: last.get("version").stdout.trim(), ...summary(wall.get("version")) },
};

const results = workspaces.map((w) => {
  const run = last.get(`check:${w.shape}`);
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    console.error(`bench: \`journey check ${w.dir} --format json\` did not print a JSON report (exit ${run.status}):\n${run.stderr.slice(0, 2000)}`);
    process.exit(1);
  }
  const bySeverity = { error: 0, warning: 0, info: 0, hint: 0 };
  const byCode = {};
  for (const d of report.diagnostics) {
    bySeverity[d.severity] = (bySeverity[d.severity] ?? 0) + 1;
    byCode[d.code] = (byCode[d.code] ?? 0) + 1;
  }
  const check = summary(wall.get(`check:${w.shape}`));
  const runs = phases.get(w.shape);
  const phase = (name) => round(median(runs.map((r) => r[name])));
  const entry = {
    ...w,
    diagnostics: { total: report.diagnostics.length, ...bySeverity, byCode },
    exitCode: run.status,
    ...check,
    overNodeStartMs: round(check.medianMs - baselines.nodeStart.medianMs),
    overCliStartMs: round(check.medianMs - baselines.cliStart.medianMs),
    breakdown: {
      bootMs: phase("bootMs"),
      loadMs: phase("loadMs"),
      readMs: phase("readMs"),
      parseMs: phase("parseMs"),
      checkMs: phase("checkMs"),
      totalMs: phase("totalMs"),
      wallMs: round(median(wall.get(`breakdown:${w.shape}`))),
    },
  };
  const goal = GOALS[w.shape];
  if (goal) entry.goal = { text: goal.text, metric: "medianMs", value: check.medianMs, met: check.medianMs < goal.maxMs };
  return entry;
});

// ── Report ──────────────────────────────────────────────────────────────────

function table(columns, rows) {
  const cells = rows.map((r) => columns.map(([, get]) => get(r)));
  const widths = columns.map(([title], c) => Math.max(title.length, ...cells.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => (columns[c][2] === "l" ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  return [line(columns.map(([title]) => title)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

const cpu = os.cpus()[0]?.model?.trim() ?? "unknown";
const git = gitInfo();
const load = os.loadavg().map((x) => x.toFixed(2));
console.log("");
console.log(`node ${process.version} · ${cpu} (${os.cpus().length} cpus) · ${os.platform()} ${os.arch()} · load ${load.join(" ")} · commit ${git.commit}${git.dirty ? " (language/ or compiler/ has uncommitted changes)" : ""}`);
console.log(`wall time from spawn to exit, median (and min) of ${RUNS} runs after ${WARMUPS} warm-up${WARMUPS === 1 ? "" : "s"}; each run is a new process`);
console.log("");
console.log(
  table(
    [
      ["baseline", (r) => r.command, "l"],
      ["median ms", (r) => fixed(r.medianMs, 1)],
      ["min ms", (r) => fixed(r.minMs, 1)],
    ],
    [baselines.nodeStart, baselines.cliStart],
  ),
);
console.log("");
console.log(
  table(
    [
      ["journey check", (r) => r.shape, "l"],
      ["files", (r) => grouped(r.files)],
      ["lines", (r) => grouped(r.lines)],
      ["diagnostics", (r) => grouped(r.diagnostics.total)],
      ["exit", (r) => String(r.exitCode)],
      ["median ms", (r) => fixed(r.medianMs, 1)],
      ["min ms", (r) => fixed(r.minMs, 1)],
      ["− node start", (r) => fixed(r.overNodeStartMs, 1)],
      ["− CLI start", (r) => fixed(r.overCliStartMs, 1)],
    ],
    results,
  ),
);
console.log("");
console.log("in-process phases of the same check in a fresh process (median ms): boot = Node until the first line runs");
console.log(
  table(
    [
      ["shape", (r) => r.shape, "l"],
      ["boot", (r) => fixed(r.breakdown.bootMs, 1)],
      ["load language", (r) => fixed(r.breakdown.loadMs, 1)],
      ["read", (r) => fixed(r.breakdown.readMs, 1)],
      ["parse", (r) => fixed(r.breakdown.parseMs, 1)],
      ["check", (r) => fixed(r.breakdown.checkMs, 1)],
      ["in-process", (r) => fixed(r.breakdown.totalMs, 1)],
      ["wall", (r) => fixed(r.breakdown.wallMs, 1)],
    ],
    results,
  ),
);
console.log("");
for (const r of results) {
  if (r.diagnostics.total > 0) {
    const codes = Object.entries(r.diagnostics.byCode)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([code, n]) => `${code}×${n}`)
      .join(" ");
    console.log(`note ${r.shape}: the workspace gives ${r.diagnostics.total} diagnostics (${codes}); the generated projects are meant to check clean`);
  }
}
let missed = 0;
for (const r of results) {
  if (!r.goal) continue;
  console.log(`goal ${r.shape}: ${r.goal.text}: ${fixed(r.goal.value, 1)} ms ${r.goal.met ? "MET" : "MISSED"}`);
  if (!r.goal.met) missed++;
}

if (write) {
  const record = {
    benchmark: "check",
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu,
    cpus: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    commit: git.commit,
    sourcesDirty: git.dirty,
    method: {
      warmups: WARMUPS,
      runs: RUNS,
      statistic: "median and min of the wall time from spawn to exit, one new process per run",
      order: "round by round, rotating through every command, so machine noise hits them alike",
      check: "node compiler/bin/journey.js check bench/workspaces/<shape> --format json (cwd: the repository)",
      nodeStart: 'node -e ""',
      cliStart: "node compiler/bin/journey.js --version",
      overNodeStartMs: "check median minus the node start median",
      overCliStartMs: "check median minus the CLI start median: the reading, parsing, checking and reporting",
      breakdown: "the same work timed inside a fresh node process: boot (until the first line), loading language/dist, reading, parse(), checkParsed()",
    },
    baselines,
    shapes: results,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nwrote ${relative(root, out)}`);
}
process.exit(strict && missed > 0 ? 1 : 0);
