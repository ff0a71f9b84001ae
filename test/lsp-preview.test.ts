import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { previewHtml } from "../vscode-extension/src/preview/html.mjs";
import type { JourneyGraph } from "../vscode-extension/src/preview/protocol.js";
import { repoRoot } from "./lsp-harness.js";

const chromiumPath = "/usr/bin/chromium";

/** What the test reads and calls in the page (the test itself is type-checked without the DOM library). */
interface PageGlobals {
  __posted: unknown[];
  postMessage(message: unknown, target: string): void;
  document: { body: { classList: { contains(name: string): boolean } } };
}


/** A fixed graph, as the server's journey/graph returns it for examples/abandoned_cart.journey. */
const range = (line: number) => ({ start: { line, character: 2 }, end: { line, character: 30 } });
const graph: JourneyGraph = {
  uri: "file:///project/abandoned_cart.journey",
  journey: "abandoned_cart",
  stale: false,
  nodes: [
    { id: "start", kind: "start", label: "when cart_abandoned where value > 20 per cart_id", range: range(6) },
    { id: "cool_off", kind: "wait", label: "wait 1 hour", name: "cool_off", range: range(13) },
    { id: "reminder", kind: "send", label: "send email cart_reminder", name: "reminder", range: range(14) },
    { id: "last_call", kind: "wait", label: "wait for purchase matching cart_id up to 1 day", name: "last_call", range: range(15) },
    { id: "step1", kind: "split", label: "split", range: range(17) },
    { id: "step2", kind: "send", label: "send sms cart_sms", range: range(19) },
    { id: "step3", kind: "send", label: "send push cart_push", range: range(22) },
    { id: "end", kind: "end", label: "end", range: range(26) },
  ],
  edges: [
    { from: "start", to: "cool_off" },
    { from: "cool_off", to: "reminder" },
    { from: "reminder", to: "last_call" },
    { from: "last_call", to: "step1", label: "after 1 day" },
    { from: "step1", to: "step2", label: "50% text" },
    { from: "step1", to: "step3", label: "50% push" },
    { from: "last_call", to: "end", label: "purchase" },
    { from: "step2", to: "end" },
    { from: "step3", to: "end" },
  ],
};

describe("journey graph preview in headless Chromium", () => {
  let dir: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    expect(existsSync(chromiumPath), "Debian's chromium must be installed (.ci/run installs it)").toBe(true);
    dir = mkdtempSync(join(tmpdir(), "journey-preview-"));
    await build({
      entryPoints: [join(repoRoot, "vscode-extension/src/preview/webview.ts")],
      outfile: join(dir, "preview.js"),
      bundle: true,
      format: "iife",
      platform: "browser",
      logLevel: "warning",
    });
    const nonce = "test-nonce";
    // The page talks to VS Code through acquireVsCodeApi(); here a stub records what it posts.
    const stub = `<script nonce="${nonce}">window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => null, setState: () => {} });</script>`;
    const html = previewHtml({ scriptSrc: "preview.js", cspSource: "'self'", nonce }).replace("<script nonce", `${stub}\n<script nonce`);
    writeFileSync(join(dir, "index.html"), html);
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pathToFileURL(join(dir, "index.html")).href);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__posted.length > 0);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("says it is ready, and shows a hint before any graph arrives", async () => {
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__posted)).toEqual([{ type: "ready" }]);
    expect(await page.locator("#empty").isVisible()).toBe(true);
  });

  it("draws every step as a node, with its kind and label, and every edge with its condition", async () => {
    await page.evaluate((g) => (globalThis as unknown as PageGlobals).postMessage({ type: "graph", graph: g }, "*"), graph);
    await page.waitForSelector("svg g.node");
    const nodes = await page.$$eval("svg g.node", (els) => els.map((e) => `${e.getAttribute("data-id")}|${e.querySelector(".kind")?.textContent}|${e.querySelector(".label")?.textContent}`));
    expect(nodes).toEqual([
      "start|start|when cart_abandoned where value > 20 per cart_id",
      "cool_off|wait · cool_off|wait 1 hour",
      "reminder|send · reminder|send email cart_reminder",
      "last_call|wait · last_call|wait for purchase matching cart_id up to 1 day",
      "step1|split|split",
      "step2|send|send sms cart_sms",
      "step3|send|send push cart_push",
      "end|end|end",
    ]);
    expect(await page.$$eval("svg g.edge", (els) => els.length)).toBe(graph.edges.length);
    const edgeLabels = await page.$$eval("svg g.edge text", (els) => els.map((e) => e.textContent));
    expect(edgeLabels).toEqual(["after 1 day", "50% text", "50% push", "purchase"]);
    expect(await page.locator("#title").textContent()).toBe("journey abandoned_cart");
    // Laid out top to bottom: the trigger above the first step, the first step above the second.
    const y = async (id: string) => (await page.locator(`g.node[data-id="${id}"]`).boundingBox())?.y ?? 0;
    expect(await y("start")).toBeLessThan(await y("cool_off"));
    expect(await y("cool_off")).toBeLessThan(await y("reminder"));
    await page.screenshot({ path: join(tmpdir(), "journey-preview.png") });
  });

  it("posts a reveal message with the step's source range when a node is clicked", async () => {
    await page.locator('g.node[data-id="reminder"]').click();
    const posted = await page.evaluate(() => (globalThis as unknown as PageGlobals).__posted);
    expect(posted[posted.length - 1]).toEqual({ type: "reveal", uri: graph.uri, range: range(14) });
  });

  it("marks a stale graph", async () => {
    expect(await page.locator("#stale").isVisible()).toBe(false);
    await page.evaluate((g) => (globalThis as unknown as PageGlobals).postMessage({ type: "graph", graph: { ...g, stale: true } }, "*"), graph);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.classList.contains("stale"));
    expect(await page.locator("#stale").isVisible()).toBe(true);
    expect(await page.$$eval("svg g.node", (els) => els.length)).toBe(graph.nodes.length);
  });
});
