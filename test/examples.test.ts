import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type Diagnostic, parse, type ParseResult } from "@journey/language";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const examples = join(root, "examples");

/** The seed scenarios of docs ARCHITECTURE.md: each must exist as a journey in examples/. */
const seedJourneys = [
  "store_to_online",
  "promo_fallback",
  "abandoned_cart",
  "welcome_series",
  "winback",
  "lead_scoring",
  "birthday_offer",
];

function journeyFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...journeyFiles(path));
    else if (entry.name.endsWith(".journey")) found.push(path);
  }
  return found.sort();
}

function render(d: Diagnostic): string {
  return `${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1} ${d.code} ${d.message}`;
}

const parsed: ParseResult[] = journeyFiles(examples).map((path) =>
  parse(readFileSync(path, "utf8"), relative(root, path)),
);

const journeys = parsed.flatMap((result) =>
  result.ast.declarations.flatMap((declaration) =>
    declaration.kind === "JourneyDecl" ? [{ file: result.file, journey: declaration }] : [],
  ),
);

describe("examples/", () => {
  it("holds .journey files", () => {
    expect(parsed.length).toBeGreaterThan(0);
  });

  for (const result of parsed) {
    it(`${result.file} parses with no diagnostics`, () => {
      expect(result.diagnostics.map(render)).toEqual([]);
    });

    it(`${result.file} starts with a // comment saying what it shows`, () => {
      expect(result.text).toMatch(/^\/\/(?!\/)/);
    });
  }

  it.each(seedJourneys)("has the seed journey %s", (name) => {
    const names = journeys.map(({ journey }) => journey.name?.text);
    expect(names).toContain(name);
  });

  it("declares every journey once", () => {
    const names = journeys.map(({ journey }) => journey.name?.text);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it("gives every journey a goal", () => {
    const withoutGoal = journeys
      .filter(({ journey }) => !journey.items.some((item) => item.kind === "GoalClause"))
      .map(({ file, journey }) => `${file}: journey ${journey.name?.text ?? "(unnamed)"}`);
    expect(withoutGoal).toEqual([]);
  });

  it("has every template body file it points to", () => {
    const missing: string[] = [];
    for (const result of parsed) {
      for (const declaration of result.ast.declarations) {
        if (declaration.kind !== "TemplateDecl") continue;
        for (const prop of declaration.props) {
          if (prop.fromFile && prop.value && !existsSync(join(examples, prop.value.value))) {
            missing.push(`${result.file}: template ${declaration.name?.text}: ${prop.value.value}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
