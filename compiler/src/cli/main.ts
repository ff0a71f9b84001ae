import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CommanderError, Command, Option } from "commander";
import { checkProgram, type Diagnostic, format } from "@journey/language";
import { graphFormats, type GraphFormat } from "../graph/render.js";
import { runBuild } from "./build.js";
import { displayPath, findJourneyFiles, readSource, UsageError } from "./files.js";
import { runGraph } from "./graph.js";
import { runWithRuntime } from "./run.js";
import { checkExitCode, parseMaxWarnings, tooManyWarnings } from "./exitCode.js";
import { type Paint, paint, useColor } from "./report/color.js";
import { renderGithub } from "./report/github.js";
import { renderJson } from "./report/json.js";
import { renderPretty, summaryLine } from "./report/pretty.js";
import { renderSarif } from "./report/sarif.js";

export const VERSION = "0.1.0";

const reportFormats = ["pretty", "json", "sarif", "github"] as const;
type ReportFormat = (typeof reportFormats)[number];

interface CheckOptions {
  format: ReportFormat;
  maxWarnings?: number;
}

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  cwd: string;
}

/** Runs the `journey` CLI; returns the exit code (0 ok, 1 findings, 2 usage or internal error). */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  let exitCode = 0;
  const program = new Command("journey")
    .description("Customer journeys as code: format, check and run .journey files.")
    .version(VERSION, "-v, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  program
    .command("fmt")
    .description("format .journey files in place (canonical layout, comments kept)")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .option("--check", "change nothing; exit 1 and name the files that are not formatted")
    .action(async (paths: string[], options: { check?: boolean }) => {
      exitCode = await runFmt(paths, options.check === true, io);
    });

  program
    .command("check")
    .description("check a project: syntax, names, types, journey flow, consent and templates")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .addOption(new Option("--format <format>", "report format").choices(reportFormats).default("pretty"))
    .addOption(
      new Option("--max-warnings <count>", "also exit 1 when there are more than <count> warnings (default: no limit)").argParser(
        parseMaxWarnings,
      ),
    )
    .action(async (paths: string[], options: CheckOptions) => {
      exitCode = await runCheck(paths, options, io);
    });

  program
    .command("lsp")
    .description("run the language server for editors (LSP over stdin/stdout)")
    .option("--stdio", "talk over stdin/stdout (the default)")
    .action(async () => {
      if (!process.argv.includes("--stdio")) process.argv.push("--stdio");
      // Loaded only for this command, so `check` and `fmt` never load the LSP libraries.
      const entry = "@journey/language/lsp";
      const { startServer } = (await import(entry)) as typeof import("@journey/language/lsp");
      startServer();
    });

  program
    .command("build")
    .description("check a project, then write its graph IR for the runtime (nothing is written when there is an error)")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .requiredOption("--out <folder>", "where to write manifest.json, project.json and journeys/<name>.json")
    .option("--name <project>", "the project's name in the manifest (default: the name of the folder that holds the files)")
    .action(async (paths: string[], options: { out: string; name?: string }) => {
      exitCode = await runBuild(paths, options, io, VERSION);
    });

  program
    .command("graph")
    .description("print a journey's flowchart: Mermaid, Graphviz DOT, or JSON for the editor preview")
    .argument("<journey>", "the journey's name")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .addOption(new Option("--format <format>", "output format").choices(graphFormats).default("mermaid"))
    .action(async (journey: string, paths: string[], options: { format: GraphFormat }) => {
      exitCode = await runGraph(journey, paths, options.format, io, VERSION);
    });

  program
    .command("dev")
    .description("run the project on the embedded runtime (no servers): replay its sample week on a fast clock and print every send")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .option("--data <folder>", "sample data: week.jsonl and objects/*.jsonl (default: data/ beside the .journey files)")
    .option("--days <n>", "days of journey time to run after the last message", (v) => parsePositive(v, "--days"), 7)
    .option("--json", "print the report as JSON")
    .action(async (paths: string[], options: { data?: string; days: number; json?: boolean }) => {
      exitCode = await runWithRuntime(paths, io, VERSION, (runtime, compiled, runIo) =>
        runtime.dev({ ...compiled, ...(options.data ? { data: resolve(io.cwd, options.data) } : {}), days: options.days, json: options.json === true }, runIo),
      );
    });

  program
    .command("serve")
    .description("receive events over the Segment-compatible HTTP API and run journeys (DATABASE_URL, REDIS_URL; embedded when unset)")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .option("--port <port>", "TCP port", (v) => parsePositive(v, "--port"), 8787)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--write-key <key...>", "accepted write keys (also JOURNEY_WRITE_KEYS=key1,key2)")
    .option("--config <file>", "settings file (journey.config.json: channels, write keys, concurrency, tick interval; no secrets)")
    .option("--no-worker", "only the API: run journeys in separate `journey worker` processes")
    .action(async (paths: string[], options: { port: number; host: string; writeKey?: string[]; config?: string; worker: boolean }) => {
      const writeKeys = [...(options.writeKey ?? []), ...(process.env.JOURNEY_WRITE_KEYS ?? "").split(",").filter((k) => k.length > 0)];
      const config = options.config ? { config: resolve(io.cwd, options.config) } : {};
      exitCode = await runWithRuntime(paths, io, VERSION, (runtime, compiled, runIo) =>
        runtime.serve({ build: compiled.build, port: options.port, host: options.host, writeKeys, worker: options.worker, ...config }, runIo),
      );
    });

  program
    .command("worker")
    .description("run journeys and deliver messages against PostgreSQL and Redis (DATABASE_URL, REDIS_URL); start as many as needed")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .option("--config <file>", "settings file (journey.config.json: channels, concurrency, tick interval; no secrets)")
    .option("--metrics-port <port>", "serve /health/live, /health/ready and /metrics on this port", (v) => parsePositive(v, "--metrics-port"))
    .option("--metrics-host <host>", "address for --metrics-port", "127.0.0.1")
    .action(async (paths: string[], options: { config?: string; metricsPort?: number; metricsHost: string }) => {
      const config = options.config ? { config: resolve(io.cwd, options.config) } : {};
      const metrics = options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort, metricsHost: options.metricsHost };
      exitCode = await runWithRuntime(paths, io, VERSION, (runtime, compiled, runIo) => runtime.worker({ build: compiled.build, ...config, ...metrics }, runIo));
    });

  program
    .command("import")
    .description("load customers, events or catalogue objects from a CSV or JSONL file (DATABASE_URL; embedded when unset)")
    .argument("<file>", "a .csv or .jsonl file")
    .argument("[paths...]", "the project's files or folders (default: the current folder)")
    .requiredOption("--as <what>", "customer, an event name, or an object name")
    .addOption(new Option("--format <format>", "file format (default: from the file name)").choices(["csv", "jsonl"]))
    .action(async (file: string, paths: string[], options: { as: string; format?: "csv" | "jsonl" }) => {
      exitCode = await runWithRuntime(paths, io, VERSION, (runtime, compiled, runIo) =>
        runtime.importCommand({ build: compiled.build, file: resolve(io.cwd, file), as: options.as, ...(options.format ? { format: options.format } : {}) }, runIo),
      );
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; a usage mistake with 1, which we report as 2.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`journey: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`journey: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.JOURNEY_DEBUG) io.stderr.write(`${error instanceof Error ? error.stack : ""}\n`);
    return 2;
  }
}

async function runFmt(paths: string[], check: boolean, io: Io): Promise<number> {
  const files = await findJourneyFiles(paths, io.cwd);
  const colors = paint(useColor(io.stderr));
  const sources = new Map<string, string>();
  const errors: Diagnostic[] = [];
  const unformatted: string[] = [];
  for (const path of files) {
    const shown = displayPath(path, io.cwd);
    const text = await readSource(path);
    sources.set(shown, text);
    const result = format(text, shown);
    if (result.output === undefined) {
      errors.push(...result.diagnostics.filter((d) => d.severity === "error"));
      continue;
    }
    if (result.output === text) continue;
    unformatted.push(shown);
    if (!check) await writeFile(path, result.output, "utf8");
  }
  if (errors.length > 0) {
    io.stderr.write(renderPretty(errors, sources, colors));
    const broken = new Set(errors.map((d) => d.file)).size;
    io.stderr.write(`\n${broken} file${broken === 1 ? " has" : "s have"} syntax errors and ${broken === 1 ? "was" : "were"} left untouched.\n`);
  }
  if (check) {
    for (const file of unformatted) io.stdout.write(`would reformat ${file}\n`);
    if (unformatted.length > 0) {
      io.stdout.write(`\n${unformatted.length} of ${files.length} files would change: run \`journey fmt\` to format them.\n`);
    } else if (errors.length === 0) {
      io.stdout.write(`${files.length} file${files.length === 1 ? " is" : "s are"} formatted.\n`);
    }
    return unformatted.length > 0 || errors.length > 0 ? 1 : 0;
  }
  for (const file of unformatted) io.stdout.write(`formatted ${file}\n`);
  return errors.length > 0 ? 1 : 0;
}

async function runCheck(paths: string[], options: CheckOptions, io: Io): Promise<number> {
  const files = await findJourneyFiles(paths, io.cwd);
  const sources = new Map<string, string>();
  // Read every file at once: one await per file costs more than the parse on a 1,000-file project.
  const texts = await Promise.all(files.map((path) => readSource(path)));
  files.forEach((path, i) => sources.set(displayPath(path, io.cwd), texts[i] as string));
  const { diagnostics } = checkProgram(
    [...sources].map(([file, text]) => ({ file, text })),
    {
      // Template bodies (`body file "templates/promo.liquid"`), relative to the working directory like the paths shown.
      readFile: (path) => {
        try {
          const text = readFileSync(resolve(io.cwd, path), "utf8");
          sources.set(path, text);
          return text;
        } catch {
          return undefined;
        }
      },
    },
  );
  const counts = {
    errors: diagnostics.filter((d) => d.severity === "error").length,
    warnings: diagnostics.filter((d) => d.severity === "warning").length,
  };
  const human = (colors: Paint) =>
    `${diagnostics.length > 0 ? `${renderPretty(diagnostics, sources, colors)}\n` : ""}${summaryLine(files.length, counts.errors, counts.warnings, colors)}\n`;
  switch (options.format) {
    case "json":
      io.stdout.write(`${renderJson(diagnostics, { files: files.length, ...counts })}\n`);
      break;
    case "sarif":
      io.stdout.write(`${renderSarif(diagnostics, { version: VERSION })}\n`);
      break;
    case "github":
      // GitHub shows only the first 10 errors and 10 warnings of a step as annotations: the full
      // report follows in the log, without colour (the log is not a terminal).
      io.stdout.write(`${renderGithub(diagnostics)}${human(paint(false))}`);
      break;
    default:
      io.stdout.write(human(paint(useColor(io.stdout))));
  }
  if (tooManyWarnings(counts, options.maxWarnings)) {
    const found = `${counts.warnings} warning${counts.warnings === 1 ? "" : "s"}`;
    io.stderr.write(`journey: ${found}, more than the ${options.maxWarnings} that --max-warnings allows\n`);
  }
  return checkExitCode(counts, options.maxWarnings);
}

function parsePositive(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}
