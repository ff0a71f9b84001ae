/**
 * The preview's page. Shared by the extension (in a webview) and the browser test (in Chromium),
 * so the test renders exactly what VS Code shows.
 */
export interface PreviewPage {
  /** Where the bundled webview script is (a webview URI in VS Code, a file in the test). */
  scriptSrc: string;
  /** The webview's `cspSource`; scripts run only with the nonce. */
  cspSource: string;
  nonce: string;
}

export function previewHtml(page: PreviewPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${page.cspSource} 'unsafe-inline'; script-src 'nonce-${page.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Journey graph</title>
<style>
  body { margin: 0; padding: 8px 12px; font-family: var(--vscode-font-family, sans-serif); font-size: 12px;
         color: var(--vscode-foreground, #222); background: var(--vscode-editor-background, #fff); }
  header { display: flex; gap: 8px; align-items: baseline; margin-bottom: 6px; }
  header h1 { font-size: 13px; margin: 0; }
  #stale { display: none; color: var(--vscode-editorWarning-foreground, #b26b00); }
  body.stale #stale { display: inline; }
  body.stale svg { opacity: 0.55; }
  #empty { color: var(--vscode-descriptionForeground, #666); }
  svg { overflow: visible; }
  .node { cursor: pointer; }
  .node rect { fill: var(--vscode-editorWidget-background, #f3f3f3); stroke: var(--vscode-editorWidget-border, #888); rx: 6; }
  .node:hover rect { stroke: var(--vscode-focusBorder, #0066cc); stroke-width: 2; }
  .node .kind { font-size: 10px; text-transform: uppercase; letter-spacing: 0.04em; fill: var(--vscode-descriptionForeground, #666); }
  .node .label { font-family: var(--vscode-editor-font-family, monospace); fill: var(--vscode-foreground, #222); }
  .node.kind-start rect, .node.kind-end rect { fill: var(--vscode-badge-background, #ddd); }
  .node.kind-exit rect { stroke-dasharray: 4 3; }
  .edge path { fill: none; stroke: var(--vscode-editorLineNumber-foreground, #999); stroke-width: 1.4; marker-end: url(#arrow); }
  .edge text { font-size: 11px; fill: var(--vscode-textLink-foreground, #0066cc); }
  .edge rect { fill: var(--vscode-editor-background, #fff); }
  #arrow path { fill: var(--vscode-editorLineNumber-foreground, #999); }
</style>
</head>
<body>
<header><h1 id="title">Journey graph</h1><span id="stale">the file has errors: showing the last good graph</span></header>
<div id="empty">Put the cursor in a journey to see its graph.</div>
<div id="graph"></div>
<script nonce="${page.nonce}" src="${page.scriptSrc}"></script>
</body>
</html>`;
}
