import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";

/** A usage problem the CLI reports with exit code 2 (a path that does not exist, a bad option). */
export class UsageError extends Error {}

const skippedFolders = new Set(["node_modules", "dist", ".git"]);

/** Every `.journey` file under the given paths (folders recursively), sorted, without duplicates. */
export async function findJourneyFiles(paths: string[], cwd = process.cwd()): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths.length ? paths : ["."]) {
    const absolute = resolve(cwd, path);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(absolute);
    } catch {
      throw new UsageError(`cannot read \`${path}\`: no such file or folder`);
    }
    if (info.isDirectory()) await walk(absolute, found);
    else found.add(absolute);
  }
  return [...found].sort();
}

async function walk(folder: string, found: Set<string>): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (!skippedFolders.has(entry.name) && !entry.name.startsWith(".")) await walk(join(folder, entry.name), found);
    } else if (entry.name.endsWith(".journey")) {
      found.add(join(folder, entry.name));
    }
  }
}

export async function readSource(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read \`${path}\`: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** Paths as the user reads them: relative to the working directory. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel.startsWith("..") ? path : rel;
}
