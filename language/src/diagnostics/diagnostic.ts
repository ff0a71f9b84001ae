/** A position in a source text: 0-based line and UTF-16 column, plus the absolute offset. */
export interface Position {
  line: number;
  column: number;
  offset: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = "error" | "warning" | "info" | "hint";

/** A text edit that a fix applies: replace `range` in `file` with `newText`. */
export interface TextEdit {
  file: string;
  range: Range;
  newText: string;
}

/** `safe` fixes may be applied without review (e.g. by `journey fmt --fix`); `suggestion` ones need a human. */
export type Applicability = "safe" | "suggestion";

export interface Fix {
  title: string;
  applicability: Applicability;
  edits: TextEdit[];
}

export interface RelatedLocation {
  file: string;
  range: Range;
  message: string;
}

/**
 * Diagnostics are data: the CLI, the language server and the tests all print these same objects.
 * `code` is stable across releases (see `docs/diagnostics.md`).
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  range: Range;
  related: RelatedLocation[];
  fixes: Fix[];
}
