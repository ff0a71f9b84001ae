import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from "vscode-languageclient/node";
import { GraphPreview } from "./preview/panel.js";

/**
 * The VS Code client: starts the journey language server (bundled, or the one `journey.server.path`
 * names) and adds the commands the server cannot: restart, and the journey graph preview. All
 * language logic lives in the server.
 */
let client: LanguageClient | undefined;

function serverOptions(context: vscode.ExtensionContext): ServerOptions {
  const configured = vscode.workspace.getConfiguration("journey").get<string>("server.path")?.trim();
  if (configured) {
    // The client adds --stdio; the `journey` CLI needs its `lsp` command before it.
    if (/\.(c|m)?js$/.test(configured)) return { module: configured, transport: TransportKind.stdio };
    const cli = /(^|[\\/])journey(\.cmd|\.exe)?$/.test(configured);
    return { command: configured, transport: TransportKind.stdio, args: cli ? ["lsp"] : [] };
  }
  const module = context.asAbsolutePath("dist/server.js");
  return {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6010"] } },
  };
}

function clientOptions(): LanguageClientOptions {
  return {
    documentSelector: [{ language: "journey" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{journey,liquid}") },
    outputChannelName: "Journey Language Server",
  };
}

async function start(context: vscode.ExtensionContext): Promise<LanguageClient> {
  const started = new LanguageClient("journey", "Journey Language Server", serverOptions(context), clientOptions());
  await started.start();
  return started;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = await start(context);
  const preview = new GraphPreview(context, () => client);

  context.subscriptions.push(
    vscode.commands.registerCommand("journey.restartServer", async () => {
      const previous = client;
      client = undefined;
      await previous?.stop();
      client = await start(context);
      preview.refresh();
      void vscode.window.setStatusBarMessage("Journey language server restarted", 3000);
    }),
    vscode.commands.registerCommand("journey.showGraph", () => preview.show()),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("journey.server.path")) await vscode.commands.executeCommand("journey.restartServer");
    }),
    preview,
  );
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
