import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { compile } from "@journey/compiler";
import { type LoadedProject, loadProject } from "../model/project.js";

/** The repository's examples/ folder. */
export const examplesDir = join(import.meta.dirname, "..", "..", "..", "examples");

let cached: LoadedProject | undefined;

/** The examples compiled to the IR and loaded as the runtime loads a build (tests only: it uses the compiler). */
export function compileExamples(): LoadedProject {
  if (cached) return cached;
  const files = readdirSync(examplesDir).filter((f) => f.endsWith(".journey"));
  const sources = files.map((file) => ({ file, text: readFileSync(join(examplesDir, file), "utf8") }));
  const result = compile(sources, {
    project: "examples",
    readFile: (path) => {
      try {
        return readFileSync(join(examplesDir, path), "utf8");
      } catch {
        return undefined;
      }
    },
    sourcePath: (file) => relative(examplesDir, join(examplesDir, file)),
  });
  if (!result.build) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.file}:${d.range.start.line + 1}: ${d.message}`);
    throw new Error(`the examples do not compile:\n${errors.join("\n")}`);
  }
  cached = loadProject(result.build);
  return cached;
}
