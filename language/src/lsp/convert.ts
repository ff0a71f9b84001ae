import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  DiagnosticTag,
  InsertTextFormat,
  type CompletionItem as LspCompletionItem,
  type Diagnostic as LspDiagnostic,
  type Location as LspLocation,
  type Range as LspRange,
  type CodeAction as LspCodeAction,
  type DocumentSymbol,
  SymbolKind,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
  MarkupKind,
} from "vscode-languageserver/node";
import type { Diagnostic, Range, TextEdit } from "../diagnostics/diagnostic.js";
import type { CodeAction, CompletionItem, CompletionKind, Location, OutlineKind, OutlineSymbol } from "../service/index.js";

/** Where files live: project paths (as the checker names files) ↔ the editor's URIs. */
export interface Files {
  uri(file: string): string;
  file(uri: string): string;
}

export function range(r: Range): LspRange {
  return { start: { line: r.start.line, character: r.start.column }, end: { line: r.end.line, character: r.end.column } };
}

export function location(files: Files, l: Location): LspLocation {
  return { uri: files.uri(l.file), range: range(l.range) };
}

const severities = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
} as const;

export function diagnostic(files: Files, d: Diagnostic): LspDiagnostic {
  const result: LspDiagnostic = {
    range: range(d.range),
    severity: severities[d.severity],
    code: d.code,
    source: "journey",
    message: d.message,
  };
  if (d.related.length > 0) {
    result.relatedInformation = d.related.map((r) => DiagnosticRelatedInformation.create({ uri: files.uri(r.file), range: range(r.range) }, r.message));
  }
  if (d.code === "J4002") result.tags = [DiagnosticTag.Unnecessary];
  return result;
}

export function workspaceEdit(files: Files, edits: { file: string; range: Range; newText: string }[]): WorkspaceEdit {
  const changes: Record<string, LspTextEdit[]> = {};
  for (const edit of edits) {
    const uri = files.uri(edit.file);
    (changes[uri] ??= []).push({ range: range(edit.range), newText: edit.newText });
  }
  return { changes };
}

export function codeAction(files: Files, action: CodeAction): LspCodeAction {
  return {
    title: action.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic(files, action.diagnostic)],
    isPreferred: action.preferred,
    edit: workspaceEdit(files, action.edits as TextEdit[]),
  };
}

const completionKinds: Record<CompletionKind, CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword,
  field: CompletionItemKind.Field,
  event: CompletionItemKind.Event,
  object: CompletionItemKind.Class,
  segment: CompletionItemKind.Variable,
  list: CompletionItemKind.Variable,
  score: CompletionItemKind.Variable,
  template: CompletionItemKind.Reference,
  journey: CompletionItemKind.Module,
  label: CompletionItemKind.Reference,
  value: CompletionItemKind.EnumMember,
  unit: CompletionItemKind.Unit,
  type: CompletionItemKind.TypeParameter,
  function: CompletionItemKind.Function,
  filter: CompletionItemKind.Function,
  variable: CompletionItemKind.Variable,
  channel: CompletionItemKind.Constant,
  snippet: CompletionItemKind.Snippet,
};

export function completionItem(item: CompletionItem, replace: LspRange, index: number): LspCompletionItem {
  const result: LspCompletionItem = {
    label: item.label,
    kind: completionKinds[item.kind],
    // Keep the service's order: it lists what fits best first.
    sortText: String(index).padStart(5, "0"),
    textEdit: { range: replace, newText: item.insertText ?? item.label },
  };
  if (item.detail) result.detail = item.detail;
  if (item.documentation) result.documentation = { kind: MarkupKind.Markdown, value: item.documentation };
  if (item.snippet) result.insertTextFormat = InsertTextFormat.Snippet;
  return result;
}

const symbolKinds: Record<OutlineKind, SymbolKind> = {
  customer: SymbolKind.Struct,
  event: SymbolKind.Event,
  object: SymbolKind.Class,
  segment: SymbolKind.Variable,
  list: SymbolKind.Array,
  score: SymbolKind.Number,
  template: SymbolKind.String,
  journey: SymbolKind.Module,
  policy: SymbolKind.Namespace,
  field: SymbolKind.Field,
  label: SymbolKind.Key,
  step: SymbolKind.Key,
};

export function documentSymbol(symbol: OutlineSymbol): DocumentSymbol {
  return {
    name: symbol.name,
    kind: symbolKinds[symbol.kind],
    detail: symbol.detail,
    range: range(symbol.location.range),
    selectionRange: range(symbol.selection.range),
    children: symbol.children.map(documentSymbol),
  };
}

export function outlineSymbolKind(kind: OutlineKind): SymbolKind {
  return symbolKinds[kind];
}

/** The semantic token types, in legend order, and what each symbol kind is shown as. */
export const tokenTypes = ["event", "class", "variable", "enum", "number", "function", "namespace", "property", "decorator"];
export const tokenModifiers = ["declaration", "readonly"];
export const tokenTypeOf: Record<string, number> = {
  event: 0,
  object: 1,
  segment: 2,
  list: 3,
  score: 4,
  template: 5,
  journey: 6,
  field: 7,
  label: 8,
};
