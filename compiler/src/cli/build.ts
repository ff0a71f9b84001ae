import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { buildFiles } from "../lower/project.js";
import { displayPath } from "./files.js";
import { type CliIo, errorsOf, loadProject, lowerProject, reportProblems } from "./load.js";

export interface BuildOptions {
  out: string;
  name?: string;
}

/**
 * `journey build`: check, then write the IR. Any error: the report, nothing written, exit 1.
 * Otherwise `manifest.json`, `project.json` and `journeys/<name>.json` in the output folder, and
 * journey files left there from an earlier build of a journey that is gone are removed.
 */
export async function runBuild(paths: string[], options: BuildOptions, io: CliIo, compilerVersion: string): Promise<number> {
  const project = await loadProject(paths, io);
  if (errorsOf(project.program).length > 0) {
    reportProblems(project, io);
    io.stderr.write("Nothing was built: fix the errors above first.\n");
    return 1;
  }
  const warnings = project.program.diagnostics.filter((d) => d.severity === "warning");
  if (warnings.length > 0) reportProblems(project, io, warnings);

  const build = lowerProject(project, compilerVersion, options.name);
  const files = buildFiles(build);
  const out = resolve(io.cwd, options.out);
  await mkdir(join(out, "journeys"), { recursive: true });
  for (const stale of await readdir(join(out, "journeys"))) {
    if (stale.endsWith(".json") && !files.has(`journeys/${stale}`)) await rm(join(out, "journeys", stale));
  }
  for (const [path, text] of files) {
    await mkdir(dirname(join(out, path)), { recursive: true });
    await writeFile(join(out, path), text, "utf8");
  }
  const count = build.journeys.length;
  const shownOut = displayPath(out, io.cwd) || ".";
  io.stdout.write(`built ${count} journey${count === 1 ? "" : "s"} of project ${build.manifest.project} from ${project.files.length} file${project.files.length === 1 ? "" : "s"} into ${shownOut}\n`);
  for (const path of files.keys()) io.stdout.write(`  ${join(shownOut, path).split("\\").join("/")}\n`);
  return 0;
}
