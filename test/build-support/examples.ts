import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type Build, compile } from "@journey/compiler";

export const root = join(import.meta.dirname, "../..");
export const examples = join(root, "examples");

/** Every `.journey` file under a folder, sorted, as paths relative to the repository root. */
export function journeyFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...journeyFiles(path));
    else if (entry.name.endsWith(".journey")) found.push(relative(root, path));
  }
  return found.sort();
}

function readFromRoot(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), "utf8");
  } catch {
    return undefined;
  }
}

/** Builds a project folder of this repository as `journey build` does (paths in the IR relative to the folder). */
export function buildFolder(
  folder: string,
  order: "sorted" | "reversed" = "sorted",
  extra: { file: string; text: string }[] = [],
  keep: (file: string) => boolean = () => true,
): Build {
  const base = relative(root, folder);
  const files = journeyFiles(folder).filter(keep);
  if (order === "reversed") files.reverse();
  const result = compile(
    [...files.map((file) => ({ file, text: readFileSync(join(root, file), "utf8") })), ...extra],
    { project: "examples", readFile: readFromRoot, sourcePath: (file) => relative(base, file).split("\\").join("/"), compilerVersion: "test" },
  );
  if (!result.build) throw new Error(result.diagnostics.map((d) => `${d.file}:${d.range.start.line + 1} ${d.code} ${d.message}`).join("\n"));
  return result.build;
}
