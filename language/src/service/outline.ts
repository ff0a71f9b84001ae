import type { SymbolKind } from "../semantics/references.js";
import type * as A from "../syntax/ast.js";
import type { ParseResult } from "../syntax/parse.js";
import type { Location, ProjectIndex } from "./project.js";
import { stepSummary, walk } from "./steps.js";

export type OutlineKind = SymbolKind | "customer" | "policy" | "step";

/** A declaration (or field, or labelled step) for the outline and the "go to symbol" lists. */
export interface OutlineSymbol {
  name: string;
  kind: OutlineKind;
  detail: string;
  /** The whole declaration. */
  location: Location;
  /** Its name. */
  selection: Location;
  children: OutlineSymbol[];
}

function loc(parsed: ParseResult, span: A.Span): Location {
  return { file: parsed.file, range: parsed.lineIndex.range(span.start, span.end) };
}

function fieldSymbols(parsed: ParseResult, fields: A.FieldDecl[]): OutlineSymbol[] {
  return fields.map((field) => {
    const text = parsed.text.slice(field.type?.span.start ?? field.name.span.end, field.type?.span.end ?? field.name.span.end);
    const nested = field.type ? recordOf(field.type) : undefined;
    return {
      name: field.name.text,
      kind: "field" as const,
      detail: nested ? "{ … }" : text,
      location: loc(parsed, field.span),
      selection: loc(parsed, field.name.span),
      children: nested ? fieldSymbols(parsed, nested.fields) : [],
    };
  });
}

function recordOf(type: A.TypeExpr): A.RecordType | undefined {
  if (type.kind === "RecordType") return type;
  if (type.kind === "OptionalType") return recordOf(type.inner);
  if (type.kind === "ListType" && type.element) return recordOf(type.element);
  return undefined;
}

/** The outline of one file: its declarations, with fields and labelled steps inside. */
export function documentSymbols(parsed: ParseResult): OutlineSymbol[] {
  const symbols: OutlineSymbol[] = [];
  for (const decl of parsed.ast.declarations) {
    const base = (name: string, kind: OutlineKind, detail: string, id: A.Identifier | undefined, children: OutlineSymbol[] = []): OutlineSymbol => ({
      name,
      kind,
      detail,
      location: loc(parsed, decl.span),
      selection: loc(parsed, id?.span ?? { start: decl.span.start, end: decl.span.start }),
      children,
    });
    switch (decl.kind) {
      case "CustomerDecl":
        symbols.push(base("customer", "customer", "the customer schema", undefined, fieldSymbols(parsed, decl.members.filter((m): m is A.FieldDecl => m.kind === "FieldDecl"))));
        break;
      case "EventDecl":
        if (decl.name) symbols.push(base(decl.name.text, "event", "event", decl.name, fieldSymbols(parsed, decl.fields)));
        break;
      case "ObjectDecl":
        if (decl.name) symbols.push(base(decl.name.text, "object", `object, key ${decl.key?.text ?? "?"}`, decl.name, fieldSymbols(parsed, decl.fields)));
        break;
      case "SegmentDecl":
        if (decl.name) symbols.push(base(decl.name.text, "segment", "segment", decl.name));
        break;
      case "ListDecl":
        if (decl.name) symbols.push(base(decl.name.text, "list", "list", decl.name));
        break;
      case "ScoreDecl":
        if (decl.name) symbols.push(base(decl.name.text, "score", "score", decl.name));
        break;
      case "TemplateDecl":
        if (decl.name) symbols.push(base(decl.name.text, "template", `${decl.channel?.text ?? ""} template`, decl.name));
        break;
      case "PolicyDecl":
        symbols.push(base(decl.name?.text ?? "policy", "policy", "policy", decl.name));
        break;
      case "JourneyDecl": {
        if (!decl.name) break;
        const steps: OutlineSymbol[] = [];
        walk(decl.items, (node) => {
          const step = node as A.Step;
          if (!step.label || !("kind" in step)) return;
          steps.push({
            name: step.label.text,
            kind: "label",
            detail: stepSummary(step),
            location: loc(parsed, step.span),
            selection: loc(parsed, step.label.span),
            children: [],
          });
        });
        symbols.push(base(decl.name.text, "journey", decl.title?.value ?? "journey", decl.name, steps));
        break;
      }
      default: {
        const unknown: never = decl;
        return unknown;
      }
    }
  }
  return symbols;
}

/** Declarations across the project whose name contains the query's letters in order (case-insensitive). */
export function workspaceSymbols(project: ProjectIndex, query: string, limit = 500): OutlineSymbol[] {
  const wanted = query.toLowerCase();
  const matches = (name: string) => {
    let at = 0;
    const lower = name.toLowerCase();
    for (const ch of wanted) {
      at = lower.indexOf(ch, at);
      if (at < 0) return false;
      at++;
    }
    return true;
  };
  const found: OutlineSymbol[] = [];
  for (const name of project.fileNames) {
    const parsed = project.file(name);
    if (!parsed) continue;
    for (const symbol of documentSymbols(parsed)) {
      if (symbol.kind === "customer" || symbol.kind === "policy" || !matches(symbol.name)) continue;
      found.push({ ...symbol, children: [] });
      if (found.length >= limit) return found;
    }
  }
  return found;
}
