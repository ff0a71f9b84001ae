import type * as A from "../syntax/ast.js";

/**
 * Reading the text around the cursor. Completion and signature help run on text that is being
 * typed, so they look at the words before the cursor (and at the tree for what surrounds it).
 */

/** The words and symbols of a line, roughly as the lexer would cut them (strings kept whole). */
export function words(line: string): string[] {
  return line.match(/"""|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|\d+(?:\.\d+)?%?|\d{1,2}:\d{2}|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|->|\S/g) ?? [];
}

/** The line's text before the cursor, with a `//` comment removed; `undefined` when the cursor is in the comment. */
export function codeBefore(text: string, offset: number): string | undefined {
  const lineStart = Math.max(text.lastIndexOf("\n", offset - 1), text.lastIndexOf("\r", offset - 1)) + 1;
  const line = text.slice(lineStart, offset);
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "/" && line[i + 1] === "/") return undefined;
  }
  return line;
}

/** Where the text at `offset` is: inside a string (and which quote opened it), and how deep in braces. */
export interface Nesting {
  /** Offsets of the `{` not yet closed at the cursor, outermost first. */
  openBraces: number[];
  /** Offsets of the `(` not yet closed. */
  openParens: number[];
  /** The string the cursor is in: where its text starts (after the quote) and the quote. */
  string?: { start: number; quote: string };
  comment: boolean;
}

/** Scans from the start of the file to `offset`, skipping strings and comments, tracking brackets. */
export function nestingAt(text: string, offset: number): Nesting {
  const openBraces: number[] = [];
  const openParens: number[] = [];
  let i = 0;
  while (i < offset) {
    const ch = text[i];
    if (ch === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      if (end < 0 || end >= offset) return { openBraces, openParens, comment: true };
      i = end + 1;
      continue;
    }
    if (ch === '"' && text.startsWith('"""', i)) {
      const end = text.indexOf('"""', i + 3);
      if (end < 0 || end >= offset) return { openBraces, openParens, string: { start: i + 3, quote: '"""' }, comment: false };
      i = end + 3;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < offset && text[j] !== ch && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      if (j >= offset) return { openBraces, openParens, string: { start: i + 1, quote: ch }, comment: false };
      i = j + 1;
      continue;
    }
    if (ch === "{") openBraces.push(i);
    else if (ch === "}") openBraces.pop();
    else if (ch === "(") openParens.push(i);
    else if (ch === ")") openParens.pop();
    else if (ch === "\n") openParens.length = 0;
    i++;
  }
  return { openBraces, openParens, comment: false };
}

/** The text of the line holding `offset`, up to `offset`. */
export function lineUpTo(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return text.slice(lineStart, offset);
}

/** The declaration the cursor is in (or the one just before it, when typing past a broken end). */
export function declarationAt(ast: A.SourceFile, offset: number): A.Declaration | undefined {
  let found: A.Declaration | undefined;
  for (const decl of ast.declarations) {
    if (decl.span.start <= offset) found = decl;
    else break;
  }
  return found;
}

/** The identifier-like word ending at `offset` and the one continuing after it: the range a completion replaces. */
export function wordRange(text: string, offset: number): { start: number; end: number; prefix: string } {
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1] ?? "")) start--;
  let end = offset;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end] ?? "")) end++;
  return { start, end, prefix: text.slice(start, offset) };
}
