import { type CstNode, EOF, type IRecognitionException, type IToken, tokenMatcher } from "chevrotain";
import { catalog, type DiagnosticCode } from "../diagnostics/catalog.js";
import type { Diagnostic, RelatedLocation } from "../diagnostics/diagnostic.js";
import { LineIndex } from "../diagnostics/lineIndex.js";
import type * as A from "./ast.js";
import { buildSourceFile, MAX_OPERATORS, tokenEnd } from "./build.js";
import { JourneyParser } from "./parser.js";
import * as T from "./tokens.js";

/** Braces, parentheses and brackets nested deeper than this are reported, not parsed (no stack overflow). */
export const MAX_NESTING = 64;

export interface ParseResult {
  file: string;
  text: string;
  ast: A.SourceFile;
  diagnostics: Diagnostic[];
  lineIndex: LineIndex;
}

let sharedParser: JourneyParser | undefined;

function parser(): JourneyParser {
  sharedParser ??= new JourneyParser();
  return sharedParser;
}

const openers = new Map([
  [T.LCurly, T.RCurly],
  [T.LParen, T.RParen],
  [T.LBracket, T.RBracket],
]);

function closerOf(token: IToken): string {
  if (token.tokenType === T.LCurly) return "}";
  if (token.tokenType === T.LParen) return ")";
  return "]";
}

/**
 * Parses one `.journey` file. Never throws and never hangs: any text yields a tree (possibly partial)
 * plus diagnostics.
 */
export function parse(text: string, file = "<input>"): ParseResult {
  const lineIndex = new LineIndex(text);
  lineOf = (offset) => lineIndex.position(offset).line;
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, start: number, end: number, message: string, related: RelatedLocation[] = []) => {
    diagnostics.push({
      code,
      severity: catalog[code].severity,
      message,
      file,
      range: lineIndex.range(start, end),
      related,
      fixes: [],
    });
  };

  try {
    const lexed = T.journeyLexer.tokenize(text);
    for (const error of lexed.errors) {
      const ch = text.slice(error.offset, error.offset + (error.length || 1));
      report(
        "J1001",
        error.offset,
        error.offset + (error.length || 1),
        `unexpected character \`${ch.length > 20 ? `${ch.slice(0, 20)}…` : ch}\`: remove it, or put it inside quotes if it is text`,
      );
    }
    for (const token of lexed.tokens) {
      if (token.tokenType === T.TimeOfDay) {
        const [hour, minute] = token.image.split(":").map(Number);
        if ((hour ?? 0) > 23 || (minute ?? 0) > 59) {
          report("J1007", token.startOffset, tokenEnd(token), `\`${token.image}\` is not a time of day: write hours 00–23 and minutes 00–59, e.g. \`21:30\``);
        }
      }
      if (token.tokenType === T.UnterminatedString) {
        const quote = token.image.startsWith('"""') ? '"""' : token.image[0];
        report(
          "J1002",
          token.startOffset,
          token.startOffset + Math.min(token.image.length, 1),
          `this text is never closed: add the closing ${quote} ${quote === '"""' ? "" : "before the end of the line"}`.trimEnd(),
        );
      }
    }

    // The lexer records where tokens start; the parser needs where they end to track node spans.
    for (const token of lexed.tokens) token.endOffset = token.startOffset + token.image.length - 1;
    const { tokens, unclosed } = limitNesting(lexed.tokens, report);
    const p = parser();
    p.sourceText = text;
    p.input = tokens;
    const cst = p.sourceFile();
    reportSyntaxErrors(p.errors, tokens, unclosed, text, file, lineIndex, report);
    reportJunk(cst, report, diagnostics);
    const { ast, strayLines, untypedFields, longExpressions } = buildSourceFile(cst, text.length);
    for (const span of longExpressions) {
      report("J1005", span.start, span.start + 1, `this condition has more than ${MAX_OPERATORS} operators: split it into named segments and combine those`);
    }
    reportStrayLines(strayLines, text, report, diagnostics);
    for (const name of untypedFields) {
      if (errorOnLineOf(name.span.start, diagnostics)) continue;
      report(
        "J1003",
        name.span.end,
        name.span.end,
        `the field \`${name.text}\` has no type: write it on the same line, e.g. \`${name.text} text\` or \`${name.text} money?\``,
      );
    }
    ast.comments = lexed.groups.comments?.map(toComment) ?? [];
    attachDocComments(ast, text);
    return { file, text, ast, diagnostics: oneMistakeOneMessage(dedupe(diagnostics), text.length), lineIndex };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    report("J9001", 0, 0, `the parser failed on this file (${reason}); please report this as a bug with the file attached`);
    return {
      file,
      text,
      ast: { kind: "SourceFile", declarations: [], comments: [], span: { start: 0, end: text.length } },
      diagnostics,
      lineIndex,
    };
  }
}

type Report = (code: DiagnosticCode, start: number, end: number, message: string, related?: RelatedLocation[]) => void;

/** Drops whatever sits deeper than MAX_NESTING (reporting it) and finds the brackets that are never closed. */
function limitNesting(tokens: IToken[], report: Report): { tokens: IToken[]; unclosed: IToken[] } {
  const stack: IToken[] = [];
  const kept: IToken[] = [];
  let skipping = 0;
  for (const token of tokens) {
    const isOpen = openers.has(token.tokenType);
    const isClose = token.tokenType === T.RCurly || token.tokenType === T.RParen || token.tokenType === T.RBracket;
    if (skipping > 0) {
      if (isOpen) skipping++;
      else if (isClose) skipping--;
      continue;
    }
    if (isOpen) {
      if (stack.length >= MAX_NESTING) {
        report(
          "J1005",
          token.startOffset,
          token.startOffset + 1,
          `this \`${token.image}\` is nested more than ${MAX_NESTING} levels deep: split the logic into smaller segments or journeys`,
        );
        skipping = 1;
        continue;
      }
      stack.push(token);
    } else if (isClose) {
      const top = stack[stack.length - 1];
      if (top && openers.get(top.tokenType) === token.tokenType) stack.pop();
    }
    kept.push(token);
  }
  return { tokens: kept, unclosed: stack };
}

function reportSyntaxErrors(
  errors: IRecognitionException[],
  tokens: IToken[],
  unclosed: IToken[],
  text: string,
  file: string,
  lineIndex: LineIndex,
  report: Report,
): void {
  const seen = new Set<number>();
  const lastToken = tokens[tokens.length - 1];
  const textEnd = lastToken ? tokenEnd(lastToken) : text.length;
  let reportedUnclosed = false;
  for (const error of errors) {
    const token = error.token;
    const atEnd = tokenMatcher(token, EOF) || Number.isNaN(token.startOffset);
    const previous = (error as { previousToken?: IToken }).previousToken;
    const previousEnd = previous && !Number.isNaN(previous.startOffset) ? tokenEnd(previous) : undefined;
    let start: number;
    let end: number;
    if (atEnd) {
      start = previousEnd ?? textEnd;
      end = start;
    } else if (previousEnd !== undefined && lineIndex.position(previousEnd).line < lineIndex.position(token.startOffset).line) {
      // Something is missing at the end of a line: point there, not at the next line's first word.
      start = previousEnd;
      end = previousEnd;
    } else {
      start = token.startOffset;
      end = tokenEnd(token);
    }
    if (seen.has(start)) continue;
    seen.add(start);
    // `}` missing before the next declaration: name the `{` that is never closed.
    const blockCut = !atEnd && error.message.startsWith("expected `}`") && T.declarationStarts.some((t) => tokenMatcher(token, t));
    const cutOpener = blockCut ? unclosed.filter((t) => t.startOffset < token.startOffset && t.tokenType === T.LCurly).pop() : undefined;
    if (cutOpener) {
      report("J1004", cutOpener.startOffset, cutOpener.startOffset + 1, `this \`{\` is never closed: add \`}\` before the \`${token.image}\` on line ${lineIndex.position(token.startOffset).line + 1}`);
      continue;
    }
    if (atEnd && unclosed.length > 0) {
      if (reportedUnclosed) continue;
      reportedUnclosed = true;
      const opener = unclosed[unclosed.length - 1] as IToken;
      report(
        "J1004",
        opener.startOffset,
        opener.startOffset + 1,
        `this \`${opener.image}\` is never closed: add \`${closerOf(opener)}\` where the block should end`,
        unclosed.length > 1
          ? unclosed.slice(0, -1).map((t) => ({ file, range: lineIndex.range(t.startOffset, t.startOffset + 1), message: `this \`${t.image}\` is not closed either` }))
          : [],
      );
      continue;
    }
    report("J1003", start, end, error.message);
  }
}

/** Words between declarations that start none: the parser skipped them; say so, once per run. */
function reportJunk(cst: CstNode, report: Report, earlier: Diagnostic[]): void {
  for (const element of cst.children.junk ?? []) {
    const junk = element as CstNode;
    const tokens = Object.values(junk.children)
      .flat()
      .filter((t): t is IToken => (t as IToken).image !== undefined && !Number.isNaN((t as IToken).startOffset))
      .sort((a, b) => a.startOffset - b.startOffset);
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    if (!first || !last || errorOnLineOf(first.startOffset, earlier)) continue;
    const shown = first.image.length > 30 ? `${first.image.slice(0, 30)}…` : first.image;
    report(
      "J1006",
      first.startOffset,
      tokenEnd(last),
      `unexpected \`${shown}\`: a file holds declarations such as \`journey\`, \`segment\`, \`event\` or \`customer\`; remove this, or start it with the right keyword`,
    );
  }
}

/** Whether a syntax error was already reported on the line of `offset`: one mistake, one message. */
function errorOnLineOf(offset: number, diagnostics: Diagnostic[]): boolean {
  return diagnostics.some((d) => d.range.start.offset <= offset && d.range.end.offset >= offset - 200 && sameLine(d, offset));
}

let lineOf: (offset: number) => number = () => 0;

function sameLine(d: Diagnostic, offset: number): boolean {
  const line = lineOf(offset);
  return d.range.start.line === line || d.range.end.line === line;
}

function reportStrayLines(spans: A.Span[], text: string, report: Report, earlier: Diagnostic[]): void {
  for (const span of spans) {
    if (errorOnLineOf(span.start, earlier)) continue;
    const words = text.slice(span.start, span.end);
    const shown = words.length > 30 ? `${words.slice(0, 30)}…` : words;
    report(
      "J1003",
      span.start,
      span.end,
      `\`${shown}\` is not a journey step: steps start with \`send\`, \`wait\`, \`if\`, \`match\`, \`split\`, \`set\`, \`add to\`, \`track\`, \`notify\`, \`start journey\` or \`exit\``,
    );
  }
}

/**
 * After a syntax error the parser recovers, but what it reads next on the same line is usually the
 * same mistake seen again (`a && b` is a stray `&` and then a missing operator). Keep the first error
 * of each line, and drop an "end of file" complaint that follows earlier errors.
 */
function oneMistakeOneMessage(diagnostics: Diagnostic[], textLength: number): Diagnostic[] {
  const sorted = [...diagnostics].sort((a, b) => a.range.start.offset - b.range.start.offset);
  const linesWithError = new Set<number>();
  let earlierError = false;
  const kept: Diagnostic[] = [];
  for (const d of sorted) {
    const line = d.range.start.line;
    const atEnd = d.range.start.offset >= textLength || d.message.includes("the end of the file");
    if (d.code === "J1004" || d.code === "J1005") {
      kept.push(d);
      earlierError = true;
      continue;
    }
    if (linesWithError.has(line) || (atEnd && earlierError)) continue;
    linesWithError.add(line);
    earlierError = true;
    kept.push(d);
  }
  return kept;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}:${d.range.start.offset}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toComment(token: IToken): A.Comment {
  return {
    kind: token.tokenType === T.DocComment ? "doc" : "line",
    text: token.image,
    span: { start: token.startOffset, end: tokenEnd(token) },
  };
}

/** Attaches a run of `///` comments to the declaration or field that directly follows it. */
function attachDocComments(ast: A.SourceFile, text: string): void {
  const docs = ast.comments.filter((c) => c.kind === "doc");
  if (docs.length === 0) return;
  const byEnd = new Map<number, number>();
  docs.forEach((doc, i) => byEnd.set(doc.span.end, i));
  const docBefore = (start: number): A.DocComment | undefined => {
    let cursor = start;
    while (cursor > 0 && /\s/.test(text[cursor - 1] ?? "")) cursor--;
    let index = byEnd.get(cursor);
    if (index === undefined) return undefined;
    const lines: string[] = [];
    let first = docs[index] as A.Comment;
    const last = first;
    for (;;) {
      const doc = docs[index] as A.Comment;
      lines.unshift(doc.text.replace(/^\/\/\/ ?/, ""));
      first = doc;
      let back = doc.span.start;
      while (back > 0 && /[ \t]/.test(text[back - 1] ?? "")) back--;
      // one line break, then only spaces: the previous line is part of the same run
      if (text[back - 1] === "\n") back--;
      if (text[back - 1] === "\r") back--;
      while (back > 0 && /[ \t]/.test(text[back - 1] ?? "")) back--;
      const previous = byEnd.get(back);
      if (previous === undefined) break;
      index = previous;
    }
    return { text: lines.join("\n"), span: { start: first.span.start, end: last.span.end } };
  };
  const attachFields = (fields: A.FieldDecl[]) => {
    for (const field of fields) {
      const doc = docBefore(field.span.start);
      if (doc) field.doc = doc;
      if (field.type?.kind === "RecordType") attachFields(field.type.fields);
      if (field.type?.kind === "OptionalType" && field.type.inner.kind === "RecordType") attachFields(field.type.inner.fields);
      if (field.type?.kind === "ListType" && field.type.element?.kind === "RecordType") attachFields(field.type.element.fields);
    }
  };
  for (const decl of ast.declarations) {
    const doc = docBefore(decl.span.start);
    if (doc) decl.doc = doc;
    if (decl.kind === "CustomerDecl") attachFields(decl.members.filter((m): m is A.FieldDecl => m.kind === "FieldDecl"));
    if (decl.kind === "EventDecl" || decl.kind === "ObjectDecl") attachFields(decl.fields);
  }
}

/** Lexes a text without parsing it (for tools and benchmarks): tokens and comments, with lexer errors counted. */
export function lex(text: string): { tokenCount: number; commentCount: number; errorCount: number } {
  const lexed = T.journeyLexer.tokenize(text);
  return { tokenCount: lexed.tokens.length, commentCount: lexed.groups.comments?.length ?? 0, errorCount: lexed.errors.length };
}
