import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../syntax/parse.js";
import { format } from "./printer.js";

const root = join(import.meta.dirname, "../../..");

/** The tree without spans: what "the same meaning" compares. */
function shape(text: string): string {
  const { ast } = parse(text);
  return JSON.stringify(ast, (key, value) => (key === "span" || key === "comments" ? undefined : value));
}

function commentTexts(text: string): string[] {
  return parse(text).ast.comments.map((c) => c.text.trimEnd());
}

function journeyFiles(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith(".journey")) found.push(join(dir, entry.name));
    }
  };
  walk(folder);
  return found.sort();
}

function expectFormatsSafely(text: string): string {
  const first = format(text);
  expect(first.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const output = first.output as string;
  expect(format(output).output, "formatting twice changes nothing").toBe(output);
  expect(shape(output), "the formatted file means the same").toBe(shape(text));
  expect(commentTexts(output), "every comment is kept, in order").toEqual(commentTexts(text));
  return output;
}

describe("the formatter", () => {
  const corpus = [
    ...journeyFiles(join(root, "examples")),
    ...journeyFiles(join(root, "language/src/syntax/__fixtures__/valid")),
  ];

  it("has a corpus to check", () => {
    expect(corpus.length).toBeGreaterThan(0);
  });

  for (const file of corpus) {
    it(`is idempotent, meaning- and comment-preserving on ${file.slice(root.length + 1)}`, () => {
      expectFormatsSafely(readFileSync(file, "utf8"));
    });
  }

  it("lays out a messy file canonically", () => {
    const messy = [
      "/// People.",
      "customer {  identified by id, email",
      "id text  // the key",
      "  first_name text?",
      "consent { email bool = false sms bool = false } }",
      "segment  big=sum(purchase.total,last 90 days)>500",
      "",
      "",
      "",
      "journey j \"J\" { when customer enters big   entry once",
      "goal purchase within 7 days",
      "  // send it",
      "send email promo as p wait for email_opened up to 2 days else { send sms \"hi\" }",
      "if a>1{exit}else{ split { 50% {send email a} 50% b {send email b} } } }",
    ].join("\n");
    expect(expectFormatsSafely(messy)).toBe(
      [
        "/// People.",
        "customer {",
        "  identified by id, email",
        "  id         text  // the key",
        "  first_name text?",
        "  consent {",
        "    email bool = false",
        "    sms   bool = false",
        "  }",
        "}",
        "segment big = sum(purchase.total, last 90 days) > 500",
        "",
        'journey j "J" {',
        "  when customer enters big",
        "  entry once",
        "  goal purchase within 7 days",
        "  // send it",
        "  send email promo as p",
        "  wait for email_opened up to 2 days else {",
        '    send sms "hi"',
        "  }",
        "  if a > 1 {",
        "    exit",
        "  } else {",
        "    split {",
        "      50% {",
        "        send email a",
        "      }",
        "      50% b {",
        "        send email b",
        "      }",
        "    }",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps a comment at the end of a block and at the end of the file", () => {
    const text = "journey j {\n  exit\n  // nothing after this\n}\n// the end\n";
    expect(expectFormatsSafely(text)).toBe(text);
  });

  it("keeps explicit parentheses and the spelling of units and quotes", () => {
    const text = "segment s = (a == 1 or b == 'x') and not c > 1 day\n";
    expect(expectFormatsSafely(text)).toBe(text);
  });

  it("leaves a file with syntax errors untouched and reports why", () => {
    const result = format("journey j {\n  wait\n}\n");
    expect(result.output).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toEqual(["J1003"]);
  });
});
