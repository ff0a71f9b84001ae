/**
 * A real LSP client for tests: spawns the BUILT server (`node language/dist/lsp/server.js --stdio`,
 * or the `journey lsp --stdio` CLI) and speaks the protocol to it over stdio.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  type Diagnostic,
  type Position,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  ConfigurationRequest,
} from "vscode-languageserver-protocol/node";

export const repoRoot = join(import.meta.dirname, "..");
export const serverPath = join(repoRoot, "language/dist/lsp/server.js");
export const cliPath = join(repoRoot, "compiler/bin/journey.js");

/** Text with cursor markers `<|>`: the text without them, and where each was. */
export function fixture(marked: string): { text: string; offsets: number[] } {
  const offsets: number[] = [];
  let text = "";
  let rest = marked;
  for (;;) {
    const at = rest.indexOf("<|>");
    if (at < 0) break;
    text += rest.slice(0, at);
    offsets.push(text.length);
    rest = rest.slice(at + 3);
  }
  return { text: text + rest, offsets };
}

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

/** A temporary project folder: a copy of examples/ (when asked) plus the given files. */
export function makeProject(files: Record<string, string>, withExamples = true): string {
  const dir = mkdtempSync(join(tmpdir(), "journey-lsp-"));
  if (withExamples) cpSync(join(repoRoot, "examples"), dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export class LspClient {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  private waiters: { uri: string; test: (d: Diagnostic[]) => boolean; resolve: (d: Diagnostic[]) => void }[] = [];
  private versions = new Map<string, number>();
  readonly texts = new Map<string, string>();
  /** Called with every publication (a connection has one handler per method: this one is the harness's). */
  readonly listeners = new Set<(uri: string, diagnostics: Diagnostic[]) => void>();
  /** What the server wrote to stderr (shown when a wait fails). */
  stderr = "";

  private constructor(
    readonly root: string,
    readonly process: ChildProcess,
    readonly connection: ProtocolConnection,
  ) {
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.set(params.uri, params.diagnostics);
      for (const listener of this.listeners) listener(params.uri, params.diagnostics);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri !== params.uri || !w.test(params.diagnostics)) return true;
        w.resolve(params.diagnostics);
        return false;
      });
    });
    process.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    connection.onRequest(RegistrationRequest.type, () => undefined);
    connection.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => null));
  }

  /** Starts the server in `root`: by default the built server file; `cli` runs `journey lsp --stdio`. */
  static async start(root: string, options: { cli?: boolean; server?: string; initializationOptions?: unknown } = {}): Promise<LspClient> {
    const args = options.cli ? [cliPath, "lsp", "--stdio"] : [options.server ?? serverPath, "--stdio"];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    const stdout = child.stdout;
    const stdin = child.stdin;
    if (!stdout || !stdin) throw new Error("the server has no stdio");
    const connection = createProtocolConnection(new StreamMessageReader(stdout), new StreamMessageWriter(stdin));
    const client = new LspClient(root, child, connection);
    connection.listen();
    await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: "project" }],
      capabilities: {
        workspace: { didChangeWatchedFiles: { dynamicRegistration: true }, semanticTokens: { refreshSupport: true } },
        textDocument: { publishDiagnostics: { relatedInformation: true } },
      },
      initializationOptions: options.initializationOptions ?? { debounceMs: 10 },
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  uri(file: string): string {
    return pathToFileURL(join(this.root, file)).href;
  }

  async open(file: string, text: string): Promise<string> {
    const uri = this.uri(file);
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "journey", version: 1, text } });
    return uri;
  }

  /** Replaces the whole text of an open document. */
  async change(file: string, text: string): Promise<void> {
    const uri = this.uri(file);
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.texts.set(uri, text);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  /** An incremental edit: replace [start, end) offsets of the current text. */
  async edit(file: string, start: number, end: number, newText: string): Promise<void> {
    const uri = this.uri(file);
    const old = this.texts.get(uri) ?? "";
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.texts.set(uri, old.slice(0, start) + newText + old.slice(end));
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: positionAt(old, start), end: positionAt(old, end) }, text: newText }],
    });
  }

  /** Resolves with the next published diagnostics of `file` that pass `test` (or the current ones, if they do). */
  waitForDiagnostics(file: string, test: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 20_000): Promise<Diagnostic[]> {
    const uri = this.uri(file);
    const current = this.diagnostics.get(uri);
    if (current && test(current)) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${file}; last: ${JSON.stringify(this.diagnostics.get(uri))}; server stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        uri,
        test,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
      });
    });
  }

  /** The next publication for `file`, whatever it holds. */
  nextDiagnostics(file: string, timeoutMs = 20_000): Promise<Diagnostic[]> {
    const uri = this.uri(file);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics published for ${file}`)), timeoutMs);
      this.waiters.push({
        uri,
        test: () => true,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
      });
    });
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // The server may already be gone.
    }
    await new Promise<void>((resolve) => {
      if (this.process.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        this.process.kill();
        resolve();
      }, 3000);
      this.process.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.connection.dispose();
  }
}
