import { closestName } from "@journey/language";
import { type GraphFormat, renderGraph } from "../graph/render.js";
import { UsageError } from "./files.js";
import { type CliIo, errorsOf, loadProject, lowerProject, reportProblems } from "./load.js";

/**
 * `journey graph <journey>`: the journey's flowchart on stdout. An unknown journey is a usage
 * error (exit 2) that names the journeys there are; a project with errors gets the check report
 * and exit 1.
 */
export async function runGraph(journey: string, paths: string[], format: GraphFormat, io: CliIo, compilerVersion: string): Promise<number> {
  const project = await loadProject(paths, io);
  const names = [...project.program.symbols.journeys.keys()].sort();
  if (!project.program.symbols.journeys.has(journey)) {
    if (names.length === 0) throw new UsageError(`unknown journey \`${journey}\`: there are no journeys in ${paths.length > 0 ? paths.join(", ") : "this folder"}`);
    const suggestion = closestName(journey, names);
    throw new UsageError(`unknown journey \`${journey}\`${suggestion ? `: did you mean \`${suggestion}\`?` : "."} The journeys are: ${names.join(", ")}.`);
  }
  if (errorsOf(project.program).length > 0) {
    reportProblems(project, io);
    io.stderr.write("No graph: fix the errors above first.\n");
    return 1;
  }
  const build = lowerProject(project, compilerVersion);
  const lowered = build.journeys.find((j) => j.name === journey);
  if (!lowered) throw new Error(`journey ${journey} was not lowered`);
  io.stdout.write(renderGraph(lowered, format));
  return 0;
}
