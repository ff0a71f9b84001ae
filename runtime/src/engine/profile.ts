/**
 * Customer profiles against the schema: defaults filled in before anything reads them, and field
 * updates (`set customer.consent.email = true`) that never mutate the stored object.
 */
import type { Field, FieldType } from "@journey/compiler/ir";

type Profile = Record<string, unknown>;

function isRecord(v: unknown): v is Profile {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * A copy of `profile` with the schema's defaults where a value is absent or JSON null: a field's
 * `default`; `[]` for a list; a record filled the same way, recursively (records inside lists too).
 * An optional record that is absent stays absent; keys the schema does not name are kept.
 */
export function withDefaults(fields: readonly Field[], profile: Profile): Profile {
  const out: Profile = { ...profile };
  for (const field of fields) {
    const current = out[field.name];
    const filled = fill(field.type, current, field.default, field.optional);
    if (filled === undefined) delete out[field.name];
    else out[field.name] = filled;
  }
  return out;
}

function fill(type: FieldType, current: unknown, fallback: string | number | boolean | undefined, optional: boolean): unknown {
  const missing = current === undefined || current === null;
  if (missing && fallback !== undefined) return fallback;
  switch (type.kind) {
    case "list": {
      if (missing) return [];
      if (!Array.isArray(current)) return current;
      const element = type.element;
      if (element.kind !== "record") return current;
      return current.map((item) => (isRecord(item) ? withDefaults(element.fields, item) : item));
    }
    case "record":
      if (missing) return optional ? undefined : withDefaults(type.fields, {});
      return isRecord(current) ? withDefaults(type.fields, current) : current;
    default:
      return missing ? undefined : current;
  }
}

/** A copy of `profile` with `value` at `path` (records on the way copied, or created when absent); null or undefined removes the field. */
export function setPath(profile: Profile, path: readonly string[], value: unknown): Profile {
  const [head, ...rest] = path;
  if (head === undefined) throw new RangeError("setPath needs a field path, such as [\"consent\", \"email\"]");
  const out: Profile = { ...profile };
  if (rest.length === 0) {
    if (value === null || value === undefined) delete out[head];
    else out[head] = value;
    return out;
  }
  const inner = Object.hasOwn(profile, head) ? profile[head] : undefined;
  out[head] = setPath(isRecord(inner) ? inner : {}, rest, value);
  return out;
}
