import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Diagnostic, Range } from "../diagnostics/diagnostic.js";
import { type CheckOptions, checkProgram, type Program } from "./checker.js";

/**
 * Unit tests of the checker. Each test checks a small project (`schema.journey` below plus the text
 * under test in `main.journey`, or files of its own) and asserts every diagnostic: its code, file and
 * range (line and column, and the text the range covers), and for did-you-mean its fix.
 *
 * Diagnostics print as `J2002 main.journey:1:28-1:32 "totl"` (1-based lines and columns, end
 * exclusive, then the text under the range); `expected()` builds the same string by searching the
 * source for the text, so a range is checked against an independent computation of its position.
 */

// ── A small schema: one of each kind of thing the tests need ──────────────────

const schema = `customer {
  identified by customer_id, email
  customer_id  text
  first_name   text?
  email        email?
  phone        phone?
  country      country
  loyalty_tier "none" | "silver" | "gold" = "none"
  birthday     date?
  points       int = 0
  consent { email bool = false   sms bool = false   push bool = false }
}
event purchase {
  order_id text
  channel  "store" | "online"
  total    money
  cart_id  text?
  items    list of { sku ref Product   price money }
}
event cart_abandoned { cart_id text   value money   url url }
event email_opened   { message text }
event page_view      { url url }
event signed_up      { source text }
object Product key sku { sku text   name text   stock int   price money }
template promo email { subject "Hi" body "Offers" }
template note sms    { body "Hi" }
template card in_app { title "Hi" }
template hook webhook { url "https://hooks.example.com" }
list vip
segment engaged = count(email_opened, last 30 days) >= 1
policy { respect consent }
`;

// ── Helpers ──────────────────────────────────────────────────────────────────

type Files = Record<string, string>;

interface Checked extends Program {
  texts: Map<string, string>;
}

/**
 * Checks `main` (a text, checked as main.journey next to the schema) or a set of files (exactly those).
 * Template files are served from `templateFiles`. Every diagnostic's line/column is verified against its
 * offset on the way, so each test also checks that positions are computed right.
 */
function check(main: string | Files, templateFiles: Files = {}, withReadFile = true): Checked {
  const files: Files = typeof main === "string" ? { "schema.journey": schema, "main.journey": main } : main;
  const texts = new Map<string, string>(Object.entries(files));
  const options: CheckOptions = withReadFile
    ? {
        readFile: (path) => {
          const text = templateFiles[path];
          if (text !== undefined) texts.set(path, text);
          return text;
        },
      }
    : {};
  const program = checkProgram(
    Object.entries(files).map(([file, text]) => ({ file, text })),
    options,
  );
  for (const d of program.diagnostics) {
    const text = texts.get(d.file);
    expect(text, `diagnostic in unknown file ${d.file}`).toBeDefined();
    expect(d.range, `${d.code} ${d.message}`).toEqual(rangeAt(text as string, d.range.start.offset, d.range.end.offset));
  }
  return { ...program, texts };
}

/** Line and column of an offset, counted here independently of the checker's LineIndex. */
function positionAt(text: string, offset: number) {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart, offset };
}

function rangeAt(text: string, start: number, end: number): Range {
  return { start: positionAt(text, start), end: positionAt(text, end) };
}

const wordChar = /[A-Za-z0-9_]/;

/**
 * The range of the `nth` (0-based) occurrence of `needle` in `text`. A needle that starts or ends
 * with a word character only matches there as a whole word (`t` does not match inside `text`).
 */
function rangeOf(text: string, needle: string, nth = 0): Range {
  let seen = -1;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = text[at - 1] ?? " ";
    const after = text[at + needle.length] ?? " ";
    if (wordChar.test(needle[0] as string) && wordChar.test(before)) continue;
    if (wordChar.test(needle[needle.length - 1] as string) && wordChar.test(after)) continue;
    if (++seen === nth) return rangeAt(text, at, at + needle.length);
  }
  throw new Error(`${JSON.stringify(needle)} occurs fewer than ${nth + 1} times`);
}

/** The range of `needle` inside the first occurrence of `context`. */
function rangeIn(text: string, context: string, needle: string): Range {
  const at = text.indexOf(context);
  const inner = context.indexOf(needle);
  if (at < 0 || inner < 0) throw new Error(`${JSON.stringify(needle)} in ${JSON.stringify(context)} not found`);
  return rangeAt(text, at + inner, at + inner + needle.length);
}

function show(file: string, text: string, range: Range): string {
  const { start, end } = range;
  return `${file}:${start.line + 1}:${start.column + 1}-${end.line + 1}:${end.column + 1} ${JSON.stringify(text.slice(start.offset, end.offset))}`;
}

/** One line per diagnostic: code, place and the text under the range. */
function report(program: Checked, severities?: string[]): string[] {
  return program.diagnostics
    .filter((d) => !severities || severities.includes(d.severity))
    .map((d) => `${d.code} ${show(d.file, program.texts.get(d.file) ?? "", d.range)}`);
}

/** What `report` prints for a diagnostic `code` over the `nth` occurrence of `needle` in `file`. */
function expected(code: string, text: string, needle: string, nth = 0, file = "main.journey"): string {
  return `${code} ${show(file, text, rangeOf(text, needle, nth))}`;
}

/** What `report` prints for a diagnostic `code` over `needle` inside `context`. */
function expectedIn(code: string, text: string, context: string, needle: string, file = "main.journey"): string {
  return `${code} ${show(file, text, rangeIn(text, context, needle))}`;
}

function only(program: Checked): Diagnostic {
  expect(report(program)).toHaveLength(1);
  return program.diagnostics[0] as Diagnostic;
}

/** The did-you-mean fix: one suggested edit replacing exactly the misspelt text. */
function renameFix(text: string, needle: string, newText: string, nth = 0, file = "main.journey") {
  return [{ title: `change to \`${newText}\``, applicability: "suggestion", edits: [{ file, range: rangeOf(text, needle, nth), newText }] }];
}

/** Applies a diagnostic's first fix to its file and checks the project again. */
function applyFirstFix(files: Files, d: Diagnostic): Files {
  const edit = d.fixes[0]?.edits[0];
  if (!edit) throw new Error(`${d.code} has no fix`);
  const text = files[edit.file] as string;
  return { ...files, [edit.file]: text.slice(0, edit.range.start.offset) + edit.newText + text.slice(edit.range.end.offset) };
}

const withSchema = (main: string): Files => ({ "schema.journey": schema, "main.journey": main });

/** A journey around `steps`, with a trigger and a goal so that only the steps can be wrong. */
function journey(steps: string, when = "when page_view"): string {
  return `journey j {\n  ${when}\n  goal purchase within 7 days\n\n${steps
    .trim()
    .split("\n")
    .map((line) => `  ${line.trim() === "" ? "" : line}`)
    .join("\n")}\n}\n`;
}

// ── The helpers and the schema themselves ────────────────────────────────────

describe("the test schema", () => {
  it("checks with no diagnostics of any severity", () => {
    expect(report(check({ "schema.journey": schema }))).toEqual([]);
  });

  it("plus a journey using every part of it checks clean", () => {
    const main = `
segment big = sum(purchase.total, last 90 days) > 500 and engaged
journey promo_followup {
  when customer enters big
  entry once
  goal purchase within 7 days
  exit when purchase where channel == "online"

  send email promo as p
  wait for email_opened where message == p.id up to 2 days else { send sms note }
  show in_app card { recommend 4 Product like last purchase.items boost stock > 100 where price < 50 }
  add to list vip
  notify hook
}
`;
    expect(report(check(main))).toEqual([]);
  });
});

// ── Names ───────────────────────────────────────────────────────────────────

describe("name resolution", () => {
  it("an unknown event field in an aggregate: J2002 on the field, fix `totl` → `total`", () => {
    const main = "segment big = sum(purchase.totl, last 90 days) > 500\n";
    const program = check(main);
    expect(report(program)).toEqual([expected("J2002", main, "totl")]);
    const d = only(program);
    expect(d.severity).toBe("error");
    expect(d.message).toContain("did you mean `total`?");
    expect(d.fixes).toEqual(renameFix(main, "totl", "total"));
    expect(report(check(applyFirstFix(withSchema(main), d)))).toEqual([]);
  });

  it("an unknown event: J2001 on the name, with the fix", () => {
    const main = "segment lapsed = purchse ever and no purchase in last 180 days\n";
    const program = check(main);
    expect(report(program)).toEqual([expected("J2001", main, "purchse")]);
    const d = only(program);
    expect(d.message).toBe("unknown event `purchse`; did you mean `purchase`?");
    expect(d.fixes).toEqual(renameFix(main, "purchse", "purchase"));
    expect(report(check(applyFirstFix(withSchema(main), d)))).toEqual([]);
  });

  it("an unknown name with nothing close: J2003 and no fix", () => {
    const main = "segment s = lifetime_value > 3\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2003", main, "lifetime_value")]);
    expect(d.message).toBe("unknown name `lifetime_value`: it is not a customer field, a segment or a score");
    expect(d.fixes).toEqual([]);
  });

  it("a misspelt segment used in a condition: J2003 with the segment suggested", () => {
    const main = "segment s = engagd and loyalty_tier == \"gold\"\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2003", main, "engagd")]);
    expect(d.fixes).toEqual(renameFix(main, "engagd", "engaged"));
  });

  it("a misspelt field of a nested record: J2002 on the member only", () => {
    const main = "segment s = customer.consent.emial and customer.points > 3\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2002", main, "emial")]);
    expect(d.message).toBe("customer.consent has no field `emial`; did you mean `email`?");
    expect(d.fixes).toEqual(renameFix(main, "emial", "email"));
  });

  it("a misspelt template, list and channel: each its own code, a fix where a name is close", () => {
    const main = journey(`
send email prmo
add to list vpi
send fxa "Hello"
start journey jj
`);
    const program = check(`${main}journey jj { when api  goal purchase within 1 day  exit }\n`);
    const text = program.texts.get("main.journey") as string;
    expect(report(program)).toEqual([
      expected("J2004", text, "prmo"),
      expected("J2008", text, "vpi"),
      expected("J2014", text, "fxa"),
    ]);
    expect(program.diagnostics.map((d) => d.fixes[0]?.edits[0]?.newText)).toEqual(["promo", "vip", undefined]);
    // `jj` is a journey, `start journey jj` is fine; `fxa` is too far from any channel to suggest one.
  });

  it("an unknown journey in `start journey`: J2007 with the closest journey", () => {
    const main = `${journey("start journey followp")}journey followup { when api  goal purchase within 1 day  exit }\n`;
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2007", main, "followp")]);
    expect(d.fixes).toEqual(renameFix(main, "followp", "followup"));
  });

  it("an unknown type and an unknown object in the schema: J2005 / J2006 with fixes", () => {
    const files = {
      "schema.journey": `customer { customer_id text   visits itn   shop ref Stor }\nobject Store key id { id text }\n`,
    };
    const program = check(files);
    const text = files["schema.journey"];
    expect(report(program)).toEqual([expected("J2005", text, "itn", 0, "schema.journey"), expected("J2006", text, "Stor", 0, "schema.journey")]);
    expect(program.diagnostics.map((d) => d.fixes)).toEqual([renameFix(text, "itn", "int", 0, "schema.journey"), renameFix(text, "Stor", "Store", 0, "schema.journey")]);
  });

  it("an object used as a type: J2005 with a safe fix to `ref Object`", () => {
    const files = { "schema.journey": "customer { shop Store }\nobject Store key id { id text }\n" };
    const d = only(check(files));
    expect(report(check(files))).toEqual([expected("J2005", files["schema.journey"], "Store", 0, "schema.journey")]);
    expect(d.fixes).toEqual([
      { title: "change to `ref Store`", applicability: "safe", edits: [{ file: "schema.journey", range: rangeOf(files["schema.journey"], "Store"), newText: "ref Store" }] },
    ]);
  });

  it("an identity key that is not a field: J3018 with the fix", () => {
    const files = { "schema.journey": "customer {\n  identified by customer_id, emial\n  customer_id text\n  email email?\n}\n" };
    const d = only(check(files));
    expect(report(check(files))).toEqual([expected("J3018", files["schema.journey"], "emial", 0, "schema.journey")]);
    expect(d.fixes).toEqual(renameFix(files["schema.journey"], "emial", "email", 0, "schema.journey"));
  });

  // Bug: when a did-you-mean is found, J3018 still advises declaring the misspelt name as a field
  // ("did you mean `email`?; declare it, e.g. `emial text?`"), and J2009 to label a step with it
  // ("did you mean `last_call`?; label the step: `lastcall: wait …`"); the other unknown-name
  // messages drop the "declare it" advice when they have a suggestion.
  it("J3018 does not advise declaring a misspelt identity key when it suggests the right one", () => {
    const files = { "schema.journey": "customer {\n  identified by customer_id, emial\n  customer_id text\n  email email?\n}\n" };
    expect(only(check(files)).message).not.toContain("emial text?");
  });

  it("J2009 does not advise labelling a step with a misspelt label when it suggests the right one", () => {
    const main = journey(
      `
last_call: wait for purchase matching cart_id up to 1 day
`,
      "when cart_abandoned per cart_id\n  on new version: migrate { reminder -> lastcall }",
    );
    expect(only(check(main)).message).not.toContain("lastcall: wait");
  });
});

// ── Scopes: what a bare name means where it stands ───────────────────────────

describe("scopes", () => {
  it("event fields are bare names inside that event's `where` (count, event query, score)", () => {
    const main = `segment s = count(purchase where total > 50 and channel == "online", last 30 days) >= 2
segment t = page_view where url contains "/pricing" in last 7 days
score interest { +5 on page_view where url contains "/sale" }
`;
    expect(report(check(main))).toEqual([]);
  });

  it("an event field outside its `where` is an unknown name", () => {
    const main = "segment s = total > 50\n";
    expect(report(check(main))).toEqual([expected("J2003", main, "total")]);
  });

  it("a misspelt field inside a `where` suggests the event's field and says whose fields it looked at", () => {
    const main = "segment s = count(purchase where totl > 50, last 30 days) >= 2\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2003", main, "totl")]);
    expect(d.message).toBe("unknown name `totl`: it is not a field of purchase, a customer field, a segment or a score; did you mean `total`?");
    expect(d.fixes).toEqual(renameFix(main, "totl", "total"));
  });

  it("trigger fields: bare in the trigger's `where`, as `trigger.x` in the journey", () => {
    const main = journey(
      `
if trigger.value > 100 {
  send sms "Your cart: {{ trigger.url }}"
}
`,
      "when cart_abandoned where value > 20 per cart_id\n  exit when purchase where cart_id == trigger.cart_id",
    );
    expect(report(check(main))).toEqual([]);
  });

  it("a misspelt trigger field: J2002 on the member, with the fix", () => {
    const main = journey("if trigger.valeu > 100 { exit }", "when cart_abandoned");
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2002", main, "valeu")]);
    expect(d.fixes).toEqual(renameFix(main, "valeu", "value"));
  });

  it("`trigger` in a journey that does not start on an event: J3007 on `trigger`", () => {
    const main = journey("if trigger.value > 100 { exit }", "when customer enters engaged");
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J3007", main, "trigger")]);
    expect(d.message).toBe("journey `j` starts when a customer enters engaged, not on an event, so there is no `trigger` to read here");
  });

  it("`trigger` outside any journey: J3007", () => {
    const main = "segment s = trigger.value > 3\n";
    expect(report(check(main))).toEqual([expected("J3007", main, "trigger")]);
  });

  it("the waited-for event's fields are bare in the wait's `where`, and only there", () => {
    const main = journey(`
wait for email_opened where message == "x" up to 2 days
if message == "x" { exit }
`);
    expect(report(check(main))).toEqual([expected("J2003", main, "message", 1)]);
  });

  it("a misspelt field in a wait's `where`: suggested from the waited-for event", () => {
    const main = journey('wait for email_opened where mesage == "x" up to 2 days');
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2003", main, "mesage")]);
    expect(d.fixes).toEqual(renameFix(main, "mesage", "message"));
  });

  it("a send alias: `promo.id` reads the sent message; a misspelt member is J2002", () => {
    const main = journey(`
send email promo as promo
wait for email_opened where message == promo.id up to 2 days
wait for email_opened where message == promo.idd up to 2 days
`);
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2002", main, "idd")]);
    expect(d.message).toBe("the email message `promo` has no field `idd`; did you mean `id`?");
    expect(d.fixes).toEqual(renameFix(main, "idd", "id"));
  });

  it("an alias of another journey is unknown here, and the closest name is suggested", () => {
    const main = `${journey("send email promo as offer")}journey k {
  when page_view
  goal purchase within 7 days
  send email promo as offer2
  wait for email_opened where message == offer.id up to 2 days
}
`;
    const d = only(check(main));
    expect(report(check(main))).toEqual([expectedIn("J2003", main, "offer.id", "offer")]);
    expect(d.fixes[0]?.edits[0]?.newText).toBe("offer2");
  });

  // Bug (gap): the docs say `as <name>` "names the send, so that later steps can refer to it", but
  // the checker collects every alias of the journey up front, so a step may use an alias before
  // the send that defines it (the message id does not exist yet when the wait starts).
  it.fails("an alias used before its send is reported", () => {
    const main = journey(`
wait for email_opened where message == promo.id up to 2 days
send email promo as promo
`);
    expect(report(check(main))).toHaveLength(1);
  });

  it("object fields are bare in `boost` and `where` of `recommend`", () => {
    const main = journey("show in_app card { recommend 4 Product like last purchase.items boost stock > 100 where price < 50 and name contains \"x\" }");
    expect(report(check(main))).toEqual([]);
  });

  it("a misspelt object field in `boost`: J2003 naming the object, with the fix", () => {
    const main = journey("show in_app card { recommend 4 Product boost stok > 100 }");
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2003", main, "stok")]);
    expect(d.message).toContain("it is not a field of Product");
    expect(d.fixes).toEqual(renameFix(main, "stok", "stock"));
  });

  it("customer fields are bare names everywhere, and also `customer.x`", () => {
    const main = 'segment s = points > 3 and customer.points > 3 and country == "IT" and consent.email\n';
    expect(report(check(main))).toEqual([]);
  });

  it("a list used as a value, an event used as a value, an event's field used bare: one diagnostic each", () => {
    const main = "segment a = vip\nsegment b = purchase\nsegment c = purchase.total > 5\n";
    expect(report(check(main))).toEqual([expected("J3019", main, "vip"), expected("J3006", main, "purchase"), expected("J3006", main, "purchase.total")]);
  });
});

// ── Enums ────────────────────────────────────────────────────────────────────

describe("enum literals", () => {
  it("a choice that is not among the options: J3002 on the literal, fix to the closest option", () => {
    const main = 'segment s = loyalty_tier == "gld"\n';
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J3002", main, '"gld"')]);
    expect(d.message).toBe('"gld" is not one of the choices "none", "silver", "gold"; did you mean `"gold"`?');
    expect(d.fixes).toEqual(renameFix(main, '"gld"', '"gold"'));
  });

  it("is checked on either side of the comparison, in `in [...]`, in `where`, in `match`, in `set`", () => {
    const main = `segment a = "platinum" != loyalty_tier
segment b = loyalty_tier in ["gold", "bronze"]
segment c = count(purchase where channel == "web", ever) > 1
${journey(`
match loyalty_tier {
  "gold" { exit }
  "diamond" { exit }
}
set customer.loyalty_tier = "plat"
`)}`;
    expect(report(check(main))).toEqual([
      expected("J3002", main, '"platinum"'),
      expected("J3002", main, '"bronze"'),
      expected("J3002", main, '"web"'),
      expected("J3002", main, '"diamond"'),
      expected("J3002", main, '"plat"'),
    ]);
  });

  it("valid choices check clean, and a case handled twice is J4010 with the first one related", () => {
    const main = journey(`
match loyalty_tier {
  "gold" { exit }
  "silver", "gold" { exit }
  else { exit }
}
`);
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4010", main, '"gold"', 1)]);
    expect(d.severity).toBe("warning");
    expect(d.related.map((r) => show(r.file, main, r.range))).toEqual([show("main.journey", main, rangeOf(main, '"gold"'))]);
  });

  it("a default that is not among the choices: J3013 in the schema", () => {
    const files = { "schema.journey": 'customer { tier "none" | "gold" = "silver" }\n' };
    expect(report(check(files))).toEqual([expected("J3013", files["schema.journey"], '"silver"', 0, "schema.journey")]);
  });
});

// ── Types ────────────────────────────────────────────────────────────────────

describe("type mismatches", () => {
  it("money compared with text: J3001 over the whole comparison", () => {
    const main = 'segment s = sum(purchase.total, last 30 days) > "500"\n';
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J3001", main, 'sum(purchase.total, last 30 days) > "500"')]);
    expect(d.message).toBe('cannot compare `sum(purchase.total, last 30 days)` (money) with `"500"` (text): write the number without quotes');
  });

  // Bug: "write the number without quotes" is advised whenever one side is text and the other a
  // number, even when the text side is a field (no quotes to remove): misleading.
  it("does not advise removing quotes when the text is a field, not a literal", () => {
    const main = "segment s = sum(purchase.total, ever) > first_name\n";
    expect(only(check(main)).message).not.toContain("without quotes");
  });

  it("ordering text: J3001 `>` needs numbers, dates or durations", () => {
    const main = 'segment s = first_name > "M"\n';
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J3001", main, 'first_name > "M"')]);
    expect(d.message).toBe('`>` needs numbers, dates or durations, but `first_name` is a text; use `==` or `!=`');
  });

  it("arithmetic on text: J3004 over the arithmetic, and no second error for the comparison around it", () => {
    const main = "segment s = first_name + 1 > 3\n";
    expect(report(check(main))).toEqual([expected("J3004", main, "first_name + 1")]);
  });

  it("negating text: J3004", () => {
    const main = "segment s = -first_name > 3\n";
    expect(report(check(main))).toEqual([expected("J3004", main, "-first_name")]);
  });

  it("date + duration is a date; money arithmetic, percentages and durations mix as documented", () => {
    const main = `segment a = birthday + 2 days > birthday
segment b = birthday - 1 week < birthday
segment c = (sum(purchase.total, last 365 days) - sum(purchase.total, last 30 days)) / 12 > 10
segment d = points * 2 + 10 > 900 and 5% < 10%
segment e = last purchase.total * 1.1 >= 49.90
`;
    expect(report(check(main))).toEqual([]);
  });

  it("a date compared with a duration: J3001", () => {
    const main = "segment s = birthday < 3 days\n";
    expect(report(check(main))).toEqual([expected("J3001", main, "birthday < 3 days")]);
  });

  it("a value that is not a condition: J3003 with advice", () => {
    const main = "segment s = points\nsegment t = not first_name\n";
    const program = check(main);
    expect(report(program)).toEqual([expected("J3003", main, "points"), expected("J3003", main, "first_name")]);
    expect(program.diagnostics[0]?.message).toBe("`points` is an int, not a yes/no condition: compare it, e.g. `points > 0`");
  });

  it("`contains` on numbers: J3001", () => {
    const main = "segment s = points contains 3\n";
    expect(report(check(main))).toEqual([expected("J3001", main, "points contains 3")]);
  });

  it("a value of the wrong type in `set` and `track`: J3016 on the value", () => {
    const main = journey(`
set customer.points = "ten"
set customer.points = customer.points + 10
track coupon { code = 5 }
`);
    const program = check({ ...withSchema(main), "more.journey": "event coupon { code text }\n" });
    const text = program.texts.get("main.journey") as string;
    expect(report(program)).toEqual([expected("J3016", text, '"ten"'), expectedIn("J3016", text, "code = 5", "5")]);
  });

  it("setting something that is not a customer field: J3016 on the target", () => {
    const main = journey('set trigger.url = "x"', "when page_view");
    expect(report(check(main))).toEqual([expected("J3016", main, "trigger.url")]);
  });

  it("a default of the wrong type: J3013", () => {
    const files = { "schema.journey": 'customer { visits int = "none" }\n' };
    expect(report(check(files))).toEqual([expected("J3013", files["schema.journey"], '"none"', 0, "schema.journey")]);
  });

  it("a date field that is not a date (`wait until`, `on …` trigger): J3014", () => {
    const main = journey("wait until customer.first_name", "when on customer.country at 09:00 customer time");
    expect(report(check(main))).toEqual([expected("J3014", main, "customer.country"), expected("J3014", main, "customer.first_name")]);
  });
});

// ── Aggregates ───────────────────────────────────────────────────────────────

describe("aggregates", () => {
  it("count, sum, avg, min, max and rfm with every kind of window check clean", () => {
    const main = `segment a = count(purchase, last 30 days) >= 1 and count(email_opened) > 2 and count(page_view, ever) > 1
segment b = sum(purchase.total, last 90 days) > 500 and avg(purchase.total, ever) > 80
segment c = min(purchase.total, since signed_up) > 50 and max(cart_abandoned.value, last 7 days) > 100
segment d = rfm(purchase.total).recency >= 4 and rfm(purchase.total).monetary == 5 and rfm(purchase.total).frequency <= 2
`;
    expect(report(check(main))).toEqual([]);
  });

  it("an aggregate over a field that is not a number: J3005 on the argument", () => {
    const main = "segment s = sum(purchase.order_id, ever) > 1\nsegment t = avg(purchase.channel) > 1\n";
    const program = check(main);
    expect(report(program)).toEqual([expected("J3005", main, "purchase.order_id"), expected("J3005", main, "purchase.channel")]);
    expect(program.diagnostics[0]?.message).toBe("`sum` needs numbers, but `purchase.order_id` is a text; to count occurrences write `count(purchase, …)`");
  });

  it("min/max of a date field is allowed", () => {
    const files = { "schema.journey": "customer { id text }\nevent visit { at date   n int }\nsegment s = max(visit.at, ever) > min(visit.at, ever)\n" };
    expect(report(check(files))).toEqual([]);
  });

  it("a window that is not a window, too many arguments, rfm with a window: J3015", () => {
    const main = `segment a = sum(purchase.total, 5) > 1
segment b = count(purchase, last 30 days, ever) > 1
segment c = rfm(purchase.total, ever).recency > 1
`;
    expect(report(check(main))).toEqual([
      expected("J3015", main, "5", 0),
      expected("J3015", main, "count(purchase, last 30 days, ever)"),
      expected("J3015", main, "rfm(purchase.total, ever)"),
    ]);
  });

  it("count of a field, sum of an event: J3015 on the argument", () => {
    const main = "segment a = count(purchase.total) > 1\nsegment b = sum(purchase) > 1\n";
    expect(report(check(main))).toEqual([expected("J3015", main, "purchase.total"), expected("J3015", main, "purchase", 1)]);
  });

  it("an unknown event in the window: J2001 with the fix", () => {
    const main = "segment s = count(purchase, since signedup) > 1\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2001", main, "signedup")]);
    expect(d.fixes).toEqual(renameFix(main, "signedup", "signed_up"));
  });

  it("an unknown rfm score: J2002", () => {
    const main = "segment s = rfm(purchase.total).loyalty > 1\n";
    expect(report(check(main))).toEqual([expected("J2002", main, "loyalty")]);
  });

  it("an unknown function: J2015 on the name, with the fix", () => {
    const main = "segment s = cuont(purchase, last 30 days) > 1\n";
    const program = check(main);
    const d = program.diagnostics.find((x) => x.code === "J2015") as Diagnostic;
    expect(`${d.code} ${show(d.file, main, d.range)}`).toBe(expected("J2015", main, "cuont"));
    expect(d.message).toBe("unknown function `cuont`; did you mean `count`?; the functions are count, sum, avg, min, max, rfm");
    expect(d.fixes).toEqual(renameFix(main, "cuont", "count"));
    expect(report(check(applyFirstFix(withSchema(main), d)))).toEqual([]);
  });

  // Was a cascade (fixed in f774990): the arguments of an unknown function were checked as plain
  // values, so `cuont(purchase, …)` also gave J3006 ("`purchase` is an event, not a value").
  it("an unknown function over an event or an event's field gives one diagnostic", () => {
    const main = "segment s = cuont(purchase, last 30 days) > 1\nsegment t = median(purchase.total, last 30 days) > 1\n";
    expect(report(check(main))).toEqual([expected("J2015", main, "cuont"), expected("J2015", main, "median")]);
  });
});

// ── Duplicates ───────────────────────────────────────────────────────────────

describe("duplicates", () => {
  it("a name declared in two files: J2010 on the second, related to the first in the other file", () => {
    const a = "customer { id text }\nevent purchase { total money }\nsegment buyers = purchase ever\n";
    const b = "segment buyers = count(purchase) > 2\n";
    const program = check({ "a.journey": a, "b.journey": b });
    expect(report(program)).toEqual([expected("J2010", b, "buyers", 0, "b.journey")]);
    const d = only(program);
    expect(d.message).toBe("the name `buyers` is already used by the segment declared at a.journey:3:9: rename one of them");
    expect(d.related).toEqual([{ file: "a.journey", range: rangeOf(a, "buyers"), message: "the first `buyers` is here" }]);
  });

  it("events, segments, lists and scores share one namespace; templates and journeys have their own", () => {
    const a = "customer { id text }\nevent visit { n int }\ntemplate t email { subject \"a\" }\n";
    const b = "list visit\ntemplate t sms { body \"a\" }\njourney t { when api  goal visit within 1 day  exit }\n";
    const program = check({ "a.journey": a, "b.journey": b });
    expect(report(program)).toEqual([expected("J2010", b, "visit", 0, "b.journey"), expected("J2010", b, "t", 0, "b.journey")]);
    expect(program.diagnostics.map((d) => d.related.map((r) => show(r.file, a, r.range)))).toEqual([
      [show("a.journey", a, rangeOf(a, "visit"))],
      [show("a.journey", a, rangeOf(a, "t"))],
    ]);
  });

  it("files are checked in path order whatever order they are given in", () => {
    const a = "customer { id text }\nlist vip\n";
    const b = "list vip\n";
    const forward = checkProgram([
      { file: "a.journey", text: a },
      { file: "b.journey", text: b },
    ]);
    const backward = checkProgram([
      { file: "b.journey", text: b },
      { file: "a.journey", text: a },
    ]);
    expect(backward.diagnostics).toEqual(forward.diagnostics);
    expect(forward.diagnostics.map((d) => d.file)).toEqual(["b.journey"]);
  });

  it("the customer declared twice: J3017, related to the first", () => {
    const a = "customer { id text }\n";
    const b = "// more\ncustomer { other text }\n";
    const d = only(check({ "a.journey": a, "b.journey": b }));
    expect(report(check({ "a.journey": a, "b.journey": b }))).toEqual([expected("J3017", b, "customer", 0, "b.journey")]);
    expect(d.related.map((r) => r.file)).toEqual(["a.journey"]);
  });

  it("a field declared twice: J2012; a step label used twice: J2011", () => {
    const files = { "schema.journey": "customer {\n  id text\n  id int\n}\nevent purchase { n int }\n" };
    expect(report(check(files))).toEqual([expected("J2012", files["schema.journey"], "id", 1, "schema.journey")]);
    const main = journey("a: send email promo\na: send sms note");
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2011", main, "a", 1)]);
    expect(d.related.map((r) => show(r.file, main, r.range))).toEqual([show("main.journey", main, rangeOf(main, "a"))]);
  });
});

// ── Segment cycles ───────────────────────────────────────────────────────────

describe("segment cycles", () => {
  it("a segment defined by itself: J4006 on its name", () => {
    const main = "segment loop = loop and points > 3\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4006", main, "loop")]);
    expect(d.message).toBe("segment `loop` is defined by itself, so it can never be decided: define it from customer data and events");
  });

  it("a 3-long loop: one J4006 naming the loop; a segment that only uses the loop is not reported", () => {
    const main = "segment c = a or points > 3\nsegment b = c\nsegment a = b and engaged\nsegment outside = a\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4006", main, "a", 1)]);
    expect(d.message).toBe("segments depend on each other in a loop (`a` → `b` → `c` → `a`), so none of them can be decided: break the loop");
  });

  it("a loop across files", () => {
    const a = "customer { id text }\nsegment x = y\n";
    const b = "segment y = x\n";
    expect(report(check({ "a.journey": a, "b.journey": b }))).toEqual([expected("J4006", a, "x", 0, "a.journey")]);
  });

  it("segments using each other without a loop are fine", () => {
    const main = "segment a = engaged\nsegment b = a and engaged\nsegment c = a or b\n";
    expect(report(check(main))).toEqual([]);
  });
});

// ── Journey flow ─────────────────────────────────────────────────────────────

describe("journey flow", () => {
  it("no trigger: J4005 on the journey's header", () => {
    const main = "journey silent {\n  goal purchase within 7 days\n  send email promo\n}\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4005", main, "journey silent")]);
    expect(d.message).toContain("has no trigger");
  });

  it("two triggers: J4005 on the second `when`, related to the first", () => {
    const main = "journey twice {\n  when page_view\n  when purchase where total > 5\n  goal purchase within 7 days\n  exit\n}\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4005", main, "when purchase where total > 5")]);
    expect(d.related.map((r) => show(r.file, main, r.range))).toEqual([show("main.journey", main, rangeOf(main, "when page_view"))]);
  });

  it("a setting said twice: J4008", () => {
    const main = "journey j {\n  when page_view\n  entry once\n  entry always\n  goal purchase within 7 days\n  exit\n}\n";
    expect(report(check(main))).toEqual([expected("J4008", main, "entry always")]);
  });

  it("no goal: a J4004 hint on the header", () => {
    const main = "journey aimless {\n  when page_view\n  exit\n}\n";
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4004", main, "journey aimless")]);
    expect(d.severity).toBe("hint");
  });

  it("split percentages that do not add up: J4001 on `split`, each arm's percentage related", () => {
    const main = journey(`
split {
  50% { send email promo }
  40% { send sms note }
}
`);
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4001", main, "split")]);
    expect(d.message).toBe("the branches of this split add up to 90% (50% + 40%), not 100%: every customer must land in exactly one branch");
    expect(d.related.map((r) => show(r.file, main, r.range))).toEqual([
      show("main.journey", main, rangeOf(main, "50%")),
      show("main.journey", main, rangeOf(main, "40%")),
    ]);
  });

  it("experiments too, and arms of 33/33/34 or with decimals that add to 100 are fine", () => {
    const main = journey(`
experiment subject {
  60% a { send email promo }
  60% b { send sms note }
  pick winner by goal after 3 days
}
split { 34% { } 33% { } 33% { } }
split { 12.5% { } 87.5% { } }
`);
    expect(report(check(main))).toEqual([expected("J4001", main, "experiment")]);
  });

  it("a labelled split: the range covers the label and `split`", () => {
    const main = journey("ab: split { 50% { } 40% { } }");
    expect(report(check(main))).toEqual([expected("J4001", main, "ab: split")]);
  });

  // Bug (wrong range): J4001's range for a labelled split/experiment is computed as label + 2 +
  // the word's length, assuming exactly one space after the colon: `ab:   split` gets "ab:   spl",
  // `cd:experiment` gets "cd:experiment " (one character too many).
  it("a labelled split written with other spacing: the range still ends after `split`", () => {
    const main = journey("ab:   split { 50% { } 40% { } }\ncd:experiment { 50% { } 40% { } }");
    expect(report(check(main))).toEqual([expected("J4001", main, "ab:   split"), expected("J4001", main, "cd:experiment")]);
  });

  it("holdout outside 0–100%: J4009 on the percentage; 10% is fine", () => {
    const main = journey("holdout 0%\nholdout 100%\nholdout 150%\nholdout 10%\nholdout 0.5%");
    expect(report(check(main))).toEqual([expected("J4009", main, "0%"), expected("J4009", main, "100%"), expected("J4009", main, "150%")]);
  });

  it("steps after `exit`: one J4002 warning covering all of them, related to the exit", () => {
    const main = journey("send email promo\nexit\nsend sms note\nwait 1 day");
    const d = only(check(main));
    const start = main.indexOf("send sms note");
    const end = main.indexOf("wait 1 day") + "wait 1 day".length;
    expect(report(check(main))).toEqual([`J4002 ${show("main.journey", main, rangeAt(main, start, end))}`]);
    expect(d.severity).toBe("warning");
    expect(d.related.map((r) => show(r.file, main, r.range))).toEqual([show("main.journey", main, rangeOf(main, "exit"))]);
  });

  it("steps after `exit` inside nested blocks (if, split arm, wait's else), each block on its own", () => {
    const main = journey(`
if loyalty_tier == "gold" {
  split {
    50% { exit
      send email promo }
    50% { send sms note }
  }
} else {
  wait for email_opened up to 1 day else {
    exit
    notify hook
  }
  send push "still here"
}
`);
    expect(report(check(main))).toEqual([expected("J4002", main, "send email promo"), expected("J4002", main, "notify hook")]);
  });

  it("an `exit` at the end of a block does not make the steps after the block unreachable", () => {
    const main = journey('if loyalty_tier == "gold" { exit }\nsend email promo');
    expect(report(check(main))).toEqual([]);
  });

  it("a `wait for` with no `up to`: J4003 warning on the event, and a fix adding `up to 7 days` at the end", () => {
    const main = journey('wait for email_opened where message == "x"\nwait for page_view else { exit }');
    const program = check(main);
    expect(report(program)).toEqual([expected("J4003", main, 'email_opened where message == "x"'), expected("J4003", main, "page_view", 1)]);
    const [first, second] = program.diagnostics as [Diagnostic, Diagnostic];
    expect(first.severity).toBe("warning");
    const afterWhere = main.indexOf('"x"') + 3;
    expect(first.fixes).toEqual([{ title: "add `up to 7 days`", applicability: "suggestion", edits: [{ file: "main.journey", range: rangeAt(main, afterWhere, afterWhere), newText: " up to 7 days" }] }]);
    const afterEvent = main.indexOf("page_view else") + "page_view".length;
    expect(second.fixes[0]?.edits[0]?.range).toEqual(rangeAt(main, afterEvent, afterEvent));
    // Applying both fixes gives a journey that checks clean.
    const fixed = applyFirstFix(applyFirstFix(withSchema(main), second), first);
    expect(fixed["main.journey"]).toContain('wait for email_opened where message == "x" up to 7 days\n');
    expect(fixed["main.journey"]).toContain("wait for page_view up to 7 days else { exit }");
    expect(report(check(fixed))).toEqual([]);
  });

  it("the J4003 fix goes after `matching`", () => {
    const main = journey("wait for purchase matching cart_id", "when cart_abandoned per cart_id");
    const d = only(check(main));
    const end = main.indexOf("cart_id\n}") + "cart_id".length;
    expect(d.fixes[0]?.edits[0]?.range).toEqual(rangeAt(main, end, end));
  });

  it("`per` and `matching` keys that the events have check clean", () => {
    const main = journey("wait for purchase matching cart_id up to 1 day else { send email promo }", "when cart_abandoned where value > 20 per cart_id");
    expect(report(check(main))).toEqual([]);
  });

  it("a `per` key the trigger event does not have: J3008 with the fix", () => {
    const main = journey("exit", "when cart_abandoned per cartid");
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J3008", main, "cartid")]);
    expect(d.fixes).toEqual(renameFix(main, "cartid", "cart_id"));
  });

  it("a `matching` key the waited-for event does not have, or the trigger does not have: J3009", () => {
    const main = journey("wait for email_opened matching cart_id up to 1 day\nwait for purchase matching order_id up to 1 day", "when cart_abandoned per cart_id");
    const program = check(main);
    expect(report(program)).toEqual([expected("J3009", main, "cart_id", 1), expected("J3009", main, "order_id")]);
    expect(program.diagnostics.map((d) => d.message)).toEqual([
      "`matching cart_id`: email_opened has no field `cart_id`",
      "`matching order_id`: the trigger event cart_abandoned has no field `order_id`, so there is nothing to match",
    ]);
  });

  it("`matching` in a journey that does not start on an event: J3007", () => {
    const main = journey("wait for purchase matching cart_id up to 1 day", "when customer enters engaged");
    expect(report(check(main))).toEqual([expected("J3007", main, "cart_id")]);
  });

  it("an unknown trigger event gives one diagnostic, however much of the journey reads `trigger`", () => {
    const main = journey(
      `
send sms "Hi {{ trigger.url }} {{ trigger.anything }}"
if trigger.value > 100 { exit }
wait for purchase matching cart_id up to 1 day
`,
      "when cart_abandond where value > 20 per cart_id\n  exit when purchase where cart_id == trigger.cart_id",
    );
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J2001", main, "cart_abandond")]);
    expect(d.fixes).toEqual(renameFix(main, "cart_abandond", "cart_abandoned"));
  });

  it("migrate: every waiting step must be labelled (J4007 with a label fix); targets must exist and wait", () => {
    const main = journey(
      `
cool_off: wait 1 hour
sent: send email promo
last_call: wait for purchase matching cart_id up to 1 day
wait 2 days
if loyalty_tier == "gold" {
  wait for email_opened up to 1 day
}
`,
      "when cart_abandoned per cart_id\n  on new version: migrate { reminder -> last_call   first -> lastcall   second -> sent }",
    );
    const program = check(main);
    expect(report(program)).toEqual([
      expected("J2009", main, "lastcall"),
      expected("J4007", main, "sent"),
      expected("J4007", main, "wait 2 days"),
      expected("J4007", main, "wait for email_opened up to 1 day"),
    ]);
    const [unknown, , unlabelled, nested] = program.diagnostics as Diagnostic[];
    expect(unknown?.fixes).toEqual(renameFix(main, "lastcall", "last_call"));
    const at = (needle: string) => rangeAt(main, main.indexOf(needle), main.indexOf(needle));
    expect(unlabelled?.fixes).toEqual([{ title: "add a label", applicability: "suggestion", edits: [{ file: "main.journey", range: at("wait 2 days"), newText: "waiting: " }] }]);
    expect(nested?.fixes[0]?.edits[0]).toEqual({ file: "main.journey", range: at("wait for email_opened"), newText: "wait_email_opened: " });
  });

  it("drain and restart need no labels", () => {
    const main = journey("wait 2 days\nwait for purchase up to 1 day", "when page_view\n  on new version: drain");
    expect(report(check(main))).toEqual([]);
  });

  it("`start journey` of a journey that reads its trigger event: J4011, related to its trigger", () => {
    const main = `${journey("start journey follow\nstart journey by_api")}journey follow { when page_view  goal purchase within 1 day  exit }
journey by_api { when api  goal purchase within 1 day  exit }
`;
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J4011", main, "follow")]);
    expect(d.related.map((r) => show(r.file, main, r.range))).toEqual([show("main.journey", main, rangeOf(main, "page_view", 1))]);
  });

  it("a template sent on the wrong channel: J3012, related to the template's channel", () => {
    const main = journey("send sms promo\nshow in_app note\nnotify promo");
    const program = check(main);
    expect(report(program)).toEqual([expected("J3012", main, "promo"), expected("J3012", main, "note"), expected("J3012", main, "promo", 1)]);
    expect(program.diagnostics[0]?.related.map((r) => show(r.file, schema, r.range))).toEqual([show("schema.journey", schema, rangeIn(schema, "template promo email", "email"))]);
  });

  it("an unknown segment in a trigger: J2013; a list there is J2013 with advice", () => {
    const main = `${journey("exit", "when customer enters engagd")}journey k { when every monday for vip  goal purchase within 1 day  exit }\n`;
    const program = check(main);
    expect(report(program)).toEqual([expected("J2013", main, "engagd"), expected("J2013", main, "vip")]);
    expect(program.diagnostics[0]?.fixes).toEqual(renameFix(main, "engagd", "engaged"));
    expect(program.diagnostics[1]?.message).toContain("`vip` is a list, not a segment");
  });

  it("a schedule that is not one: J3019 with the fix", () => {
    const main = journey("exit", "when every mondy at 10:00");
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J3019", main, "mondy")]);
    expect(d.fixes).toEqual(renameFix(main, "mondy", "monday"));
  });

  it("a wait of nothing: J3019", () => {
    const main = journey("wait 0 days");
    expect(report(check(main))).toEqual([expected("J3019", main, "0 days")]);
  });
});

// ── Consent and addresses ────────────────────────────────────────────────────

describe("consent and phone rules", () => {
  const project = (customer: string, steps: string, policy = "policy { respect consent }\n") => ({
    "schema.journey": `customer { ${customer} }\nevent purchase { total money }\n${policy}`,
    "main.journey": journey(steps, "when purchase"),
  });

  it("`send sms` with no phone field in the schema: J3010 on `sms`, related to the customer", () => {
    const files = project("customer_id text   email email?   consent { email bool = false   sms bool = false }", 'send sms "Hi"\nsend email "Hi"');
    const d = only(check(files));
    expect(report(check(files))).toEqual([expected("J3010", files["main.journey"], "sms")]);
    expect(d.related.map((r) => show(r.file, files["schema.journey"], r.range))).toEqual([show("schema.journey", files["schema.journey"], rangeOf(files["schema.journey"], "customer"))]);
  });

  it("`send email` with no email field: J3010", () => {
    const files = project("customer_id text   phone phone?   consent { email bool = false   sms bool = false }", 'send email "Hi"');
    expect(report(check(files))).toEqual([expected("J3010", files["main.journey"], "email")]);
  });

  it("`respect consent` with no consent flag for the channel: J3011 per channel; webhooks need none", () => {
    const files = project("customer_id text   email email?   phone phone?   consent { email bool = false   sms text }", 'send sms "Hi"\nsend email "Hi"\nsend push "Hi"\nsend webhook "https://x.example.com"');
    const program = check(files);
    expect(report(program)).toEqual([expected("J3011", files["main.journey"], "sms"), expected("J3011", files["main.journey"], "push")]);
    expect(program.diagnostics[0]?.message).toContain("add `sms bool = false` inside `consent { … }`");
  });

  it("without `respect consent` no consent flag is needed", () => {
    const files = project("customer_id text   email email?   phone phone?", 'send sms "Hi"\nsend email "Hi"\nsend push "Hi"', "");
    expect(report(check(files))).toEqual([]);
  });

  it("no phone and no consent: one diagnostic per rule on the same `sms`", () => {
    const files = project("customer_id text", 'send sms "Hi"');
    expect(report(check(files))).toEqual([expected("J3010", files["main.journey"], "sms"), expected("J3011", files["main.journey"], "sms")]);
  });
});

// ── Templates ────────────────────────────────────────────────────────────────

describe("templates", () => {
  it("inline sms text reads the trigger's fields; a misspelt one is J5002 on the field, with the fix", () => {
    const main = journey('send sms "Your cart: {{ trigger.url }} ({{ trigger.valeu }})"', "when cart_abandoned");
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J5002", main, "valeu")]);
    expect(d.fixes).toEqual(renameFix(main, "valeu", "value"));
  });

  it("positions inside a string with escapes and in a triple-quoted text map back to the source", () => {
    const main = journey(`send sms "Say \\"hi\\" to {{ customer.nmae }}"
send sms 'It\\'s {{ customer.fist_name | default: "x" }}'
send sms """
  Dear {{ customer.first_name | default: 'you' }},
  your {{ trigger.nope }}
"""`, "when cart_abandoned");
    const program = check(main);
    expect(report(program)).toEqual([expected("J5002", main, "nmae"), expected("J5002", main, "fist_name"), expected("J5002", main, "nope")]);
  });

  it("`trigger` in the text of a journey with no trigger event: J5002", () => {
    const main = journey('send sms "Hi {{ trigger.url }}"', "when api");
    expect(report(check(main))).toEqual([expected("J5002", main, "trigger")]);
  });

  it("an optional field without `default`: J5004 warning, with a fix appending `| default: ''` (other quotes inside a \"…\" text)", () => {
    const main = journey('send sms "Hi {{ customer.first_name }}"');
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J5004", main, "customer.first_name")]);
    expect(d.severity).toBe("warning");
    const end = main.indexOf("first_name }}") + "first_name".length;
    expect(d.fixes).toEqual([{ title: "add `| default: ''`", applicability: "suggestion", edits: [{ file: "main.journey", range: rangeAt(main, end, end), newText: " | default: ''" }] }]);
  });

  it("the J5004 fix applied inside a single-quoted or triple-quoted text checks clean", () => {
    for (const text of ["'Hi {{ customer.first_name }}'", '"""\n  Hi {{ customer.first_name }}\n"""']) {
      const main = journey(`send sms ${text}`);
      const fixed = applyFirstFix(withSchema(main), only(check(main)));
      expect(report(check(fixed))).toEqual([]);
    }
  });

  // Bug (fix breaks the file): in a "…" text the J5004 fix inserts ` | default: ""` as is, and its
  // quotes end the string: applied, the fix turns a warning into J5001 + J1003 errors. It should
  // insert `\"\"` or `''` there.
  it("the J5004 fix applied inside a double-quoted text checks clean", () => {
    const main = journey('send sms "Hi {{ customer.first_name }}"');
    const fixed = applyFirstFix(withSchema(main), only(check(main)));
    expect(report(check(fixed))).toEqual([]);
  });

  it("an unknown filter (J5003) and a Liquid syntax error (J5001) in inline parts of a template", () => {
    const main = "template t email {\n  subject \"{{ customer.customer_id | shout }}\"\n  body \"{% iff x %}y{% endif %}\"\n}\n";
    expect(report(check(main))).toEqual([expected("J5003", main, "shout"), expected("J5001", main, "{% iff x %}")]);
  });

  it("a template file is read through `readFile`, relative to the .journey file's folder", () => {
    const files = { "schema.journey": schema, "mail/templates.journey": 'template welcome email {\n  subject "Hi"\n  body file "bodies/welcome.liquid"\n}\n' };
    const asked: string[] = [];
    const program = checkProgram(
      Object.entries(files).map(([file, text]) => ({ file, text })),
      {
        readFile: (path) => {
          asked.push(path);
          return "Hello {{ customer.first_name | default: 'friend' }}";
        },
      },
    );
    expect(asked).toEqual(["mail/bodies/welcome.liquid"]);
    expect(program.diagnostics).toEqual([]);
  });

  it("a missing template file: J5005 on the path", () => {
    const main = 'template t email {\n  subject "Hi"\n  body file "templates/missing.liquid"\n}\n';
    const d = only(check(main));
    expect(report(check(main))).toEqual([expected("J5005", main, '"templates/missing.liquid"')]);
    expect(d.message).toContain("`templates/missing.liquid` does not exist");
  });

  it("without `readFile`, template files are not checked at all", () => {
    const main = 'template t email {\n  subject "Hi"\n  body file "templates/missing.liquid"\n}\n';
    expect(report(check(main, {}, false))).toEqual([]);
  });

  it("a problem inside a template file is reported in that file, at its own line and column", () => {
    const body = "<p>Hello {{ customer.first_name | default: 'you' }},</p>\r\n<p>Ünïcödé 🎉 {{ customer.emial }}</p>\n{{ customer.first_name }}\n";
    const main = 'template t email {\n  subject "Hi"\n  body file "templates/t.liquid"\n}\n';
    const program = check(main, { "templates/t.liquid": body });
    expect(report(program)).toEqual([expected("J5002", body, "emial", 0, "templates/t.liquid"), expected("J5004", body, "customer.first_name", 1, "templates/t.liquid")]);
    const [unknown] = program.diagnostics as [Diagnostic];
    // Line 2, after a CRLF line break; the column counts UTF-16 code units (the emoji is two).
    expect(unknown.range.start).toEqual({ line: 1, column: 26, offset: body.indexOf("emial") });
    expect(unknown.fixes).toEqual(renameFix(body, "emial", "email", 0, "templates/t.liquid"));
  });

  it("a template file shared by two templates is reported once", () => {
    const main = 'template a email { subject "A"  body file "t.liquid" }\ntemplate b email { subject "B"  body file "t.liquid" }\n';
    const program = check(main, { "t.liquid": "{{ customer.nope }}" });
    expect(report(program)).toEqual([expected("J5002", "{{ customer.nope }}", "nope", 0, "t.liquid")]);
  });
});

// ── Syntax errors ────────────────────────────────────────────────────────────

describe("with syntax errors", () => {
  it.each([
    ["a comparison with no right side", "segment s = points ==\n", "J1003"],
    ["a send with no template", journey("send email"), "J1003"],
    ["a wait with nothing to wait for", journey("wait for"), "J1003"],
    ["a window with no unit", "segment s = count(purchase, last 30) > 1\n", "J1003"],
    ["an unclosed block", journey("if points > 3 {\n  send email promo"), "J1004"],
  ])("%s: only the syntax error, nothing from the checker", (_, main, code) => {
    expect(check(main).diagnostics.map((d) => d.code)).toEqual([code]);
  });

  // Bug (cascade): the checker adds J4001 to a split whose arm did not parse (`50 { … }`, the `%`
  // forgotten): "add up to 50% (50%)" on top of the syntax errors about that very arm.
  it.fails("a split arm that does not parse does not also give J4001", () => {
    const main = journey("split {\n  50% { exit }\n  50 { exit }\n}");
    expect(check(main).diagnostics.map((d) => d.code)).not.toContain("J4001");
  });

  // Bug (parser, seen through the checker): `when` with nothing after it reads the next line's
  // `goal` as the trigger event, so the checker reports "unknown event `goal`" (J2001) and a
  // missing goal (J4004) next to the syntax error.
  it("a `when` with nothing after it gives only a syntax error", () => {
    const main = "journey j {\n  when\n  goal purchase within 7 days\n  exit\n}\n";
    expect(check(main).diagnostics.map((d) => d.code)).toEqual(["J1003"]);
  });
});

// ── One mistake, one diagnostic ──────────────────────────────────────────────

describe("one mistake gives one diagnostic", () => {
  const cases: Array<[string, string, string]> = [
    ["unknown event in count with a where", "segment s = count(purchse where total > 5, last 30 days) > 1", "purchse"],
    ["unknown event in sum", "segment s = sum(purchse.total, ever) > 1", "purchse"],
    ["unknown event with last", "segment s = last purchse.total > 5", "purchse"],
    ["unknown event in an event query with where", "segment s = purchse where total > 1 ever", "purchse"],
    ["unknown segment in a long condition", 'segment s = big_spenderz and loyalty_tier == "gold" and points > 3', "big_spenderz"],
    ["unknown field compared with an enum literal", 'segment s = loyalty_tir == "gold"', "loyalty_tir"],
    ["unknown field in arithmetic", "segment s = pionts * 2 + 1 > 3", "pionts"],
    ["unknown field in is set", "segment s = frist_name is set", "frist_name"],
    ["unknown list", "segment s = customer in vp", "vp"],
    ["unknown event in a wait with where", journey('wait for email_opend where message == "x" up to 1 day'), "email_opend"],
    ["unknown event in exit when", journey("exit", 'when page_view\n  exit when unsubscribd where channel == "email"'), "unsubscribd"],
    ["unknown event in a goal", journey("exit").replace("goal purchase", "goal purchse where total > 1"), "purchse"],
    ["unknown template with an alias used later", journey("send email prom as p\nwait for email_opened where message == p.id up to 1 day"), "prom"],
    ["unknown match subject", journey('match loyalty_tir {\n  "gold" { exit }\n  "nope" { exit }\n}'), "loyalty_tir"],
    ["unknown customer field in set", journey("set customer.pints = customer.points + 1"), "pints"],
    ["unknown field in track", journey("track purchase { totl = 5 }"), "totl"],
    ["unknown event in track", journey("track purchse { total = 5 }"), "purchse"],
    ["unknown channel with an inline text", journey('send sns "Hi"'), "sns"],
    ["unknown type of a field used in an aggregate", "event visit { n itn }\nsegment s = sum(visit.n, ever) > 1", "itn"],
  ];

  it.each(cases)("%s", (_, main, needle) => {
    const program = check(main);
    const [d] = program.diagnostics;
    expect(report(program)).toHaveLength(1);
    const text = program.texts.get(d?.file ?? "") as string;
    expect(text.slice(d?.range.start.offset, d?.range.end.offset)).toBe(needle);
  });

  // Was a cascade (fixed in f774990): with a misspelt object, `boost`/`where` were checked with no
  // object scope, so every bare object field there was also an unknown name (J2006 + J2003).
  it("a misspelt object in `recommend` gives one diagnostic", () => {
    const main = journey("show in_app card { recommend 4 Prodct boost stock > 100 where price < 50 }");
    expect(report(check(main))).toEqual([expected("J2006", main, "Prodct")]);
  });
});

// ── The examples ─────────────────────────────────────────────────────────────

const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));

function journeyFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? journeyFiles(join(dir, entry.name)) : entry.name.endsWith(".journey") ? [join(dir, entry.name)] : []))
    .sort();
}

describe("examples/", () => {
  it("the whole project checks with zero diagnostics of any severity, template files included", () => {
    const paths = journeyFiles(examples);
    expect(paths.length).toBeGreaterThan(5);
    const read: string[] = [];
    const program = checkProgram(
      paths.map((path) => ({ file: relative(examples, path), text: readFileSync(path, "utf8") })),
      {
        readFile: (path) => {
          read.push(path);
          const full = join(examples, path);
          return existsSync(full) ? readFileSync(full, "utf8") : undefined;
        },
      },
    );
    expect(program.diagnostics.map((d) => `${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1} ${d.code} ${d.message}`)).toEqual([]);
    expect(read.length).toBeGreaterThan(0);
    expect(program.symbols.journeys.size).toBeGreaterThanOrEqual(7);
  });
});

describe("filtered aggregates", () => {
  it("`sum(purchase.total where …)` reads the event's fields in the filter", async () => {
    const { checkProgram } = await import("./checker.js");
    const schema = 'event purchase {\n  total money\n  channel "store" | "online"\n}\n';
    const ok = checkProgram([{ file: "a.journey", text: `${schema}segment s = sum(purchase.total where channel == "store", last 90 days) > 300\n` }]);
    expect(ok.diagnostics).toEqual([]);
    const typo = checkProgram([{ file: "a.journey", text: `${schema}segment s = sum(purchase.total where chanel == "store", ever) > 300\n` }]);
    expect(typo.diagnostics.map((d) => [d.code, d.fixes[0]?.edits[0]?.newText])).toEqual([["J2003", "channel"]]);
  });
});

describe("gaps the IR lowering found", () => {
  const check = async (text: string, files: Record<string, string> = {}) => {
    const { checkProgram } = await import("./checker.js");
    const schema = "customer {\n  identified by id\n  id text\n  tier \"a\" | \"b\"\n}\nevent purchase {\n  total money\n}\nobject Product key sku {\n  sku text\n}\n";
    return checkProgram([{ file: "p/a.journey", text: schema + text }], { readFile: (path) => files[path] }).diagnostics.map((d) => d.code);
  };
  it("a template part given twice is J2012", async () => {
    expect(await check('template t email {\n  subject "a"\n  subject "b"\n  body "c"\n}\n')).toEqual(["J2012"]);
  });
  it("a score that halves twice is J4008", async () => {
    expect(await check("score s {\n  +1 on purchase\n  halves every 2 days\n  halves every 3 days\n}\n")).toEqual(["J4008"]);
  });
  const journey = (steps: string) => `journey j {\n  when purchase\n  goal purchase within 1 day\n${steps}\n}\n`;
  it("file parts of a show block are read and checked (J5005 when missing)", async () => {
    expect(await check(journey('  show in_app {\n    title file "missing.liquid"\n  }'))).toEqual(["J5005"]);
    expect(await check(journey('  show in_app {\n    title file "t.liquid"\n  }'), { "p/t.liquid": "{{ customer.idd }}" })).toEqual(["J5002"]);
  });
  it("recommend … like a value that is not products is J3019", async () => {
    expect(await check(journey("  show in_app {\n    recommend 3 Product like rfm(purchase.total)\n  }"))).toEqual(["J3019"]);
  });
  it("a second else in a match is J4010", async () => {
    expect(await check(journey('  match customer.tier {\n    "a" {\n      exit\n    }\n    else {\n      exit\n    }\n    else {\n      exit\n    }\n  }'))).toEqual(["J4010"]);
  });
});

describe("references", () => {
  it("`matching cart_id` refers to the trigger event's field and to the waited-for event's", async () => {
    const { checkProgram } = await import("./checker.js");
    const text =
      "event cart_abandoned {\n  cart_id text\n}\nevent purchase {\n  cart_id text\n}\njourney j {\n  when cart_abandoned per cart_id\n  goal purchase within 1 day\n  last: wait for purchase matching cart_id up to 1 day\n}\n";
    const program = checkProgram([{ file: "a.journey", text }]);
    expect(program.diagnostics).toEqual([]);
    const at = text.indexOf("matching cart_id") + "matching ".length;
    const owners = program.references.filter((r) => r.span.start === at).map((r) => r.symbol.owner);
    expect(owners.sort()).toEqual(["cart_abandoned", "purchase"]);
  });
});
