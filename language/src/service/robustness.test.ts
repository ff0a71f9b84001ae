import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Workspace } from "../workspace/workspace.js";
import { codeActions } from "./actions.js";
import { completion } from "./completion.js";
import { foldingRanges } from "./folding.js";
import { GraphMemory } from "./graph.js";
import { hover } from "./hover.js";
import { inlayHints } from "./inlayHints.js";
import { definition, prepareRename, references } from "./navigation.js";
import { documentSymbols } from "./outline.js";
import { semanticTokens } from "./semanticTokens.js";
import { signatureHelp } from "./signature.js";

const examples = join(import.meta.dirname, "../../../examples");
const files = readdirSync(examples).filter((f) => f.endsWith(".journey"));

/** Every service function at many places of a text: none may throw, whatever the text. */
function exercise(workspace: Workspace, file: string, step: number): number {
  const project = workspace.fileProject(file);
  const parsed = project.file(file);
  if (!parsed) throw new Error(`no ${file}`);
  let calls = 0;
  for (let offset = 0; offset <= parsed.text.length; offset += step) {
    completion(project, file, offset);
    hover(project, file, offset);
    definition(project, file, offset);
    references(project, file, offset);
    prepareRename(project, file, offset);
    signatureHelp(parsed.text, offset);
    codeActions(project, file, offset, offset + 5);
    new GraphMemory().graph(parsed, offset);
    calls++;
  }
  documentSymbols(parsed);
  foldingRanges(parsed);
  inlayHints(parsed);
  semanticTokens(project, file);
  return calls;
}

describe("the language service never throws", () => {
  it("anywhere in the example files", () => {
    const workspace = new Workspace();
    for (const file of files) workspace.set(file, readFileSync(join(examples, file), "utf8"));
    let calls = 0;
    for (const file of files) calls += exercise(workspace, file, 3);
    expect(calls).toBeGreaterThan(1000);
  });

  it("in text cut short anywhere, as it is while typing", () => {
    const workspace = new Workspace();
    for (const file of files) workspace.set(file, readFileSync(join(examples, file), "utf8"));
    const text = readFileSync(join(examples, "promo_fallback.journey"), "utf8");
    for (let cut = 0; cut < text.length; cut += 37) {
      workspace.set("promo_fallback.journey", text.slice(0, cut));
      exercise(workspace, "promo_fallback.journey", 11);
      workspace.set("promo_fallback.journey", text.slice(0, cut) + text.slice(cut + 13));
      exercise(workspace, "promo_fallback.journey", 29);
    }
  });
});
