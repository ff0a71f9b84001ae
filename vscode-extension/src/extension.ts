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

function clientOptions(watcher: vscode.FileSystemWatcher): LanguageClientOptions {
  return {
    documentSelector: [{ language: "journey" }],
    synchronize: { fileEvents: watcher },
    outputChannelName: "Journey Language Server",
  };
}

/** Starts a client; a server that cannot start is reported, and the restart command stays there to try again. */
async function start(context: vscode.ExtensionContext, watcher: vscode.FileSystemWatcher): Promise<LanguageClient | undefined> {
  const started = new LanguageClient("journey", "Journey Language Server", serverOptions(context), clientOptions(watcher));
  try {
    await started.start();
    return started;
  } catch (error) {
    void vscode.window.showErrorMessage(`The journey language server did not start: ${error instanceof Error ? error.message : String(error)}. Check journey.server.path, then run "Journey: Restart language server".`);
    return undefined;
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  // One watcher for the extension's life: .journey files and the Liquid bodies templates read.
  const watcher = vscode.workspace.createFileSystemWatcher("**/*.{journey,liquid}");
  const preview = new GraphPreview(context, () => client);
  context.subscriptions.push(
    watcher,
    vscode.commands.registerCommand("journey.restartServer", async () => {
      const previous = client;
      client = undefined;
      await previous?.stop().catch(() => undefined);
      client = await start(context, watcher);
      preview.refresh();
      if (client) void vscode.window.setStatusBarMessage("Journey language server restarted", 3000);
    }),
    vscode.commands.registerCommand("journey.showGraph", () => preview.show()),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("journey.server.path")) await vscode.commands.executeCommand("journey.restartServer");
    }),
    preview,
  );
  client = await start(context, watcher);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
