import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { previewHtml } from "./html.mjs";
import type { FromPage, JourneyGraph, ToPage } from "./protocol.js";

/**
 * The journey graph beside the editor. It asks the server (`journey/graph`) for the journey under
 * the cursor shortly after typing stops or the cursor moves, and posts it to the page; the server
 * keeps the last good graph while the file has errors (marked stale). Clicking a node reveals it.
 */
export class GraphPreview implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private editor: vscode.TextEditor | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private request = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === this.editor?.document) this.schedule();
      }),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor.document.languageId !== "journey") return;
        this.editor = event.textEditor;
        this.schedule();
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor?.document.languageId !== "journey") return;
        this.editor = editor;
        this.schedule(0);
      }),
    );
  }

  show(): void {
    const active = vscode.window.activeTextEditor;
    if (active?.document.languageId === "journey") this.editor = active;
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      this.refresh();
      return;
    }
    const dist = vscode.Uri.joinPath(this.context.extensionUri, "dist");
    const panel = vscode.window.createWebviewPanel("journey.graph", "Journey graph", { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [dist],
      retainContextWhenHidden: true,
    });
    const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, "preview.js"));
    panel.webview.html = previewHtml({ scriptSrc: script.toString(), cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString("base64") });
    panel.webview.onDidReceiveMessage((message: FromPage) => this.onMessage(message), undefined, this.subscriptions);
    panel.onDidDispose(() => {
      this.panel = undefined;
    });
    this.panel = panel;
  }

  /** Asks for the graph again now (after a restart of the server, or when the page is ready). */
  refresh(): void {
    this.schedule(0);
  }

  private schedule(delay = vscode.workspace.getConfiguration("journey").get<number>("preview.refreshDelay") ?? 300): void {
    if (!this.panel) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), delay);
  }

  private async update(): Promise<void> {
    const editor = this.editor;
    const client = this.client();
    if (!this.panel || !editor || !client) return;
    const request = ++this.request;
    let graph: JourneyGraph | null = null;
    try {
      graph = await client.sendRequest<JourneyGraph | null>("journey/graph", {
        textDocument: { uri: editor.document.uri.toString() },
        position: { line: editor.selection.active.line, character: editor.selection.active.character },
      });
    } catch {
      return;
    }
    // A newer request was made meanwhile: its answer will be drawn instead.
    if (request !== this.request || !this.panel) return;
    const message: ToPage = { type: "graph", graph };
    await this.panel.webview.postMessage(message);
  }

  private async onMessage(message: FromPage): Promise<void> {
    if (message.type === "ready") {
      this.refresh();
      return;
    }
    if (message.type !== "reveal") return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(message.uri));
    const { start, end } = message.range;
    const range = new vscode.Range(start.line, start.character, end.line, end.character);
    const column = this.editor?.document.uri.toString() === message.uri ? this.editor.viewColumn : vscode.ViewColumn.One;
    const editor = await vscode.window.showTextDocument(document, { viewColumn: column, selection: new vscode.Range(range.start, range.start) });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panel?.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
