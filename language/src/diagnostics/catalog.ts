import type { Severity } from "./diagnostic.js";

/**
 * The one catalog of diagnostic codes. Codes are stable: never reuse or renumber one.
 * J1xxx syntax · J2xxx names · J3xxx types and schema · J4xxx flow · J5xxx templates · J9xxx internal.
 */
export const catalog = {
  J1001: { severity: "error", title: "unexpected character" },
  J1002: { severity: "error", title: "unterminated string" },
  J1003: { severity: "error", title: "syntax error" },
  J1004: { severity: "error", title: "missing closing bracket" },
  J1005: { severity: "error", title: "nesting too deep" },
  J1006: { severity: "error", title: "invalid number" },
  J1007: { severity: "error", title: "invalid time of day" },
  J9001: { severity: "error", title: "internal parser error" },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof catalog;
