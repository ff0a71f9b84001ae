import { readFileSync } from "node:fs";
import { basename, dirname, relative, resolve, sep } from "node:path";
import { checkProgram, type Diagnostic, type Program } from "@journey/language";
import type { Build } from "../ir/schema.js";
import { explainLoweringError, LoweringError } from "../lower/common.js";
import { lowerProgram } from "../lower/project.js";
import { displayPath, findJourneyFiles, readSource } from "./files.js";
import { paint, useColor } from "./report/color.js";
import { renderPretty, summaryLine } from "./report/pretty.js";

/** What `build` and `graph` write to: the CLI's streams and working directory. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  cwd: string;
}

/** A checked project, with what lowering needs to write paths that do not depend on where it is. */
export interface LoadedProject {
  files: string[];
  /** Texts by the path shown to the user (relative to the working directory), template files included. */
  sources: Map<string, string>;
  program: Program;
  /** The folder every file is under: IR paths are relative to it, and its name is the project's. */
  root: string;
  name: string;
  readFile: (path: string) => string | undefined;
  sourcePath: (file: string) => string;
}

export async function loadProject(paths: string[], io: CliIo): Promise<LoadedProject> {
  const files = await findJourneyFiles(paths, io.cwd);
  const sources = new Map<string, string>();
  for (const path of files) sources.set(displayPath(path, io.cwd), await readSource(path));
  // Template bodies (`body file "templates/promo.liquid"`), by paths relative to the working directory, as `journey check` reads them.
  const readFile = (path: string): string | undefined => {
    try {
      const text = readFileSync(resolve(io.cwd, path), "utf8");
      sources.set(path, text);
      return text;
    } catch {
      return undefined;
    }
  };
  const program = checkProgram(
    [...sources].map(([file, text]) => ({ file, text })),
    { readFile },
  );
  const root = commonFolder(files.length > 0 ? files : [resolve(io.cwd, "project.journey")]);
  const sourcePath = (file: string) => relative(root, resolve(io.cwd, file)).split(sep).join("/");
  return { files, sources, program, root, name: basename(root) || "project", readFile, sourcePath };
}

/** The deepest folder that holds every file. */
function commonFolder(files: string[]): string {
  let folder = dirname(files[0] as string);
  for (const file of files) {
    while (folder !== dirname(folder) && relative(folder, file).startsWith("..")) folder = dirname(folder);
  }
  return folder;
}

export function errorsOf(program: Program): Diagnostic[] {
  return program.diagnostics.filter((d) => d.severity === "error");
}

/** The check report (`journey check`'s pretty format) on stderr: the project did not pass, so nothing is produced. */
export function reportProblems(project: LoadedProject, io: CliIo, diagnostics = project.program.diagnostics): void {
  const colors = paint(useColor(io.stderr));
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  io.stderr.write(`${renderPretty(diagnostics, project.sources, colors)}\n${summaryLine(project.files.length, errors, warnings, colors)}\n`);
}

/** Lowers a project that passed the check; a LoweringError becomes an internal error that says whose bug it is. */
export function lowerProject(project: LoadedProject, compilerVersion: string, name = project.name): Build {
  try {
    return lowerProgram(project.program, { project: name, readFile: project.readFile, sourcePath: project.sourcePath, compilerVersion });
  } catch (error) {
    if (error instanceof LoweringError) throw new Error(explainLoweringError(error));
    throw error;
  }
}
