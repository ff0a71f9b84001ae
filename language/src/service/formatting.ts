import type { Range } from "../diagnostics/diagnostic.js";
import { LineIndex } from "../diagnostics/lineIndex.js";
import { format } from "../format/printer.js";

export interface TextReplacement {
  range: Range;
  newText: string;
}

/**
 * `journey fmt` as editor edits: the smallest single replacement that turns the text into its
 * canonical layout (the unchanged head and tail are kept, so the cursor and folds stay put).
 * Empty when the text is already formatted or has syntax errors (a broken file is left untouched).
 */
export function formatEdits(text: string, file = "<input>"): TextReplacement[] {
  const { output } = format(text, file);
  if (output === undefined || output === text) return [];
  let start = 0;
  const shortest = Math.min(text.length, output.length);
  while (start < shortest && text.charCodeAt(start) === output.charCodeAt(start)) start++;
  let end = 0;
  while (end < shortest - start && text.charCodeAt(text.length - 1 - end) === output.charCodeAt(output.length - 1 - end)) end++;
  // Never split a CRLF pair or a surrogate pair between kept and replaced text.
  while (start > 0 && (text[start - 1] === "\r" || isHighSurrogate(text.charCodeAt(start - 1)))) start--;
  const index = new LineIndex(text);
  return [{ range: index.range(start, text.length - end), newText: output.slice(start, output.length - end) }];
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
