import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  type Connection,
  createConnection,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  type InitializeParams,
  type InitializeResult,
  ProposedFeatures,
  type Position,
  RequestType,
  ResponseError,
  SemanticTokensBuilder,
  TextDocuments,
  TextDocumentSyncKind,
  type TextDocumentIdentifier,
  CodeActionKind,
  DocumentHighlightKind,
  InlayHintKind,
  FoldingRangeKind,
  MarkupKind,
  ErrorCodes,
  LSPErrorCodes,
} from "vscode-languageserver/node";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import * as service from "../service/index.js";
import { CheckScheduler } from "../workspace/scheduler.js";
import { diagnosticsByFile, Workspace, type WorkspaceOptions } from "../workspace/workspace.js";
import * as convert from "./convert.js";

/** `journey/graph`: the journey under the cursor as a flowchart (see `service/graph.ts` and docs/editor.md). */
export interface GraphParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
}

export interface GraphResponse {
  uri: string;
  journey: string;
  nodes: { id: string; kind: string; label: string; name?: string; range: ReturnType<typeof convert.range> }[];
  edges: service.GraphEdge[];
  stale: boolean;
}

export const graphRequest = new RequestType<GraphParams, GraphResponse | null, void>("journey/graph");

export interface ServerOptions {
  /** How long to wait after an edit before checking the edited file (a burst of keystrokes costs one check). Default 15. */
  debounceMs?: number;
  /** How long typing must pause before the whole project is checked again. Default 250. */
  idleMs?: number;
  /** Files at least this long (characters) are re-parsed by declaration while edited. Default 100,000. */
  regionThreshold?: number;
}

const skippedFolders = new Set(["node_modules", "dist", ".git"]);

/** Every `.journey` file under a folder (as the CLI finds them: hidden folders, node_modules and dist skipped). */
function journeyFiles(folder: string, found: string[] = []): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (!skippedFolders.has(entry.name) && !entry.name.startsWith(".")) journeyFiles(join(folder, entry.name), found);
    } else if (entry.name.endsWith(".journey")) found.push(join(folder, entry.name));
  }
  return found;
}

/**
 * The language server: the LSP binding of the language service. It keeps the project's files in a
 * Workspace (open documents over the files on disk), re-checks after a short pause in typing, and
 * answers each request with plain service functions over the latest check.
 */
export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  let root: string | undefined;
  let debounceMs = 15;
  let idleMs = 250;
  const templateCache = new Map<string, string | undefined>();
  const workspaceOptions: WorkspaceOptions = {
    readFile: (path) => {
      if (templateCache.has(path)) return templateCache.get(path);
      const open = documents.get(files.uri(path));
      let text: string | undefined = open?.getText();
      if (text === undefined) {
        try {
          text = readFileSync(absolute(path), "utf8");
        } catch {
          text = undefined;
        }
      }
      if (!open) templateCache.set(path, text);
      return text;
    },
  };
  const workspace = new Workspace(workspaceOptions);
  const graphs = new service.GraphMemory();
  /** What the client can be asked to request again once the full check is done. */
  const refreshable = { semanticTokens: false, inlayHints: false, folding: false };
  /** A whole-file question about a large file being edited was declined: ask the client again after the next full check. */
  let declined = false;
  const notYet = () => {
    declined = true;
    return new ResponseError(LSPErrorCodes.ContentModified, "the file is being edited; the answer follows the next full check");
  };
  /** A file's tree for whole-file answers (outline, folding, hints); for a large file being edited, only once it is parsed whole. */
  const settledParse = (uri: string) => {
    const file = files.file(uri);
    if (!workspace.has(file)) return undefined;
    return workspace.parseIfCheap(file) ?? notYet();
  };
  const published = new Map<string, string>();

  const absolute = (file: string) => (isAbsolute(file) || !root ? file : join(root, file));
  const files: convert.Files = {
    uri: (file) => pathToFileURL(absolute(file)).href,
    file: (uri) => {
      if (!uri.startsWith("file:")) return uri;
      const path = fileURLToPath(uri);
      if (!root) return path;
      const rel = relative(root, path);
      return rel.startsWith("..") || isAbsolute(rel) ? path : rel.split(sep).join("/");
    },
  };

  /** Sends a file's diagnostics when they differ from what was last sent for it. */
  const publishFile = async (file: string, diagnostics: Diagnostic[]) => {
    const key = JSON.stringify(diagnostics);
    // A clean file is announced once it is open (the editor then knows it was checked), or once it was not clean.
    if (published.get(file) === key || (key === "[]" && !published.has(file) && !documents.get(files.uri(file)))) return;
    published.set(file, key);
    await connection.sendDiagnostics({ uri: files.uri(file), diagnostics: diagnostics.map((d) => convert.diagnostic(files, d)) });
  };
  const publishAll = async (project: service.ProjectIndex, token: { isCancelled: boolean }) => {
    const byFile = diagnosticsByFile(project);
    for (const file of published.keys()) if (!byFile.has(file)) byFile.set(file, []);
    for (const [file, diagnostics] of byFile) {
      if (token.isCancelled) return;
      await publishFile(file, diagnostics);
    }
    if (declined) {
      declined = false;
      if (refreshable.semanticTokens) void connection.languages.semanticTokens.refresh().catch(() => undefined);
      if (refreshable.inlayHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
      if (refreshable.folding) void connection.languages.foldingRange.refresh().catch(() => undefined);
    }
  };
  const publishEdited = async (file: string, project: service.ProjectIndex, token: { isCancelled: boolean }) => {
    if (token.isCancelled) return;
    // The edited file's own check also reports problems in template files it reads; those wait for the full check.
    await publishFile(file, project.program.diagnostics.filter((d) => d.file === file));
  };
  const makeScheduler = () =>
    new CheckScheduler(workspace, {
      delayMs: debounceMs,
      idleMs,
      onFileChecked: publishEdited,
      onChecked: publishAll,
      onError: (error) => connection.console.error(`journey: checking failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    });
  let scheduler = makeScheduler();

  const loadFromDisk = () => {
    if (!root) return;
    for (const path of journeyFiles(root)) {
      const file = files.file(pathToFileURL(path).href);
      try {
        workspace.set(file, readFileSync(path, "utf8"));
      } catch {
        // A file that vanished between listing and reading is simply not part of the project.
      }
    }
  };

  /**
   * The checked project and the file behind a document; `undefined` for a document we do not hold.
   * `whole`: a question about the whole project (references, rename) needs the full check; the
   * others are answered from the file's own check while typing goes on.
   */
  const at = (uri: string, whole = false, position?: Position) => {
    const file = files.file(uri);
    if (!workspace.has(file)) return undefined;
    let project = whole ? workspace.project() : workspace.fileProject(file);
    let parsed = project.file(file);
    if (!parsed) return undefined;
    // A large file's quick check is exact only where it was edited: elsewhere, the full check answers.
    if (project.exactIn && (!position || !project.isExact(file, parsed.lineIndex.offset(position.line, position.character)))) {
      project = workspace.project();
      parsed = project.file(file);
      if (!parsed) return undefined;
    }
    const index = parsed.lineIndex;
    return { project, file, parsed, offset: (p: Position) => index.offset(p.line, p.character) };
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
    if (folder?.startsWith("file:")) root = resolve(fileURLToPath(folder));
    else if (params.rootPath) root = resolve(params.rootPath);
    const options = (params.initializationOptions ?? {}) as ServerOptions;
    refreshable.semanticTokens = params.capabilities.workspace?.semanticTokens?.refreshSupport === true;
    refreshable.inlayHints = params.capabilities.workspace?.inlayHint?.refreshSupport === true;
    refreshable.folding = params.capabilities.workspace?.foldingRange?.refreshSupport === true;
    if (typeof options.debounceMs === "number" && options.debounceMs >= 0) debounceMs = options.debounceMs;
    if (typeof options.idleMs === "number" && options.idleMs >= 0) idleMs = options.idleMs;
    if (typeof options.regionThreshold === "number" && options.regionThreshold > 0) workspaceOptions.regionThreshold = options.regionThreshold;
    scheduler = makeScheduler();
    loadFromDisk();
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [".", "|", '"'] },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        foldingRangeProvider: true,
        signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [" "] },
        inlayHintProvider: true,
        semanticTokensProvider: { legend: { tokenTypes: convert.tokenTypes, tokenModifiers: convert.tokenModifiers }, full: true },
      },
      serverInfo: { name: "journey-language-server", version: "0.1.0" },
    };
  });

  connection.onInitialized(() => {
    // Files changed outside the editor (git checkout, another tool): keep the project in step.
    void connection.client
      .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*.journey" }, { globPattern: "**/*.liquid" }] })
      .catch(() => undefined);
    // Diagnostics for the files on disk, before anything is opened.
    scheduler.schedule();
  });

  documents.onDidChangeContent((change) => {
    const file = files.file(change.document.uri);
    if (file.endsWith(".liquid")) {
      templateCache.delete(file);
      workspace.touch();
      scheduler.schedule();
      return;
    }
    workspace.set(file, change.document.getText());
    scheduler.schedule(file);
  });

  documents.onDidClose((event) => {
    const file = files.file(event.document.uri);
    templateCache.delete(file);
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(absolute(file), "utf8");
    } catch {
      onDisk = undefined;
    }
    if (file.endsWith(".liquid")) workspace.touch();
    else if (onDisk === undefined || !root || relative(root, absolute(file)).startsWith("..")) {
      // A file outside the project, or deleted: it leaves the project, and its diagnostics go.
      workspace.delete(file);
      graphs.forget(file);
    } else workspace.set(file, onDisk);
    scheduler.schedule();
  });

  connection.onDidChangeWatchedFiles(({ changes }) => {
    for (const change of changes) {
      const file = files.file(change.uri);
      if (documents.get(change.uri)) continue;
      if (file.endsWith(".liquid")) {
        templateCache.delete(file);
        workspace.touch();
        continue;
      }
      if (!file.endsWith(".journey")) continue;
      if (change.type === FileChangeType.Deleted) workspace.delete(file);
      else {
        try {
          workspace.set(file, readFileSync(fileURLToPath(change.uri), "utf8"));
        } catch {
          workspace.delete(file);
        }
      }
    }
    scheduler.schedule();
  });

  connection.onCompletion((params) => {
    const here = at(params.textDocument.uri, false, params.position);
    if (!here) return [];
    const result = service.completion(here.project, here.file, here.offset(params.position));
    const replace = convert.range(here.parsed.lineIndex.range(result.replace.start, result.replace.end));
    return { isIncomplete: false, items: result.items.map((item, i) => convert.completionItem(item, replace, i)) };
  });

  connection.onHover((params) => {
    const here = at(params.textDocument.uri, false, params.position);
    if (!here) return null;
    const result = service.hover(here.project, here.file, here.offset(params.position));
    if (!result) return null;
    return { contents: { kind: MarkupKind.Markdown, value: result.contents }, range: convert.range(result.location.range) };
  });

  connection.onDefinition((params) => {
    const here = at(params.textDocument.uri, false, params.position);
    if (!here) return [];
    return service.definition(here.project, here.file, here.offset(params.position)).map((l) => convert.location(files, l));
  });

  connection.onReferences((params) => {
    const here = at(params.textDocument.uri, true);
    if (!here) return [];
    return service.references(here.project, here.file, here.offset(params.position), params.context.includeDeclaration).map((l) => convert.location(files, l));
  });

  connection.onDocumentHighlight((params) => {
    const here = at(params.textDocument.uri, false, params.position);
    if (!here) return [];
    return service.highlights(here.project, here.file, here.offset(params.position)).map((h) => ({
      range: convert.range(h.range),
      kind: h.declaration ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
    }));
  });

  connection.onPrepareRename((params) => {
    const here = at(params.textDocument.uri, true);
    if (!here) return null;
    const target = service.prepareRename(here.project, here.file, here.offset(params.position));
    return target ? { range: convert.range(target.location.range), placeholder: target.placeholder } : null;
  });

  connection.onRenameRequest((params) => {
    const here = at(params.textDocument.uri, true);
    if (!here) return null;
    const result = service.rename(here.project, here.file, here.offset(params.position), params.newName);
    if (!result.ok) return new ResponseError(ErrorCodes.InvalidRequest, result.reason);
    return convert.workspaceEdit(files, result.edits.map((e) => ({ file: e.file, range: e.location.range, newText: e.newText })));
  });

  connection.onDocumentSymbol((params) => {
    const parsed = settledParse(params.textDocument.uri);
    if (parsed instanceof ResponseError) return parsed;
    return parsed ? service.documentSymbols(parsed).map(convert.documentSymbol) : [];
  });

  connection.onWorkspaceSymbol((params) => {
    const project = workspace.project();
    return service.workspaceSymbols(project, params.query).map((s) => ({
      name: s.name,
      kind: convert.outlineSymbolKind(s.kind),
      location: convert.location(files, s.selection),
      containerName: s.detail,
    }));
  });

  connection.onDocumentFormatting((params) => {
    const file = files.file(params.textDocument.uri);
    const text = documents.get(params.textDocument.uri)?.getText() ?? workspace.text(file);
    if (text === undefined) return [];
    return service.formatEdits(text, file).map((e) => ({ range: convert.range(e.range), newText: e.newText }));
  });

  connection.onCodeAction((params) => {
    const here = at(params.textDocument.uri, false, params.range.start);
    if (!here) return [];
    const start = here.offset(params.range.start);
    const end = here.offset(params.range.end);
    return service.codeActions(here.project, here.file, start, end).map((a) => convert.codeAction(files, a));
  });

  connection.onFoldingRanges((params) => {
    const parsed = settledParse(params.textDocument.uri);
    if (parsed instanceof ResponseError) return parsed;
    if (!parsed) return [];
    return service.foldingRanges(parsed).map((r) => (r.kind ? { startLine: r.startLine, endLine: r.endLine, kind: FoldingRangeKind.Comment } : { startLine: r.startLine, endLine: r.endLine }));
  });

  connection.onSignatureHelp((params) => {
    const here = at(params.textDocument.uri, false, params.position);
    if (!here) return null;
    const help = service.signatureHelp(here.parsed.text, here.offset(params.position));
    if (!help) return null;
    return {
      signatures: [
        {
          label: help.label,
          documentation: { kind: MarkupKind.Markdown, value: help.documentation },
          parameters: help.parameters.map((p) => ({ label: p })),
        },
      ],
      activeSignature: 0,
      activeParameter: help.activeParameter,
    };
  });

  connection.languages.inlayHint.on((params) => {
    const parsed = settledParse(params.textDocument.uri);
    if (parsed instanceof ResponseError) return parsed;
    if (!parsed) return [];
    const start = parsed.lineIndex.offset(params.range.start.line, params.range.start.character);
    const end = parsed.lineIndex.offset(params.range.end.line, params.range.end.character);
    return service.inlayHints(parsed, start, end).map((h) => ({
      position: { line: h.line, character: h.column },
      label: h.label,
      tooltip: h.tooltip,
      kind: InlayHintKind.Type,
      paddingLeft: true,
    }));
  });

  connection.languages.semanticTokens.on((params) => {
    const file = files.file(params.textDocument.uri);
    // A large file being edited has only its edited declarations checked: colours follow the full check.
    if (workspace.has(file) && workspace.isLarge(file) && !workspace.upToDate) return notYet();
    const here = at(params.textDocument.uri);
    const builder = new SemanticTokensBuilder();
    if (!here) return builder.build();
    for (const token of service.semanticTokens(here.project, here.file)) {
      builder.push(token.line, token.column, token.length, convert.tokenTypeOf[token.type] ?? 2, token.declaration ? 1 : 0);
    }
    return builder.build();
  });

  connection.onRequest(graphRequest, (params) => {
    const file = files.file(params.textDocument.uri);
    const parsed = workspace.parse(file);
    if (!parsed) return null;
    const graph = graphs.graph(parsed, parsed.lineIndex.offset(params.position.line, params.position.character));
    if (!graph) return null;
    return {
      uri: params.textDocument.uri,
      journey: graph.journey,
      nodes: graph.nodes.map((n) => ({ ...n, range: convert.range(n.range) })),
      edges: graph.edges,
      stale: graph.stale,
    };
  });

  connection.onShutdown(() => scheduler.dispose());

  documents.listen(connection);
  connection.listen();
  return connection;
}
