import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { catalog, type Diagnostic, type Range, type Severity } from "@journey/language";

/** Where each diagnostic code is explained; the anchor is the code in lower case (`#j1003`). */
export const DIAGNOSTICS_DOC = "https://github.com/journey-lang/journey/blob/main/docs/diagnostics.md";
export const INFORMATION_URI = "https://github.com/journey-lang/journey";
export const SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

export type SarifLevel = "error" | "warning" | "note";

export function sarifLevel(severity: Severity): SarifLevel {
  return severity === "error" ? "error" : severity === "warning" ? "warning" : "note";
}

/** The link into docs/diagnostics.md for one code. */
export function helpUri(code: string): string {
  return `${DIAGNOSTICS_DOC}#${code.toLowerCase()}`;
}

/**
 * A path from a report (relative to the working directory, or absolute when outside it) as a SARIF
 * artifact location: relative paths become URI references against `%SRCROOT%`, absolute ones
 * `file:` URLs.
 */
export function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  if (isAbsolute(file)) return { uri: pathToFileURL(file).href };
  const uri = file.replace(/\\/g, "/").split("/").map(encodeURIComponent).join("/");
  return { uri, uriBaseId: "%SRCROOT%" };
}

/** SARIF regions are 1-based; like ours, the end column is exclusive and columns count UTF-16 code units. */
function region(range: Range) {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.column + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.column + 1,
  };
}

/** "missing closing bracket" → "MissingClosingBracket": SARIF's report-friendly rule name. */
function ruleName(title: string, code: string): string {
  const words = title.split(/[^A-Za-z0-9]+/).filter((word) => word !== "");
  return words.length ? words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join("") : code;
}

export interface SarifOptions {
  /** The version of `journey` that found the diagnostics. */
  version: string;
}

/**
 * The SARIF 2.1.0 report (one run), for GitHub code scanning and other SARIF viewers. It has one rule
 * per code that occurs, sorted by code, described from the diagnostic catalog.
 */
export function renderSarif(diagnostics: Diagnostic[], options: SarifOptions): string {
  const entries = catalog as Record<string, { severity: Severity; title: string } | undefined>;
  const codes = [...new Set(diagnostics.map((d) => d.code))].sort();
  const ruleIndex = new Map(codes.map((code, index) => [code, index]));
  const rules = codes.map((code) => {
    const entry = entries[code];
    const title = entry?.title ?? code;
    return {
      id: code,
      name: ruleName(title, code),
      shortDescription: { text: title },
      helpUri: helpUri(code),
      defaultConfiguration: { level: sarifLevel(entry?.severity ?? "error") },
    };
  });

  const results = diagnostics.map((d) => {
    const result: Record<string, unknown> = {
      ruleId: d.code,
      ruleIndex: ruleIndex.get(d.code),
      level: sarifLevel(d.severity),
      message: { text: d.message },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(d.file), region: region(d.range) } }],
    };
    if (d.related.length > 0) {
      result.relatedLocations = d.related.map((related, id) => ({
        id,
        physicalLocation: { artifactLocation: artifactLocation(related.file), region: region(related.range) },
        message: { text: related.message },
      }));
    }
    const fixes = d.fixes.filter((fix) => fix.edits.length > 0);
    if (fixes.length > 0) {
      result.fixes = fixes.map((fix) => {
        const byFile = new Map<string, typeof fix.edits>();
        for (const edit of fix.edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
        return {
          description: { text: fix.title },
          artifactChanges: [...byFile].map(([file, edits]) => ({
            artifactLocation: artifactLocation(file),
            replacements: edits.map((edit) => ({ deletedRegion: region(edit.range), insertedContent: { text: edit.newText } })),
          })),
          properties: { applicability: fix.applicability },
        };
      });
    }
    return result;
  });

  return JSON.stringify(
    {
      $schema: SARIF_SCHEMA,
      version: "2.1.0",
      runs: [
        {
          tool: { driver: { name: "journey", version: options.version, informationUri: INFORMATION_URI, rules } },
          columnKind: "utf16CodeUnits",
          results,
        },
      ],
    },
    null,
    2,
  );
}
