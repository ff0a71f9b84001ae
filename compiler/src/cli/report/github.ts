import type { Diagnostic, Severity } from "@journey/language";

/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), one line per diagnostic; the
 * runner turns each into an annotation on the file. See
 * https://docs.github.com/actions/reference/workflow-commands-for-github-actions.
 */
export function renderGithub(diagnostics: Diagnostic[]): string {
  return diagnostics.map((d) => `${githubCommand(d)}\n`).join("");
}

export function githubCommand(d: Diagnostic): string {
  const start = d.range.start;
  const end = d.range.end;
  const properties: [string, string | number][] = [
    ["file", d.file.replace(/\\/g, "/")],
    ["line", start.line + 1],
  ];
  // The runner drops an annotation whose columns span lines, or whose endColumn is before col.
  if (start.line === end.line) properties.push(["col", start.column + 1]);
  properties.push(["endLine", end.line + 1]);
  if (start.line === end.line) properties.push(["endColumn", Math.max(end.column, start.column) + 1]);
  properties.push(["title", d.code]);
  const list = properties.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(",");
  return `::${githubLevel(d.severity)} ${list}::${escapeData(d.message)}`;
}

export function githubLevel(severity: Severity): "error" | "warning" | "notice" {
  return severity === "error" ? "error" : severity === "warning" ? "warning" : "notice";
}

/** A command's message: `%`, CR and LF are escaped (as in @actions/core). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A command's property value: as a message, and `:` and `,` too, which would end the value. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
