import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CommanderError, Command, Option } from "commander";
import { checkProgram, type Diagnostic, format } from "@journey/language";
import { graphFormats, type GraphFormat } from "../graph/render.js";
import { runBuild } from "./build.js";
import { displayPath, findJourneyFiles, readSource, UsageError } from "./files.js";
import { runGraph } from "./graph.js";
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
