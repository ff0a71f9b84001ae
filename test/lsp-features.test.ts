import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DocumentHighlightRequest,
  DocumentSymbolRequest,
  type DocumentSymbol,
  FoldingRangeRequest,
  InlayHintRequest,
  SemanticTokensRequest,
  SignatureHelpRequest,
  WorkspaceSymbolRequest,
  type SymbolInformation,
} from "vscode-languageserver-protocol/node";
import { fixture, LspClient, makeProject, positionAt, repoRoot } from "./lsp-harness.js";

describe("language server: outline, tokens, folding, signatures, hints, graph", () => {
  let client: LspClient;

  beforeAll(async () => {
    client = await LspClient.start(makeProject({}));
  });

  afterAll(async () => {
    await client?.stop();
  });

  const open = async (file: string, marked: string) => {
    const { text, offsets } = fixture(marked);
    const uri = await client.open(file, text);
    return { uri, text, positions: offsets.map((o) => positionAt(text, o)) };
  };

  it("lists a file's declarations, fields and labelled steps", async () => {
    const uri = await client.open("abandoned_cart.journey", readFileSync(join(repoRoot, "examples/abandoned_cart.journey"), "utf8"));
    const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
    expect(symbols.map((s) => s.name)).toEqual(["abandoned_cart"]);
    expect(symbols[0]?.children?.map((c) => `${c.name}: ${c.detail}`)).toEqual([
      "cool_off: wait 1 hour",
      "reminder: send email cart_reminder",
      "last_call: wait for purchase matching cart_id up to 1 day",
    ]);
    const schema = await client.open("schema.journey", readFileSync(join(repoRoot, "examples/schema.journey"), "utf8"));
    const schemaSymbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: schema } })) as DocumentSymbol[];
    const customer = schemaSymbols.find((s) => s.name === "customer");
    expect(customer?.children?.map((c) => c.name)).toContain("loyalty_tier");
    expect(customer?.children?.find((c) => c.name === "consent")?.children?.map((c) => c.name)).toEqual(["email", "sms", "push"]);
  });

  it("finds declarations across the project by name", async () => {
    const symbols = (await client.connection.sendRequest(WorkspaceSymbolRequest.type, { query: "promo" })) as SymbolInformation[];
    const names = symbols.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["promo_fallback", "promo_audience", "promo_email", "promo_sms"]));
    expect(names.every((n) => /p.*r.*o.*m.*o/i.test(n))).toBe(true);
  });

  it("colours names by what they are: events, segments, fields, templates", async () => {
    const { uri, text } = await open("tokens.journey", "segment tok = engaged and count(purchase, last 7 days) >= 1 and loyalty_tier == \"gold\"\n");
    const result = await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } });
    const legend = ["event", "class", "variable", "enum", "number", "function", "namespace", "property", "decorator"];
    const decoded: string[] = [];
    let line = 0;
    let character = 0;
    const data = result?.data ?? [];
    for (let i = 0; i < data.length; i += 5) {
      const [deltaLine, deltaStart, length, type, modifiers] = data.slice(i, i + 5) as [number, number, number, number, number];
      line += deltaLine;
      character = deltaLine === 0 ? character + deltaStart : deltaStart;
      const lineText = text.split("\n")[line] ?? "";
      decoded.push(`${lineText.slice(character, character + length)}:${legend[type]}${modifiers & 1 ? "+declaration" : ""}`);
    }
    expect(decoded).toEqual(["tok:variable+declaration", "engaged:variable", "purchase:event", "loyalty_tier:property"]);
  });

  it("folds declarations, blocks and runs of comments", async () => {
    const text = readFileSync(join(repoRoot, "examples/abandoned_cart.journey"), "utf8");
    const uri = await client.open("abandoned_cart.journey", text);
    const ranges = await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
    const lines = text.split("\n");
    const journeyLine = lines.findIndex((l) => l.startsWith("journey abandoned_cart"));
    const splitLine = lines.findIndex((l) => l.trim() === "split {");
    expect(ranges).toEqual(expect.arrayContaining([{ startLine: 0, endLine: 2, kind: "comment" }]));
    expect(ranges?.some((r) => r.startLine === journeyLine && r.endLine === lines.length - 3)).toBe(true);
    expect(ranges?.some((r) => r.startLine === splitLine)).toBe(true);
  });

  it("shows the signature of an aggregate and of `recommend`, with the argument being written", async () => {
    const { uri, positions } = await open("sig.journey", "segment sig = sum(purchase.total, <|>\n");
    const help = await client.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri }, position: positions[0] ?? { line: 0, character: 0 } });
    expect(help?.signatures[0]?.label).toBe("sum(event.field, window)");
    expect(help?.activeParameter).toBe(1);
    const rec = await open("rec.journey", "journey rec {\n  when page_view\n  show in_app store_picks {\n    recommend 4 Product like last purchase.items boost <|>\n  }\n}\n");
    const recHelp = await client.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri: rec.uri }, position: rec.positions[0] ?? { line: 0, character: 0 } });
    expect(recHelp?.signatures[0]?.label).toContain("recommend <count> <Object>");
    expect(recHelp?.activeParameter).toBe(3);
  });

  it("hints how long after entry each wait ends", async () => {
    const text = "journey hints {\n  when signed_up\n  goal purchase within 7 days\n\n  wait 1 hour\n  wait 90 minutes\n  wait for email_opened up to 2 days else {\n    wait 1 day\n  }\n  wait 1 week\n}\n";
    const uri = await client.open("hints.journey", text);
    const hints = await client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } } });
    expect(hints?.map((h) => `${h.position.line}:${h.label}`)).toEqual(["4:t+1h", "5:t+2h 30m", "6:t+2d 2h 30m", "7:t+3d 2h 30m", "9:t≥7d 2h 30m"]);
  });

  it("highlights the occurrences of the name under the cursor", async () => {
    const { uri, positions } = await open("hl.journey", "segment hl = eng<|>aged or (engaged and big_spenders)\n");
    const result = await client.connection.sendRequest(DocumentHighlightRequest.type, { textDocument: { uri }, position: positions[0] ?? { line: 0, character: 0 } });
    expect(result?.map((h) => h.range.start.character)).toEqual([13, 25]);
  });

  it("answers journey/graph with the journey under the cursor as nodes and edges", async () => {
    const text = readFileSync(join(repoRoot, "examples/abandoned_cart.journey"), "utf8");
    const uri = await client.open("abandoned_cart.journey", text);
    const line = text.split("\n").findIndex((l) => l.includes("reminder: send"));
    const graph = (await client.connection.sendRequest("journey/graph", { textDocument: { uri }, position: { line, character: 4 } })) as {
      journey: string;
      nodes: { id: string; kind: string; label: string; range: { start: { line: number } } }[];
      edges: { from: string; to: string; label?: string }[];
      stale: boolean;
    };
    expect(graph.journey).toBe("abandoned_cart");
    expect(graph.stale).toBe(false);
    expect(graph.nodes.map((n) => `${n.id}|${n.kind}|${n.label}`)).toEqual([
      "start|start|when cart_abandoned where value > 20 per cart_id",
      "cool_off|wait|wait 1 hour",
      "reminder|send|send email cart_reminder",
      "last_call|wait|wait for purchase matching cart_id up to 1 day",
      "step1|split|split",
      "step2|send|send sms cart_sms",
      "step3|send|send push cart_push",
      "end|end|end",
    ]);
    expect(graph.edges).toEqual([
      { from: "start", to: "cool_off" },
      { from: "cool_off", to: "reminder" },
      { from: "reminder", to: "last_call" },
      { from: "last_call", to: "step1", label: "after 1 day" },
      { from: "step1", to: "step2", label: "50% text" },
      { from: "step1", to: "step3", label: "50% push" },
      { from: "last_call", to: "end", label: "purchase" },
      { from: "step2", to: "end" },
      { from: "step3", to: "end" },
    ]);
    expect(graph.nodes.find((n) => n.id === "reminder")?.range.start.line).toBe(line);

    // While the file has errors, the last good graph is kept and marked stale.
    await client.change("abandoned_cart.journey", text.replace("cool_off: wait 1 hour", "cool_off: wait"));
    const stale = (await client.connection.sendRequest("journey/graph", { textDocument: { uri }, position: { line, character: 4 } })) as typeof graph;
    expect(stale.stale).toBe(true);
    expect(stale.nodes.map((n) => n.label)).toContain("wait 1 hour");
  });
});
