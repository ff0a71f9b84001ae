/**
 * The language server's entry: `node language/dist/lsp/server.js --stdio` (or `--node-ipc`,
 * `--socket=<port>`), also installed as `journey-language-server` and run by `journey lsp --stdio`.
 */
import { startServer } from "./connection.js";

startServer();
