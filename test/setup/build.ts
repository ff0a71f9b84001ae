import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** End-to-end tests run the built, bundled CLI: make sure it matches the sources (incremental, quick when current). */
export default function build(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const run = (script: string, args: string[]) => execFileSync(process.execPath, [script, ...args], { cwd: root, stdio: "inherit" });
  run(fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url)), ["-b"]);
  run(fileURLToPath(new URL("../../scripts/bundle-cli.mjs", import.meta.url)), []);
}
