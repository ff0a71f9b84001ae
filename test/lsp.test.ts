import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CodeActionRequest,
  CompletionRequest,
  type CompletionItem,
  type CompletionList,
  DefinitionRequest,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  FileChangeType,
  DocumentFormattingRequest,
  HoverRequest,
  type Location,
  type MarkupContent,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  SemanticTokensRefreshRequest,
  SemanticTokensRequest,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver-protocol/node";
import { cliPath, fixture, LspClient, makeProject, positionAt, repoRoot } from "./lsp-harness.js";

/** The `journey check --format json` diagnostics of a project: what the server must publish too. */
function cliDiagnostics(root: string): { code: string; message: string; file: string; range: { start: { line: number; column: number }; end: { line: number; column: number } } }[] {
  const run = spawnSync(process.execPath, [cliPath, "check", "--format", "json", "."], { cwd: root, encoding: "utf8" });
  return JSON.parse(run.stdout).diagnostics;
}

const broken = `journey follow_up {
  when purchase
  goal purchase within 7 days

  send email cart_remindr
  wait for email_opened
  if customer.loyalty_tier == "platinum" {
    exit
  }
}
`;

describe("language server over stdio", () => {
  let root: string;
  let client: LspClient;

  beforeAll(async () => {
    root = makeProject({ "follow_up.journey": broken });
    client = await LspClient.start(root);
  });

  afterAll(async () => {
    await client?.stop();
  });

  async function openMarked(file: string, marked: string) {
    const { text, offsets } = fixture(marked);
    const uri = await client.open(file, text);
    return { uri, text, positions: offsets.map((o) => positionAt(text, o)) };
  }

  async function complete(marked: string, file = "scratch.journey"): Promise<CompletionItem[]> {
    const { uri, positions } = await openMarked(file, marked);
    const result = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: positions[0] ?? { line: 0, character: 0 } })) as CompletionList;
    return result.items;
  }

  const labels = (items: CompletionItem[]) => items.map((i) => i.label);

  it("publishes the diagnostics of the files on disk, with the codes and ranges of `journey check`", async () => {
    const published = await client.waitForDiagnostics("follow_up.journey", (d) => d.length > 0);
    const expected = cliDiagnostics(root).filter((d) => d.file === "follow_up.journey");
    expect(expected.length).toBeGreaterThan(0);
    const simplify = (code: string, r: { start: { line: number; character?: number; column?: number }; end: { line: number; character?: number; column?: number } }) =>
      `${code}@${r.start.line}:${r.start.character ?? r.start.column}-${r.end.line}:${r.end.character ?? r.end.column}`;
    // The JSON report counts lines and columns from 1; LSP from 0.
    const zeroBased = (p: { line: number; column: number }) => ({ line: p.line - 1, column: p.column - 1 });
    expect(published.map((d) => simplify(String(d.code), d.range)).sort()).toEqual(
      expected.map((d) => simplify(d.code, { start: zeroBased(d.range.start), end: zeroBased(d.range.end) })).sort(),
    );
    expect(published.map((d) => String(d.message)).sort()).toEqual(expected.map((d) => d.message).sort());
    expect(published.map((d) => d.code)).toEqual(expect.arrayContaining(["J2004", "J4003", "J3002"]));
  });

  it("re-checks after an edit and clears fixed diagnostics", async () => {
    const file = "edited.journey";
    await client.open(file, "segment rich = sum(purchase.totl, last 90 days) > 500\n");
    const before = await client.waitForDiagnostics(file, (d) => d.some((x) => x.code === "J2002"));
    expect(String(before[0]?.message)).toContain("did you mean `total`");
    const text = client.texts.get(client.uri(file)) ?? "";
    const at = text.indexOf("totl");
    await client.edit(file, at, at + 4, "total");
    const after = await client.waitForDiagnostics(file, (d) => d.length === 0);
    expect(after).toEqual([]);
  });

  it("publishes diagnostics in other files that depend on an edited declaration", async () => {
    await client.open("uses.journey", "segment uses_big = big_spenders and engaged\n");
    await client.waitForDiagnostics("uses.journey", (d) => d.length === 0);
    const segments = readFileSync(join(root, "segments.journey"), "utf8");
    await client.open("segments.journey", segments);
    await client.change("segments.journey", segments.replace("segment engaged =", "segment engaged_readers ="));
    const diagnostics = await client.waitForDiagnostics("uses.journey", (d) => d.length > 0);
    expect(diagnostics[0]?.code).toBe("J2003");
    await client.change("segments.journey", segments);
    await client.waitForDiagnostics("uses.journey", (d) => d.length === 0);
  });

  it("completes keywords at the start of a journey line", async () => {
    const items = labels(await complete("journey j {\n  when signed_up\n  <|>\n}\n"));
    expect(items).toEqual(expect.arrayContaining(["send", "wait", "if", "goal", "exit when"]));
    expect(items).not.toContain("segment");
  });

  it("completes declarations at the top level", async () => {
    expect(labels(await complete("<|>\n"))).toEqual(expect.arrayContaining(["journey", "segment", "event", "customer", "template"]));
  });

  it("completes the customer's fields after `customer.`", async () => {
    const items = await complete("journey j {\n  when signed_up\n  if customer.<|>\n}\n");
    expect(labels(items)).toEqual(expect.arrayContaining(["loyalty_tier", "first_name", "consent", "anonymous_id"]));
    expect(items.find((i) => i.label === "loyalty_card")?.documentation).toEqual({ kind: "markdown", value: "The number on the loyalty card, scanned at the till." });
  });

  it("completes the trigger event's fields after `trigger.`", async () => {
    expect(labels(await complete("journey j {\n  when cart_abandoned\n  if trigger.<|>\n}\n"))).toEqual(["cart_id", "value", "url", "items"]);
  });

  it("completes the waited-for event's fields after `where` and `matching`", async () => {
    expect(labels(await complete("journey j {\n  when cart_abandoned\n  wait for email_opened where <|>\n}\n"))).toContain("message");
    const matching = labels(await complete("journey j {\n  when cart_abandoned\n  wait for purchase matching <|>\n}\n"));
    // Only fields the trigger event has too can be matched.
    expect(matching).toContain("cart_id");
    expect(matching).not.toContain("order_id");
  });

  it("completes templates of the right channel after `send <channel>`", async () => {
    const items = labels(await complete("journey j {\n  when signed_up\n  send sms <|>\n}\n"));
    expect(items).toEqual(expect.arrayContaining(["promo_sms", "cart_sms"]));
    expect(items).not.toContain("promo_email");
  });

  it("completes segments, lists, labels and channels where they go", async () => {
    expect(labels(await complete("journey j {\n  when customer enters <|>\n}\n"))).toEqual(expect.arrayContaining(["engaged", "big_spenders"]));
    expect(labels(await complete("journey j {\n  when signed_up\n  add to list <|>\n}\n"))).toEqual(expect.arrayContaining(["vip", "sales_pipeline"]));
    expect(labels(await complete("journey j {\n  when signed_up\n  on new version: migrate {\n    <|>\n  }\n  first: wait 1 day\n}\n"))).toEqual(["first"]);
    expect(labels(await complete("journey j {\n  when signed_up\n  send <|>\n}\n"))).toEqual(["email", "sms", "push", "webhook"]);
  });

  it("completes enum values after `==`", async () => {
    expect(labels(await complete('journey j {\n  when signed_up\n  if customer.loyalty_tier == <|>\n}\n'))).toEqual(['"none"', '"silver"', '"gold"']);
    expect(labels(await complete("segment s = loyalty_tier == <|>\n"))).toEqual(['"none"', '"silver"', '"gold"']);
    const quoted = await complete('segment s = loyalty_tier == "g<|>"\n');
    expect(labels(quoted)).toEqual(["none", "silver", "gold"]);
  });

  it("completes Liquid variables and filters inside templates", async () => {
    expect(labels(await complete('template t sms {\n  body "Hi {{ customer.<|> }}"\n}\n'))).toEqual(expect.arrayContaining(["first_name", "loyalty_tier"]));
    expect(labels(await complete('template t sms {\n  body "Hi {{ customer.first_name | <|> }}"\n}\n'))).toEqual(expect.arrayContaining(["default", "upcase", "money"]));
    expect(labels(await complete('template t sms {\n  body "Hi {{ <|> }}"\n}\n'))).toEqual(expect.arrayContaining(["customer", "trigger"]));
    expect(labels(await complete('journey j {\n  when cart_abandoned\n  send sms "Back to {{ trigger.<|> }}"\n}\n'))).toEqual(expect.arrayContaining(["url", "value"]));
  });

  it("hovers a field with its type and doc comment, a segment with its definition, an event with its fields", async () => {
    const { uri, positions } = await openMarked("hover.journey", "segment h = lo<|>yalty_card is set and eng<|>aged and pur<|>chase ever\n");
    const hover = async (i: number) => {
      const result = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: positions[i] ?? { line: 0, character: 0 } });
      return (result?.contents as MarkupContent).value;
    };
    const field = await hover(0);
    expect(field).toContain("(field) customer.loyalty_card text?");
    expect(field).toContain("The number on the loyalty card");
    expect(await hover(1)).toContain("segment engaged = count(email_opened, last 30 days) >= 1");
    const event = await hover(2);
    expect(event).toContain("event purchase");
    expect(event).toContain("`total money`");
  });

  it("goes to the definition in another file", async () => {
    const { uri, positions } = await openMarked("def.journey", "segment d = big_sp<|>enders\n");
    const result = (await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: positions[0] ?? { line: 0, character: 0 } })) as Location[];
    expect(result).toHaveLength(1);
    expect(result[0]?.uri).toBe(client.uri("segments.journey"));
    const segments = readFileSync(join(root, "segments.journey"), "utf8");
    const line = segments.split("\n").findIndex((l) => l.startsWith("segment big_spenders"));
    expect(result[0]?.range.start).toEqual({ line, character: "segment ".length });
  });

  it("finds references across files", async () => {
    const { uri, positions } = await openMarked("refs.journey", "segment r = cou<|>nt(email_opened, last 7 days) >= 1 and engag<|>ed\n");
    const result = (await client.connection.sendRequest(ReferencesRequest.type, {
      textDocument: { uri },
      position: positions[1] ?? { line: 0, character: 0 },
      context: { includeDeclaration: true },
    })) as Location[];
    const files = new Set(result.map((l) => l.uri.split("/").pop()));
    expect([...files]).toEqual(expect.arrayContaining(["segments.journey", "refs.journey"]));
    for (const l of result) {
      const text = client.texts.get(l.uri) ?? readFileSync(new URL(l.uri), "utf8");
      const lines = text.split("\n");
      expect(lines[l.range.start.line]?.slice(l.range.start.character, l.range.end.character)).toBe("engaged");
    }
  });

  it("renames across files and refuses invalid names and keywords", async () => {
    const { uri, positions } = await openMarked("ren.journey", "segment ren = vi<|>p_list_member\n");
    void positions;
    const second = await openMarked("ren2.journey", "segment ren2 = customer in v<|>ip\n");
    const position = second.positions[0] ?? { line: 0, character: 0 };
    const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: second.uri }, position });
    expect(prepared).toMatchObject({ placeholder: "vip" });
    const edit = (await client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: second.uri }, position, newName: "vip_customers" })) as WorkspaceEdit;
    const changed = Object.keys(edit.changes ?? {}).map((u) => u.split("/").pop());
    expect(changed).toEqual(expect.arrayContaining(["segments.journey", "ren2.journey"]));
    for (const edits of Object.values(edit.changes ?? {})) for (const e of edits) expect(e.newText).toBe("vip_customers");
    await expect(client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: second.uri }, position, newName: "2vip" })).rejects.toThrow(/not a name/);
    await expect(client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: second.uri }, position, newName: "journey" })).rejects.toThrow(/word of the language/);
    await expect(client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: second.uri }, position, newName: "engaged" })).rejects.toThrow(/already used/);
    void uri;
  });

  it("formats a document with `journey fmt`", async () => {
    const messy = "segment   big=sum(purchase.total,last 90 days)>500";
    const uri = await client.open("fmt.journey", messy);
    const edits = (await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })) as TextEdit[];
    expect(applyEdits(messy, edits)).toBe("segment big = sum(purchase.total, last 90 days) > 500\n");
    const bad = await client.open("fmt-bad.journey", "journey j {\n  wait\n}\n");
    expect(await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: bad }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
  });

  it("offers the checker's fixes as code actions: did-you-mean, `up to`, `| default:`", async () => {
    const text = 'journey acts {\n  when signed_up\n  goal purchase within 7 days\n\n  send email promo_emial\n  wait for email_opened\n  send sms "Hi {{ customer.first_name }}"\n}\n';
    const uri = await client.open("acts.journey", text);
    const diagnostics = await client.waitForDiagnostics("acts.journey", (d) => d.some((x) => x.code === "J5004"));
    const actionsFor = async (code: string) => {
      const diagnostic = diagnostics.find((d) => d.code === code);
      if (!diagnostic) throw new Error(`no ${code}`);
      const result = await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } });
      return (result ?? []).flatMap((a) => ("edit" in a && a.edit ? [{ title: a.title, text: applyEdits(text, a.edit.changes?.[uri] ?? []) }] : []));
    };
    const rename = await actionsFor("J2004");
    expect(rename[0]?.title).toBe("change to `promo_email`");
    expect(rename[0]?.text).toContain("send email promo_email\n");
    const upTo = await actionsFor("J4003");
    expect(upTo[0]?.text).toContain("wait for email_opened up to 7 days\n");
    const fallback = await actionsFor("J5004");
    expect(fallback[0]?.text).toContain("{{ customer.first_name | default: '' }}");
  });
});

/** Applies LSP text edits (non-overlapping) to a text. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const offset = (p: { line: number; character: number }) => {
    const lines = text.split("\n");
    let at = 0;
    for (let i = 0; i < p.line; i++) at += (lines[i]?.length ?? 0) + 1;
    return at + p.character;
  };
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce((acc, e) => acc.slice(0, offset(e.range.start)) + e.newText + acc.slice(offset(e.range.end)), text);
}

describe("language server: a burst of edits", () => {
  it("never publishes results for a text that has already been replaced", async () => {
    // A pause before checking longer than the burst takes to send, even on a busy machine.
    const client = await LspClient.start(makeProject({}, false), { initializationOptions: { debounceMs: 500 } });
    try {
      const file = "typing.journey";
      await client.open(file, "event purchase {\n  total money\n}\nsegment a = count(purchase, last 1 days) >= 1\n");
      await client.waitForDiagnostics(file, (d) => d.length === 0);
      const seen: string[] = [];
      const versions = ["purchse", "purchas", "purchase"].map((name, i) => `event purchase {\n  total money\n}\nsegment a = count(${name}, last 1 days) >= 1${i === 2 ? " and zzz" : ""}\n`);
      client.listeners.add((uri, diagnostics) => {
        if (uri === client.uri(file)) seen.push(diagnostics.map((d) => String(d.message)).join("|"));
      });
      for (const text of versions) await client.change(file, text);
      const final = await client.waitForDiagnostics(file, (d) => d.some((x) => String(x.message).includes("zzz")));
      expect(final.map((d) => d.code)).toEqual(["J2003"]);
      // Nothing older arrives later, and no publication was for an older text.
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(seen.filter((s) => s.includes("purchse") || s.includes("`purchas`"))).toEqual([]);
      expect(seen[seen.length - 1]).toContain("zzz");
    } finally {
      await client.stop();
    }
  });
});

describe("language server: files changed outside the editor", () => {
  it("follows files created, changed and deleted on disk, and goes back to the disk's text when a file is closed", async () => {
    const root = makeProject({ "schema.journey": "event purchase {\n  total money\n}\n", "a.journey": "segment a = big\n" }, false);
    const client = await LspClient.start(root);
    try {
      await client.waitForDiagnostics("a.journey", (d) => d.some((x) => x.code === "J2003"));
      writeFileSync(join(root, "b.journey"), "segment big = sum(purchase.total, ever) > 100\n");
      await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: client.uri("b.journey"), type: FileChangeType.Created }] });
      await client.waitForDiagnostics("a.journey", (d) => d.length === 0);
      rmSync(join(root, "b.journey"));
      await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: client.uri("b.journey"), type: FileChangeType.Deleted }] });
      await client.waitForDiagnostics("a.journey", (d) => d.some((x) => x.code === "J2003"));
      // An unsaved edit counts while the file is open; closing it without saving goes back to the disk's text.
      await client.open("a.journey", "segment a = sum(purchase.total, ever) > 1\n");
      await client.waitForDiagnostics("a.journey", (d) => d.length === 0);
      await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: client.uri("a.journey") } });
      await client.waitForDiagnostics("a.journey", (d) => d.some((x) => x.code === "J2003"));
    } finally {
      await client.stop();
    }
  });
});

describe("language server: a large file", () => {
  it("checks an edit of one declaration quickly and exactly, and leaves whole-file answers to the full check", async () => {
    const examples = join(repoRoot, "examples");
    const big = ["schema", "segments", "templates", "policy", "promo_fallback", "abandoned_cart", "welcome_series"]
      .map((name) => readFileSync(join(examples, `${name}.journey`), "utf8"))
      .join("\n");
    const templates = Object.fromEntries(readdirSync(join(examples, "templates")).map((f) => [`templates/${f}`, readFileSync(join(examples, "templates", f), "utf8")]));
    const root = makeProject(templates, false);
    const client = await LspClient.start(root, { initializationOptions: { debounceMs: 10, idleMs: 1500, regionThreshold: 1000 } });
    let refreshes = 0;
    client.connection.onRequest(SemanticTokensRefreshRequest.type, () => {
      refreshes++;
    });
    try {
      await client.open("big.journey", big);
      await client.waitForDiagnostics("big.journey", (d) => d.length === 0);
      const edited = big.replace("segment engaged = count(email_opened, last 30 days) >= 1", "segment engaged = count(email_opend, last 30 days) >= 1");
      await client.change("big.journey", edited);
      const diagnostics = await client.waitForDiagnostics("big.journey", (d) => d.length > 0);
      const line = edited.split("\n").findIndex((l) => l.startsWith("segment engaged"));
      expect(diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`)).toEqual([`J2001@${line}:24`]);
      // Colours of the whole file wait for the full check; the client is asked again after it.
      await expect(client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri: client.uri("big.journey") } })).rejects.toMatchObject({ code: -32801 });
      for (let waited = 0; refreshes === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(refreshes).toBe(1);
      const tokens = await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri: client.uri("big.journey") } });
      expect(tokens?.data.length).toBeGreaterThan(100);
    } finally {
      await client.stop();
    }
  });
});

describe("journey-language-server", () => {
  it("runs the server from the language package's bin", async () => {
    const root = makeProject({ "a.journey": "list vip\nsegment a = customer in vips\n" }, false);
    const client = await LspClient.start(root, { server: join(repoRoot, "language/bin/journey-language-server.js") });
    try {
      const diagnostics = await client.waitForDiagnostics("a.journey", (d) => d.length > 0);
      expect(diagnostics.map((d) => d.code)).toEqual(["J2008"]);
    } finally {
      await client.stop();
    }
  });
});

describe("journey lsp --stdio", () => {
  it("starts the same server from the CLI", async () => {
    const root = makeProject({ "a.journey": "segment a = count(purchase, last 7 days) >= 1 and nobody\n" });
    const client = await LspClient.start(root, { cli: true });
    try {
      const diagnostics = await client.waitForDiagnostics("a.journey", (d) => d.length > 0);
      expect(diagnostics.map((d) => d.code)).toEqual(["J2003"]);
    } finally {
      await client.stop();
    }
  });
});
