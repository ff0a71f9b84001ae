import type * as A from "../syntax/ast.js";
import { closestName } from "./suggest.js";
import { ReferenceIndex, type SymbolInfo, type SymbolKind } from "./references.js";
import { didYouMean, type Place, Reporter } from "./report.js";
import { type FieldInfo, isScalarName, scalar, scalarNames, type Type } from "./types.js";

/** A declaration and the file it is in. */
export interface Declared<T> {
  name: string;
  node: T;
  file: string;
}

export interface EventSymbol extends Declared<A.EventDecl> {
  fields: Map<string, FieldInfo>;
}

export interface ObjectSymbol extends Declared<A.ObjectDecl> {
  fields: Map<string, FieldInfo>;
}

export interface CustomerSymbol {
  node: A.CustomerDecl;
  file: string;
  fields: Map<string, FieldInfo>;
}

/** Every name the project declares. All files share one namespace, like Terraform. */
export interface Symbols {
  customer: CustomerSymbol | undefined;
  events: Map<string, EventSymbol>;
  objects: Map<string, ObjectSymbol>;
  segments: Map<string, Declared<A.SegmentDecl>>;
  lists: Map<string, Declared<A.ListDecl>>;
  scores: Map<string, Declared<A.ScoreDecl>>;
  templates: Map<string, Declared<A.TemplateDecl>>;
  journeys: Map<string, Declared<A.JourneyDecl>>;
  policies: Declared<A.PolicyDecl>[];
}

export const channels = ["email", "sms", "push", "webhook", "in_app"] as const;

/** Every customer has these, whatever the schema says. */
const builtinCustomerFields: FieldInfo[] = [
  { name: "anonymous_id", type: scalar("text"), optional: true, hasDefault: false, doc: "The id of an anonymous web or app visitor." },
];

interface ParsedFile {
  file: string;
  ast: A.SourceFile;
}

/** A project that declares nothing. */
export function emptySymbols(): Symbols {
  return {
    customer: undefined,
    events: new Map(),
    objects: new Map(),
    segments: new Map(),
    lists: new Map(),
    scores: new Map(),
    templates: new Map(),
    journeys: new Map(),
    policies: [],
  };
}

/** Collects the declarations of every file; reports duplicates with both places. */
export function bind(files: ParsedFile[], reporter: Reporter, refs: ReferenceIndex = new ReferenceIndex()): Symbols {
  const symbols = emptySymbols();
  // Events, objects, segments, lists and scores are all names an expression can use: one namespace.
  const valueNames = new Map<string, Place & { kind: string }>();
  const claim = (namespace: Map<string, Place & { kind: string }>, kind: string, id: A.Identifier | undefined, file: string): boolean => {
    if (!id) return false;
    const previous = namespace.get(id.text);
    if (previous) {
      reporter.report(
        "J2010",
        { file, span: id.span },
        `the name \`${id.text}\` is already used by the ${previous.kind} declared at ${reporter.where(previous)}: rename one of them`,
        { related: [{ ...previous, message: `the first \`${id.text}\` is here` }] },
      );
      return false;
    }
    namespace.set(id.text, { file, span: id.span, kind });
    refs.add(file, id.span, { kind: kind as SymbolKind, name: id.text, file, span: id.span }, true);
    return true;
  };
  const templateNames = new Map<string, Place & { kind: string }>();
  const journeyNames = new Map<string, Place & { kind: string }>();

  for (const { file, ast } of files) {
    for (const decl of ast.declarations) {
      switch (decl.kind) {
        case "CustomerDecl":
          if (symbols.customer) {
            const first = symbols.customer;
            reporter.report(
              "J3017",
              { file, span: { start: decl.span.start, end: decl.span.start + "customer".length } },
              "the customer schema is declared twice: keep one `customer { … }` and move these fields into it",
              { related: [{ file: first.file, span: first.node.span, message: "the first `customer` declaration is here" }] },
            );
          } else {
            symbols.customer = { node: decl, file, fields: new Map() };
          }
          break;
        case "EventDecl":
          if (claim(valueNames, "event", decl.name, file) && decl.name) {
            symbols.events.set(decl.name.text, { name: decl.name.text, node: decl, file, fields: new Map() });
          }
          break;
        case "ObjectDecl":
          if (claim(valueNames, "object", decl.name, file) && decl.name) {
            symbols.objects.set(decl.name.text, { name: decl.name.text, node: decl, file, fields: new Map() });
          }
          break;
        case "SegmentDecl":
          if (claim(valueNames, "segment", decl.name, file) && decl.name) symbols.segments.set(decl.name.text, { name: decl.name.text, node: decl, file });
          break;
        case "ListDecl":
          if (claim(valueNames, "list", decl.name, file) && decl.name) symbols.lists.set(decl.name.text, { name: decl.name.text, node: decl, file });
          break;
        case "ScoreDecl":
          if (claim(valueNames, "score", decl.name, file) && decl.name) symbols.scores.set(decl.name.text, { name: decl.name.text, node: decl, file });
          break;
        case "TemplateDecl":
          if (claim(templateNames, "template", decl.name, file) && decl.name) symbols.templates.set(decl.name.text, { name: decl.name.text, node: decl, file });
          break;
        case "JourneyDecl":
          if (claim(journeyNames, "journey", decl.name, file) && decl.name) symbols.journeys.set(decl.name.text, { name: decl.name.text, node: decl, file });
          break;
        case "PolicyDecl":
          symbols.policies.push({ name: decl.name?.text ?? "policy", node: decl, file });
          break;
        default: {
          const unknown: never = decl;
          return unknown;
        }
      }
    }
  }

  // Field types may name objects, so objects are known before any field is resolved.
  for (const object of symbols.objects.values()) {
    object.fields = resolveFields(object.node.fields, object.file, symbols, reporter, object.name);
    const key = object.node.key;
    if (key && !object.fields.has(key.text)) {
      const suggestion = closestName(key.text, object.fields.keys());
      reporter.report("J2002", { file: object.file, span: key.span }, `the key \`${key.text}\` is not a field of ${object.name}${didYouMean(suggestion)}`, {
        fixes: Reporter.rename({ file: object.file, span: key.span }, suggestion),
      });
    }
  }
  for (const event of symbols.events.values()) event.fields = resolveFields(event.node.fields, event.file, symbols, reporter, event.name);
  if (symbols.customer) {
    const { node, file } = symbols.customer;
    const fields = resolveFields(
      node.members.filter((m): m is A.FieldDecl => m.kind === "FieldDecl"),
      file,
      symbols,
      reporter,
      "customer",
    );
    for (const builtin of builtinCustomerFields) if (!fields.has(builtin.name)) fields.set(builtin.name, builtin);
    symbols.customer.fields = fields;
    for (const member of node.members) {
      if (member.kind !== "IdentityClause") continue;
      for (const key of member.keys) {
        if (fields.has(key.text)) continue;
        const suggestion = closestName(key.text, fields.keys());
        reporter.report(
          "J3018",
          { file, span: key.span },
          `the identity key \`${key.text}\` is not a field of customer${suggestion ? didYouMean(suggestion) : `; declare it, e.g. \`${key.text} text?\``}`,
          { fixes: Reporter.rename({ file, span: key.span }, suggestion) },
        );
      }
    }
  }
  // Field declarations are symbols too (for go-to-definition, references and rename).
  const declareFields = (fields: Map<string, FieldInfo>) => {
    for (const field of fields.values()) {
      if (field.file && field.span) {
        refs.add(field.file, field.span, { kind: "field", name: field.name, owner: field.owner, file: field.file, span: field.span }, true);
      }
      if (field.type.kind === "record") declareFields(field.type.fields);
      if (field.type.kind === "list" && field.type.element.kind === "record") declareFields(field.type.element.fields);
    }
  };
  for (const object of symbols.objects.values()) declareFields(object.fields);
  for (const event of symbols.events.values()) declareFields(event.fields);
  if (symbols.customer) {
    declareFields(symbols.customer.fields);
    for (const member of symbols.customer.node.members) {
      if (member.kind !== "IdentityClause") continue;
      for (const key of member.keys) {
        const field = symbols.customer.fields.get(key.text);
        if (field) refs.add(symbols.customer.file, key.span, fieldSymbol(field));
      }
    }
  }
  return symbols;
}

/** The symbol of a declared field. */
export function fieldSymbol(field: FieldInfo): SymbolInfo {
  const symbol: SymbolInfo = { kind: "field", name: field.name };
  if (field.owner) symbol.owner = field.owner;
  if (field.file) symbol.file = field.file;
  if (field.span) symbol.span = field.span;
  return symbol;
}

/** Resolves declared fields to types, reporting unknown types, unknown objects and duplicate fields. */
export function resolveFields(
  decls: A.FieldDecl[],
  file: string,
  symbols: Symbols,
  reporter: Reporter,
  owner: string,
): Map<string, FieldInfo> {
  const fields = new Map<string, FieldInfo>();
  for (const decl of decls) {
    const previous = fields.get(decl.name.text);
    if (previous) {
      reporter.report("J2012", { file, span: decl.name.span }, `${owner} already has a field \`${decl.name.text}\`: rename or remove this one`, {
        related: previous.span ? [{ file, span: previous.span, message: "the first one is here" }] : [],
      });
      continue;
    }
    const { type, optional } = resolveType(decl.type, file, symbols, reporter, `${owner}.${decl.name.text}`);
    const info: FieldInfo = { name: decl.name.text, type, optional, hasDefault: decl.defaultValue !== undefined, owner, file, span: decl.name.span };
    if (decl.doc) info.doc = decl.doc.text;
    fields.set(decl.name.text, info);
    if (decl.defaultValue) checkDefault(decl.defaultValue, type, file, reporter, decl.name.text);
  }
  return fields;
}

function resolveType(
  type: A.TypeExpr | undefined,
  file: string,
  symbols: Symbols,
  reporter: Reporter,
  path: string,
): { type: Type; optional: boolean } {
  if (!type) return { type: { kind: "error" }, optional: false };
  switch (type.kind) {
    case "OptionalType":
      return { type: resolveType(type.inner, file, symbols, reporter, path).type, optional: true };
    case "NamedType": {
      const name = type.name.text;
      if (isScalarName(name)) return { type: scalar(name), optional: false };
      if (symbols.objects.has(name)) {
        reporter.report(
          "J2005",
          { file, span: type.name.span },
          `\`${name}\` is an object, not a type: to point at one of its rows write \`ref ${name}\``,
          { fixes: [{ title: `change to \`ref ${name}\``, applicability: "safe", edits: [{ file, span: type.name.span, newText: `ref ${name}` }] }] },
        );
        return { type: { kind: "ref", object: name }, optional: false };
      }
      const suggestion = closestName(name, scalarNames);
      reporter.report(
        "J2005",
        { file, span: type.name.span },
        `unknown type \`${name}\`${didYouMean(suggestion)}${suggestion ? "" : `; the types are ${scalarNames.join(", ")}, "a" | "b" choices, list of …, ref <object> and { … } records`}`,
        { fixes: Reporter.rename({ file, span: type.name.span }, suggestion) },
      );
      return { type: { kind: "error" }, optional: false };
    }
    case "RefType": {
      const target = type.target;
      if (!target) return { type: { kind: "error" }, optional: false };
      if (!symbols.objects.has(target.text)) {
        const suggestion = closestName(target.text, symbols.objects.keys());
        reporter.report(
          "J2006",
          { file, span: target.span },
          `unknown object \`${target.text}\`${didYouMean(suggestion)}${suggestion ? "" : `; declare it with \`object ${target.text} key id { … }\``}`,
          { fixes: Reporter.rename({ file, span: target.span }, suggestion) },
        );
        return { type: { kind: "error" }, optional: false };
      }
      return { type: { kind: "ref", object: target.text }, optional: false };
    }
    case "ListType":
      return { type: { kind: "list", element: resolveType(type.element, file, symbols, reporter, path).type }, optional: false };
    case "UnionType":
      return { type: { kind: "enum", options: type.options.map((o) => o.value) }, optional: false };
    case "RecordType":
      return { type: { kind: "record", name: path, fields: resolveFields(type.fields, file, symbols, reporter, path) }, optional: false };
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}

function checkDefault(value: A.Literal, type: Type, file: string, reporter: Reporter, field: string): void {
  if (type.kind === "error") return;
  if (type.kind === "enum") {
    if (value.kind === "StringLiteral" && type.options.includes(value.value)) return;
    const suggestion = value.kind === "StringLiteral" ? closestName(value.value, type.options) : undefined;
    reporter.report(
      "J3013",
      { file, span: value.span },
      `the default of \`${field}\` must be one of ${type.options.map((o) => `"${o}"`).join(", ")}${didYouMean(suggestion ? `"${suggestion}"` : undefined)}`,
      { fixes: Reporter.rename({ file, span: value.span }, suggestion ? `"${suggestion}"` : undefined) },
    );
    return;
  }
  const literalType = literalTypeName(value);
  const ok =
    type.kind === "scalar" &&
    (literalType === type.name ||
      (literalType === "text" && ["text", "email", "phone", "url", "country", "timezone", "date", "datetime"].includes(type.name)) ||
      (literalType === "int" && ["int", "number", "money"].includes(type.name)) ||
      (literalType === "number" && ["number", "money"].includes(type.name)));
  if (!ok) {
    reporter.report("J3013", { file, span: value.span }, `the default of \`${field}\` is a ${literalType}, but the field holds ${describe(type)}`);
  }
}

function describe(type: Type): string {
  return type.kind === "scalar" ? type.name : type.kind;
}

export function literalTypeName(value: A.Literal): string {
  switch (value.kind) {
    case "StringLiteral":
      return "text";
    case "NumberLiteral":
      return Number.isInteger(value.value) && !value.text.includes(".") ? "int" : "number";
    case "BooleanLiteral":
      return "bool";
    case "DurationLiteral":
      return "duration";
    case "TimeLiteral":
      return "time";
    case "PercentLiteral":
      return "percent";
    default: {
      const unknown: never = value;
      return unknown;
    }
  }
}
