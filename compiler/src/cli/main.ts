import { writeFile } from "node:fs/promises";
import { CommanderError, Command, Option } from "commander";
import { type Diagnostic, format, parse } from "@journey/language";
import { displayPath, findJourneyFiles, readSource, UsageError } from "./files.js";
import { paint, useColor } from "./report/color.js";
import { renderJson } from "./report/json.js";
import { renderPretty, summaryLine } from "./report/pretty.js";

export const VERSION = "0.1.0";

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
    .description("report problems in .journey files (currently: syntax)")
    .argument("[paths...]", "files or folders (default: the current folder)")
    .addOption(new Option("--format <format>", "report format").choices(["pretty", "json"]).default("pretty"))
    .action(async (paths: string[], options: { format: "pretty" | "json" }) => {
      exitCode = await runCheck(paths, options.format, io);
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

async function runCheck(paths: string[], reportFormat: "pretty" | "json", io: Io): Promise<number> {
  const files = await findJourneyFiles(paths, io.cwd);
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const path of files) {
    const shown = displayPath(path, io.cwd);
    const text = await readSource(path);
    sources.set(shown, text);
    diagnostics.push(...parse(text, shown).diagnostics);
  }
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  if (reportFormat === "json") {
    io.stdout.write(`${renderJson(diagnostics, { files: files.length, errors, warnings })}\n`);
  } else {
    const colors = paint(useColor(io.stdout));
    if (diagnostics.length > 0) io.stdout.write(`${renderPretty(diagnostics, sources, colors)}\n`);
    io.stdout.write(`${summaryLine(files.length, errors, warnings, colors)}\n`);
  }
  return errors > 0 ? 1 : 0;
}
