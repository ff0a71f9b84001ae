// Bundles the `journey` CLI into one file, compiler/dist/journey.mjs, after `tsc -b`.
// Why: Node loads chevrotain and its lodash-es as hundreds of modules (~300 ms at every start);
// one bundled file starts in ~100 ms, which every CI check and editor save pays.
// The runtime package stays external: `dev`, `serve` and `worker` load it only when used.
import { build } from "esbuild";

await build({
  entryPoints: ["compiler/dist/cli/main.js"],
  outfile: "compiler/dist/journey.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@journey/runtime"],
  // CommonJS dependencies (commander) call require() for Node's own modules.
  banner: { js: "import { createRequire as __journeyRequire } from 'node:module'; const require = __journeyRequire(import.meta.url);" },
  logLevel: "warning",
});
