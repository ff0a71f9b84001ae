/**
 * One structured logger per process: pino, JSON lines on stderr (stdout stays free for the log
 * channel's messages). Fields that can carry personal data are redacted wherever they appear.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * Personal data: profile fields, event properties and message recipients. pino's `redact` matches
 * exact paths (one `*` per level), so each field is listed at the depths where the runtime logs it.
 */
const PERSONAL = ["email", "phone", "first_name", "last_name", "name", "traits", "properties", "profile", "to", "push_token", "address"];
export const REDACTED_PATHS: string[] = PERSONAL.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

export const REDACTED = "[redacted]";

export interface LoggerOptions {
  level?: LogLevel;
  /** Where the JSON lines go. Default: stderr. */
  destination?: DestinationStream;
  /** Fields on every line, e.g. { process: "worker" }. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { pid: process.pid, ...options.base },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** An error as log fields: message, name and code, never the whole object (it may hold a payload). */
export function errorFields(error: unknown): { err: { name: string; message: string; code?: string } } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { err: { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) } };
  }
  return { err: { name: "Error", message: String(error) } };
}
