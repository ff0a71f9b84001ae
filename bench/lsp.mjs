// Language server benchmark: the built server (language/dist/lsp/server.js) driven over stdio with
// the real protocol, on the generated 20,000-line and 1,000-file workspaces.
//
//   npm run bench                      builds, runs the other benches, then this file
//   node bench/lsp.mjs [--ops=100] [--shape=one-large,many-small] [--out=bench/results/lsp.json] [--no-write]
//
// For each workspace: edit-to-diagnostics (a change to the open file until the server publishes
// that file's new diagnostics, debounce included), completion, hover and definition latency
// (median and p95 of --ops operations each), and the server's memory after opening the workspace.
// Reported, never asserted: a missed goal is printed, the exit code is 0.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CompletionRequest,
  createProtocolConnection,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { generate, sha256, writeShape } from "./generate.mjs";
import { parseArgs, selectedShapes } from "./options.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const args = parseArgs();
const OPS = Number(args.get("ops") ?? 100);
const shapes = selectedShapes(args, ["one-large", "many-small"]);
const out = join(root, args.get("out") ?? "bench/results/lsp.json");
const write = !args.has("no-write");
const SERVER = join(root, "language", "dist", "lsp", "server.js");
if (!existsSync(SERVER)) {
  console.error(`bench: ${relative(root, SERVER)} is missing; build first with \`npx tsc -b\` (\`npm run bench\` does).`);
  process.exit(1);
}

const GOALS = { editToDiagnostics: 50, completion: 20, hover: 10, definition: 10 };

// ── Statistics ──────────────────────────────────────────────────────────────

const round = (x, digits = 2) => Number(x.toFixed(digits));
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function stats(samples, goalMs) {
  const p95 = percentile(samples, 95);
  return { medianMs: round(percentile(samples, 50)), p95Ms: round(p95), maxMs: round(Math.max(...samples)), goalP95Ms: goalMs, met: p95 <= goalMs, samplesMs: samples.map((x) => round(x)) };
}

/** The server's resident memory, from /proc (Linux) or ps. */
function rssMB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1]);
    if (kb) return round(kb / 1024, 1);
  } catch {
    // Not Linux: ask ps.
  }
  const ps = spawnSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" });
  return ps.status === 0 ? round(Number(ps.stdout.trim()) / 1024, 1) : null;
}

// ── One workspace ───────────────────────────────────────────────────────────

/** Positions (line, character) of the names after these words: what a person hovers or jumps from. */
function namePositions(text) {
  const found = [];
  const lines = text.split("\n");
  const pattern = /\b(?:send (?:email|sms|push|webhook)|enters|leaves|wait for|add to list|when|goal|count\(|sum\(|notify|start journey)\s+([A-Za-z_][A-Za-z0-9_]*)/g;
  lines.forEach((line, number) => {
    for (const match of line.matchAll(pattern)) {
      const name = match[1];
      const at = (match.index ?? 0) + match[0].length - name.length;
      found.push({ line: number, character: at + Math.floor(name.length / 2) });
    }
  });
  return found;
}

/** Places to complete at: the start of step lines, and after `customer.`. */
function completionPositions(text) {
  const found = [];
  text.split("\n").forEach((line, number) => {
    const indent = line.match(/^( {2,})(send|wait|if|set) /);
    if (indent) found.push({ line: number, character: indent[1].length });
    const dot = line.indexOf("customer.");
    if (dot >= 0) found.push({ line: number, character: dot + "customer.".length });
  });
  return found;
}

function pick(list, count) {
  if (list.length === 0) return [];
  const step = list.length / count;
  return Array.from({ length: count }, (_, i) => list[Math.floor(i * step) % list.length]);
}

async function benchShape(shape) {
  const files = generate(shape);
  const dir = writeShape(shape, files);
  const lines = files.reduce((n, f) => n + f.lines, 0);
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  // The file a person edits: the one file of one-large, a journey file of many-small.
  const edited = files.find((f) => f.path.startsWith("journey_")) ?? files[0];
  const editedPath = join(dir, edited.path);
  const uri = pathToFileURL(editedPath).href;

  const started = performance.now();
  const child = spawn(process.execPath, [SERVER, "--stdio"], { cwd: dir, stdio: ["pipe", "pipe", "inherit"] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map();
  let firstPublish;
  let published = 0;
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    published++;
    firstPublish ??= performance.now();
    const waiter = waiting.get(params.uri);
    if (waiter?.test(params.diagnostics)) {
      waiting.delete(params.uri);
      waiter.resolve(performance.now());
    }
  });
  connection.onRequest(RegistrationRequest.type, () => undefined);
  connection.listen();
  const until = (target, test, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${target} in ${timeoutMs} ms`)), timeoutMs);
      waiting.set(target, {
        test,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });

  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: shape }],
    capabilities: {},
  });
  const initialized = performance.now() - started;
  await connection.sendNotification(InitializedNotification.type, {});
  let text = edited.text;
  let version = 1;
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "journey", version, text } });
  // Let the first whole-project check finish (publications stop) before timing anything.
  let lastCount = -1;
  while (lastCount !== published || published === 0) {
    lastCount = published;
    await new Promise((r) => setTimeout(r, 600));
  }
  const firstCheckMs = firstPublish - started;
  const memoryMB = rssMB(child.pid);

  // Edit-to-diagnostics: each edit plants a different unknown name on a probe line in the middle
  // of the file (before a top-level declaration, so what follows moves with every edit), so each
  // edit changes the diagnostics the server must publish for the file.
  const textLines = text.split("\n");
  let probeLine = Math.floor(textLines.length / 2);
  while (probeLine < textLines.length - 1 && !/^(segment|journey|list|score|template|event|object) /.test(textLines[probeLine])) probeLine++;
  textLines.splice(probeLine, 0, "");
  text = textLines.join("\n");
  version++;
  await connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version },
    contentChanges: [{ range: { start: { line: probeLine, character: 0 }, end: { line: probeLine, character: 0 } }, text: "\n" }],
  });
  await new Promise((r) => setTimeout(r, 1000));
  const edits = [];
  for (let i = 0; i < OPS; i++) {
    const lineText = `segment bench_probe = bench_unknown_${i}`;
    const current = text.split("\n");
    const previous = current[probeLine] ?? "";
    const change = { range: { start: { line: probeLine, character: 0 }, end: { line: probeLine, character: previous.length } }, text: lineText };
    current[probeLine] = lineText;
    text = current.join("\n");
    version++;
    const published = until(uri, (diagnostics) => diagnostics.some((d) => String(d.message).includes(`bench_unknown_${i}\``)));
    const t0 = performance.now();
    await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [change] });
    edits.push((await published) - t0);
  }

  const timeRequests = async (type, positions, params) => {
    const samples = [];
    for (const position of positions) {
      const t0 = performance.now();
      await connection.sendRequest(type, { textDocument: { uri }, position, ...params });
      samples.push(performance.now() - t0);
    }
    return samples;
  };
  // Requests are timed in the steady state: after the whole-project check that follows the edits.
  await new Promise((r) => setTimeout(r, 1500));
  const names = pick(namePositions(text), OPS);
  const completion = await timeRequests(CompletionRequest.type, pick(completionPositions(text), OPS), {});
  const hover = await timeRequests(HoverRequest.type, names, {});
  const definition = await timeRequests(DefinitionRequest.type, names, {});

  await connection.sendRequest(ShutdownRequest.type);
  await connection.sendNotification(ExitNotification.type);
  connection.dispose();
  child.kill();

  return {
    shape,
    files: files.length,
    lines,
    bytes,
    sha256: sha256(files),
    editedFile: edited.path,
    editedFileLines: edited.lines,
    initializeMs: round(initialized, 1),
    firstDiagnosticsMs: round(firstCheckMs, 1),
    memoryAfterOpenMB: memoryMB,
    editToDiagnostics: stats(edits, GOALS.editToDiagnostics),
    completion: stats(completion, GOALS.completion),
    hover: stats(hover, GOALS.hover),
    definition: stats(definition, GOALS.definition),
  };
}

// ── Main ────────────────────────────────────────────────────────────────────

function gitInfo() {
  const git = (...a) => spawnSync("git", a, { cwd: root, encoding: "utf8" });
  const head = git("rev-parse", "--short=12", "HEAD");
  if (head.status !== 0) return { commit: "unknown", dirty: null };
  return { commit: head.stdout.trim(), dirty: git("status", "--porcelain", "--", "language").stdout.trim() !== "" };
}

const results = [];
for (const shape of shapes) {
  const result = await benchShape(shape);
  results.push(result);
  const line = (name, s) =>
    `  ${name.padEnd(20)} median ${s.medianMs.toFixed(2).padStart(8)} ms   p95 ${s.p95Ms.toFixed(2).padStart(8)} ms   goal p95 ≤ ${s.goalP95Ms} ms: ${s.met ? "MET" : "MISSED"}`;
  console.log(`${shape}: ${result.files} files, ${result.lines} lines; edited ${result.editedFile} (${result.editedFileLines} lines)`);
  console.log(`  first diagnostics ${result.firstDiagnosticsMs} ms after start; memory after opening ${result.memoryAfterOpenMB} MB`);
  console.log(line("edit → diagnostics", result.editToDiagnostics));
  console.log(line("completion", result.completion));
  console.log(line("hover", result.hover));
  console.log(line("definition", result.definition));
}

if (write) {
  mkdirSync(dirname(out), { recursive: true });
  const record = {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    ...gitInfo(),
    method:
      "The built server over stdio (vscode-languageserver-protocol client), default settings (15 ms debounce before the edited file is checked). " +
      `${OPS} sequential operations each: an edit replaces a probe line in the middle of the open file (before a top-level declaration) with a segment naming a new unknown name, timed until the server publishes that file's diagnostics with it; ` +
      "completion at step starts and after `customer.`; hover and definition on names after send/enters/wait for/when/goal/count(. Memory is the server's RSS once the workspace is open and checked.",
    shapes: results,
  };
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nwrote ${relative(process.cwd(), out)}`);
}
