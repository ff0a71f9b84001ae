import type { SymbolInfo } from "../semantics/references.js";
import { keywords } from "../syntax/tokens.js";
import type { Location, ProjectIndex } from "./project.js";

/**
 * Where the name at `offset` is declared; on a template's `file "templates/promo.liquid"`, that
 * file. Empty when there is nothing to go to.
 */
export function definition(project: ProjectIndex, file: string, offset: number): Location[] {
  const ref = project.referenceAt(file, offset);
  if (ref?.symbol.file && ref.symbol.span) return [project.location(ref.symbol.file, ref.symbol.span)];
  const path = templateFileAt(project, file, offset);
  return path ? [project.location(path, { start: 0, end: 0 })] : [];
}

/** The template body file named at `offset` (`body file "templates/promo.liquid"`), as the checker resolves it: relative to the .journey file. */
function templateFileAt(project: ProjectIndex, file: string, offset: number): string | undefined {
  const parsed = project.file(file);
  for (const decl of parsed?.ast.declarations ?? []) {
    if (decl.kind !== "TemplateDecl" || offset < decl.span.start || offset > decl.span.end) continue;
    const prop = decl.props.find((p) => p.fromFile && p.value && p.value.span.start <= offset && offset <= p.value.span.end);
    if (!prop?.value) return undefined;
    const slash = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
    return `${slash < 0 ? "" : file.slice(0, slash + 1)}${prop.value.value}`;
  }
  return undefined;
}

/** Every place the name at `offset` is written, across the project. */
export function references(project: ProjectIndex, file: string, offset: number, includeDeclaration = true): Location[] {
  const ref = project.referenceAt(file, offset);
  if (!ref) return [];
  return project
    .occurrences(ref.symbol)
    .filter((r) => includeDeclaration || !r.declaration)
    .map((r) => project.location(r.file, r.span));
}

/** The same name in one file: for highlighting the occurrences under the cursor. */
export function highlights(project: ProjectIndex, file: string, offset: number): (Location & { declaration: boolean })[] {
  const ref = project.referenceAt(file, offset);
  if (!ref) return [];
  return project
    .occurrences(ref.symbol)
    .filter((r) => r.file === file)
    .map((r) => ({ ...project.location(r.file, r.span), declaration: r.declaration }));
}

export interface RenameTarget {
  /** The range of the name under the cursor. */
  location: Location;
  placeholder: string;
  symbol: SymbolInfo;
}

/** The name that would be renamed at `offset`; `undefined` when nothing renameable is there. */
export function prepareRename(project: ProjectIndex, file: string, offset: number): RenameTarget | undefined {
  const ref = project.referenceAt(file, offset);
  if (!ref?.symbol.file || !ref.symbol.span) return undefined;
  // Built-in fields (anonymous_id) have no declaration to rename.
  return { location: project.location(ref.file, ref.span), placeholder: ref.symbol.name, symbol: ref.symbol };
}

export interface RenameEdit {
  file: string;
  location: Location;
  newText: string;
}

export type RenameResult = { ok: true; edits: RenameEdit[] } | { ok: false; reason: string };

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be a name, or `undefined` when it can. */
export function invalidName(name: string): string | undefined {
  if (!identifier.test(name)) return `\`${name}\` is not a name: names are letters, digits and _, and do not start with a digit`;
  if (Object.hasOwn(keywords, name)) return `\`${name}\` is a word of the language: choose another name`;
  return undefined;
}

/**
 * Renames the symbol at `offset` everywhere it is written, across files. Refuses an invalid name, a
 * keyword, and a name already taken where the symbol lives (another field of the same owner, another
 * label of the same journey, another top-level declaration sharing its namespace).
 *
 * Names inside Liquid templates (`{{ customer.first_name }}`) are not renamed: the checker does not
 * record them as references.
 */
export function rename(project: ProjectIndex, file: string, offset: number, newName: string): RenameResult {
  const target = prepareRename(project, file, offset);
  if (!target) return { ok: false, reason: "there is no declared name here to rename" };
  const invalid = invalidName(newName);
  if (invalid) return { ok: false, reason: invalid };
  if (newName !== target.symbol.name) {
    const clash = nameTaken(project, target.symbol, newName);
    if (clash) return { ok: false, reason: clash };
  }
  const edits = project.occurrences(target.symbol).map((r) => ({ file: r.file, location: project.location(r.file, r.span), newText: newName }));
  return { ok: true, edits };
}

function nameTaken(project: ProjectIndex, symbol: SymbolInfo, name: string): string | undefined {
  const symbols = project.program.symbols;
  switch (symbol.kind) {
    case "field":
      return project.field(symbol.owner, name) ? `${symbol.owner} already has a field \`${name}\`` : undefined;
    case "label":
      return project.occurrences({ kind: "label", name, owner: symbol.owner }).length > 0 ? `journey \`${symbol.owner}\` already has a step labelled \`${name}\`` : undefined;
    case "template":
      return symbols.templates.has(name) ? `a template \`${name}\` already exists` : undefined;
    case "journey":
      return symbols.journeys.has(name) ? `a journey \`${name}\` already exists` : undefined;
    default: {
      // Events, objects, segments, lists and scores share one namespace.
      const taken = [symbols.events, symbols.objects, symbols.segments, symbols.lists, symbols.scores].some((m) => m.has(name));
      return taken ? `the name \`${name}\` is already used by another declaration` : undefined;
    }
  }
}
