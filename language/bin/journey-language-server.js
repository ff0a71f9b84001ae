#!/usr/bin/env node
// The journey language server over stdio (or --node-ipc / --socket=<port>): `journey-language-server --stdio`.
if (!process.argv.slice(2).some((a) => a === "--stdio" || a === "--node-ipc" || a.startsWith("--socket") || a.startsWith("--pipe"))) {
  process.argv.push("--stdio");
}
await import("../dist/lsp/server.js");
