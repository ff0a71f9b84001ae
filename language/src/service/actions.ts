import type { Diagnostic, TextEdit } from "../diagnostics/diagnostic.js";
import type { ProjectIndex } from "./project.js";

export interface CodeAction {
  title: string;
  /** The diagnostic this fixes. */
  diagnostic: Diagnostic;
  edits: TextEdit[];
  /** The one obvious fix (a single safe fix): editors may apply it with one key. */
  preferred: boolean;
}

/**
 * Quick fixes for the diagnostics that touch the offsets `[start, end]` of a file: the did-you-mean
 * renames, `add up to 7 days`, `add | default: ""` and the others the checker attaches to a finding.
 */
export function codeActions(project: ProjectIndex, file: string, start: number, end: number): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of project.program.diagnostics) {
    if (diagnostic.file !== file || diagnostic.fixes.length === 0) continue;
    const { start: from, end: to } = diagnostic.range;
    if (to.offset < start || from.offset > end) continue;
    for (const fix of diagnostic.fixes) {
      actions.push({ title: fix.title, diagnostic, edits: fix.edits, preferred: diagnostic.fixes.length === 1 });
    }
  }
  return actions;
}
