// Bundles the extension, the language server and the preview page with esbuild, so the .vsix
// carries no node_modules: `node build.mjs` (add --production to minify, --watch to rebuild).
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: "warning", legalComments: "none" };

const builds = [
  // The client runs in VS Code's extension host (Node, CommonJS); `vscode` is provided by the host.
  { ...common, entryPoints: [here("./src/extension.ts")], outfile: here("./dist/extension.js"), platform: "node", format: "cjs", target: "node20", external: ["vscode"] },
  // The language server, built from the language package's sources: the same code `journey lsp` runs.
  { ...common, entryPoints: [here("../language/src/lsp/server.ts")], outfile: here("./dist/server.js"), platform: "node", format: "cjs", target: "node20" },
  // The graph preview's page script, for the webview (a browser).
  { ...common, entryPoints: [here("./src/preview/webview.ts")], outfile: here("./dist/preview.js"), platform: "browser", format: "iife", target: "es2022" },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
