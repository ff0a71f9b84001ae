/**
 * The commands that run journeys. The CLI checks and compiles the project (so a project with an
 * error never starts), then hands the build to @journey/runtime, loaded only here: `check`,
 * `build` and `fmt` never load database or queue drivers.
 */
import type { Build } from "../ir/schema.js";
import { errorsOf, type CliIo, loadProject, lowerProject, reportProblems } from "./load.js";

/** What runtime/src/commands.ts exports (typed here: the compiler does not depend on the runtime). */
export interface RuntimeCommands {
  dev(options: { build: Build; root: string; data?: string; days?: number; json?: boolean }, io: RuntimeIo): Promise<number>;
  serve(options: { build: Build; port: number; host: string; writeKeys: string[]; worker?: boolean; config?: string }, io: RuntimeIo): Promise<number>;
  worker(options: { build: Build; config?: string; metricsPort?: number; metricsHost?: string }, io: RuntimeIo): Promise<number>;
  importCommand(options: { build: Build; file: string; as: string; format?: "csv" | "jsonl" }, io: RuntimeIo): Promise<number>;
}

interface RuntimeIo extends CliIo {
  env: NodeJS.ProcessEnv;
}

export async function loadRuntime(): Promise<RuntimeCommands> {
  const entry = "@journey/runtime/commands";
  return (await import(entry)) as RuntimeCommands;
}

/** Checks and lowers the project; undefined (after printing the problems) when it has errors. */
export async function compileForRun(paths: string[], io: CliIo, compilerVersion: string): Promise<{ build: Build; root: string } | undefined> {
  const project = await loadProject(paths, io);
  if (project.files.length === 0) {
    io.stderr.write(`journey: no .journey files in ${paths.length > 0 ? paths.join(", ") : "the current folder"}\n`);
    return undefined;
  }
  if (errorsOf(project.program).length > 0) {
    reportProblems(project, io);
    return undefined;
  }
  return { build: lowerProject(project, compilerVersion), root: project.root };
}

export async function runWithRuntime(
  paths: string[],
  io: CliIo,
  compilerVersion: string,
  command: (runtime: RuntimeCommands, compiled: { build: Build; root: string }, io: RuntimeIo) => Promise<number>,
): Promise<number> {
  const compiled = await compileForRun(paths, io, compilerVersion);
  if (!compiled) return 1;
  return command(await loadRuntime(), compiled, { ...io, env: process.env });
}
