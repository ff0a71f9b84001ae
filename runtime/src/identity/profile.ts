/**
 * How a profile update lands on `customers.profile`, written once as SQL so the API (one customer)
 * and the import (thousands in one statement) merge the same way: given fields replace, nested
 * records merge field by field, null clears a field.
 */
import type { Field } from "@journey/compiler/ir";

const quote = (name: string) => `'${name.replaceAll("'", "''")}'`;

/** A jsonb expression: `current` updated with `update` (both jsonb expressions; current may be NULL). */
export function profileMergeSql(fields: readonly Field[], current: string, update: string): string {
  return `jsonb_strip_nulls(${mergeSql(fields, `COALESCE(${current}, '{}'::jsonb)`, update)})`;
}

function mergeSql(fields: readonly Field[], current: string, update: string): string {
  let sql = `(${current} || ${update})`;
  for (const field of fields) {
    if (field.type.kind !== "record") continue;
    const name = quote(field.name);
    const inner = mergeSql(field.type.fields, `COALESCE(${current}->${name}, '{}'::jsonb)`, `(${update}->${name})`);
    // A record given as an object merges into the one stored; null or absent keeps the plain replace.
    sql = `(${sql} || CASE WHEN jsonb_typeof(${update}->${name}) = 'object' THEN jsonb_build_object(${name}, ${inner}) ELSE '{}'::jsonb END)`;
  }
  return sql;
}
