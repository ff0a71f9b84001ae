/**
 * Validation of incoming data against the project's data schema (the tracking plan): one zod schema
 * per event, for the customer's traits and per catalogue object, built from the IR's fields. Errors
 * name the place in the sender's own terms (`properties.items[0].price`) and say what was expected.
 */
import type { Field, FieldType } from "@journey/compiler/ir";
import { Duration, IANAZone } from "luxon";
import { z } from "zod";
import type { LoadedProject } from "../model/project.js";
import { COUNTRY_CODES } from "./countries.js";

export interface FieldError {
  /** Where, in the sender's terms: `properties.total`, `traits.email`, `timestamp`, or a CSV column. */
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

type Data = Record<string, unknown>;

export interface Validators {
  /** The event's properties, all required fields present (`prefix` is how the sender names the properties object). */
  event(name: string, properties: unknown, prefix?: string): Checked<Data>;
  /** Customer traits: only the given fields, each checked against its type (a profile update is partial). */
  traits(traits: unknown, prefix?: string): Checked<Data>;
  /** A catalogue object, its key field required. */
  object(type: string, data: unknown, prefix?: string): Checked<Data>;
  /** One identity key's value (userId, anonymousId, an email in context.traits …). */
  identityValue(kind: string, value: unknown, path: string): Checked<string>;
  /** An ISO-8601 timestamp with an offset (the message's `timestamp`). */
  datetime(value: unknown, path: string): Checked<string>;
}

/** The anonymous visitor's key, built into every project (Segment's anonymousId). */
export const ANONYMOUS_ID = "anonymous_id";

const show = (value: unknown): string => {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function validDatetime(text: string): boolean {
  return DATETIME.test(text) && validDate(text.slice(0, 10)) && !Number.isNaN(Date.parse(text));
}

type ScalarName = Extract<FieldType, { kind: "scalar" }>["name"];

/** Why `value` is not a valid `scalar`, or undefined when it is. */
export function scalarProblem(scalar: ScalarName, value: unknown): string | undefined {
  switch (scalar) {
    case "int":
      return typeof value === "number" && Number.isInteger(value) ? undefined : `expected a whole number (int), got ${show(value)}`;
    case "number":
    case "money":
    case "percent":
      return typeof value === "number" && Number.isFinite(value) ? undefined : `expected a number (${scalar}), got ${show(value)}`;
    case "bool":
      return typeof value === "boolean" ? undefined : `expected true or false (bool), got ${show(value)}`;
    case "text":
      return typeof value === "string" ? undefined : `expected text, got ${show(value)}`;
    case "email":
      return typeof value === "string" && EMAIL.test(value) ? undefined : `expected an email address like name@example.com, got ${show(value)}`;
    case "url":
      return typeof value === "string" && /^[a-z][a-z0-9+.-]*:/i.test(value) && URL.canParse(value)
        ? undefined
        : `expected an absolute URL like https://example.com/page, got ${show(value)}`;
    case "phone":
      return typeof value === "string" && E164.test(value)
        ? undefined
        : `expected a phone number in E.164 form like +393471234567 (a +, the country code, then the number; no spaces or dashes), got ${show(value)}`;
    case "country": {
      if (typeof value === "string" && COUNTRY_CODES.has(value)) return undefined;
      const hint =
        typeof value === "string" && COUNTRY_CODES.has(value.toUpperCase())
          ? ` (did you mean "${value.toUpperCase()}"? codes are upper case)`
          : value === "UK"
            ? ' (the code for the United Kingdom is "GB")'
            : "";
      return `expected an ISO 3166-1 alpha-2 country code like "IT"${hint}, got ${show(value)}`;
    }
    case "timezone":
      return typeof value === "string" && IANAZone.isValidZone(value)
        ? undefined
        : `expected an IANA time zone like "Europe/Rome", got ${show(value)}`;
    case "date":
      return typeof value === "string" && validDate(value) ? undefined : `expected a date as YYYY-MM-DD, got ${show(value)}`;
    case "datetime":
      return typeof value === "string" && validDatetime(value)
        ? undefined
        : `expected an ISO-8601 date and time with an offset like 2025-03-01T10:30:00Z, got ${show(value)}`;
    case "duration":
      return typeof value === "string" && /^P/.test(value) && Duration.fromISO(value).isValid
        ? undefined
        : `expected an ISO-8601 duration like PT30M or P2D, got ${show(value)}`;
    case "time":
      return typeof value === "string" && TIME.test(value) ? undefined : `expected a time of day as HH:MM (24-hour), got ${show(value)}`;
    default: {
      const never: never = scalar;
      return `unknown type ${String(never)}`;
    }
  }
}

/** The closest name by edit distance, when close enough to be a likely typo. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const d = editDistance(lower, other);
    // A name that extends or shortens a declared one (purchase_done, purchase) is as likely a slip as a typo.
    const related = Math.min(lower.length, other.length) >= 4 && (lower.includes(other) || other.includes(lower));
    const score = d <= Math.max(2, Math.floor(name.length / 3)) || related ? d : Number.POSITIVE_INFINITY;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function typeSchema(type: FieldType, where: string): z.ZodType {
  switch (type.kind) {
    case "scalar":
      return z.custom((value) => scalarProblem(type.name, value) === undefined, {
        error: (issue) => scalarProblem(type.name, issue.input) ?? "invalid",
      });
    case "enum": {
      const options = type.options.map((o) => JSON.stringify(o)).join(", ");
      return z.custom((value) => typeof value === "string" && type.options.includes(value), {
        error: (issue) => {
          const hint = typeof issue.input === "string" ? didYouMean(issue.input, type.options) : undefined;
          return `expected one of ${options}${hint ? ` (did you mean "${hint}"?)` : ""}, got ${show(issue.input)}`;
        },
      });
    }
    case "ref":
      return z.custom((value) => typeof value === "string" && value !== "", {
        error: (issue) => `expected the key of a ${type.object} (text), got ${show(issue.input)}`,
      });
    case "list":
      return z.array(typeSchema(type.element, where), { error: (issue) => `expected a list (a JSON array), got ${show(issue.input)}` });
    case "record":
      return recordSchema(type.fields, where, "required");
    default: {
      const never: never = type;
      throw new Error(`unknown field type ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A record of fields. "required": a field neither optional nor defaulted must be there (events,
 * objects); "partial": every field may be left out (a profile update sends only what changed).
 * Optional fields may always be null; defaults are never filled in (readers apply them).
 */
function recordSchema(fields: readonly Field[], where: string, mode: "required" | "partial"): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) {
    const schema = typeSchema(field.type, where);
    if (field.optional || mode === "partial") shape[field.name] = schema.nullish();
    else if (field.default !== undefined) shape[field.name] = schema.optional();
    else shape[field.name] = schema;
  }
  const declared = fields.map((f) => f.name);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") {
        const keys = issue.keys as string[];
        const hints = keys.map((k) => didYouMean(k, declared)).filter((h) => h !== undefined);
        const list = declared.length > 0 ? declared.join(", ") : "none";
        return `unknown field${keys.length > 1 ? "s" : ""} ${keys.join(", ")} in ${where}${hints.length > 0 ? ` (did you mean ${hints.join(", ")}?)` : ""}; the declared fields are: ${list}`;
      }
      if (issue.code === "invalid_type") return `expected an object with the fields of ${where}, got ${show(issue.input)}`;
      return undefined;
    },
  });
}

/** Formats a zod path as the sender writes it: `properties.items[0].sku`. */
function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let text = prefix;
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? String(part) : `.${String(part)}`;
  }
  return text === "" ? "(row)" : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function run(schema: z.ZodType, value: unknown, prefix: string): Checked<Data> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data as Data };
  const errors: FieldError[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      // One error per unknown field, each at its own path, so a sender sees which key to fix.
      for (const key of issue.keys) errors.push({ path: formatPath(prefix, [...issue.path, key]), message: issue.message });
    } else {
      const missing = issue.code === "custom" && valueAt(value, issue.path) === undefined;
      errors.push({ path: formatPath(prefix, issue.path), message: missing ? `required: ${issue.message.replace(/, got nothing$/, "")}` : issue.message });
    }
  }
  return { ok: false, errors };
}

export function buildValidators(project: LoadedProject): Validators {
  const events = new Map<string, z.ZodType>();
  for (const event of project.events.values()) events.set(event.name, recordSchema(event.fields, `event ${event.name}`, "required"));
  const objects = new Map<string, z.ZodType>();
  for (const object of project.objects.values()) objects.set(object.name, recordSchema(object.fields, `object ${object.name}`, "required"));
  const customerFields = [...project.customerFields.values()];
  const traits = recordSchema(customerFields, "the customer", "partial");
  const identityTypes = new Map<string, FieldType>();
  for (const kind of [...project.identity, ANONYMOUS_ID]) {
    identityTypes.set(kind, project.customerFields.get(kind)?.type ?? { kind: "scalar", name: "text" });
  }

  return {
    event(name, properties, prefix = "properties") {
      const schema = events.get(name);
      if (!schema) {
        const hint = didYouMean(name, events.keys());
        return {
          ok: false,
          errors: [
            {
              path: "event",
              message: `unknown event "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; the schema declares: ${[...events.keys()].join(", ")}`,
            },
          ],
        };
      }
      return run(schema, properties ?? {}, prefix);
    },
    traits(value, prefix = "traits") {
      return run(traits, value ?? {}, prefix);
    },
    object(type, data, prefix = "") {
      const schema = objects.get(type);
      if (!schema) {
        const hint = didYouMean(type, objects.keys());
        return {
          ok: false,
          errors: [
            {
              path: "type",
              message: `unknown object type "${type}"${hint ? ` (did you mean "${hint}"?)` : ""}; the schema declares: ${[...objects.keys()].join(", ") || "none"}`,
            },
          ],
        };
      }
      return run(schema, data, prefix);
    },
    identityValue(kind, value, path) {
      const type = identityTypes.get(kind);
      if (!type) return { ok: false, errors: [{ path, message: `${kind} is not an identity key of the customer` }] };
      if (typeof value !== "string" || value === "") {
        return { ok: false, errors: [{ path, message: `expected a non-empty string (the customer's ${kind}), got ${show(value)}` }] };
      }
      const problem = type.kind === "scalar" ? scalarProblem(type.name, value) : undefined;
      return problem ? { ok: false, errors: [{ path, message: problem }] } : { ok: true, value };
    },
    datetime(value, path) {
      const problem = scalarProblem("datetime", value);
      return problem ? { ok: false, errors: [{ path, message: problem }] } : { ok: true, value: value as string };
    },
  };
}
