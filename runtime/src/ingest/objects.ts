/**
 * Catalogue objects (products, stores …): validated against the schema's object and upserted by
 * key; a re-sent object replaces the stored one whole.
 */
import type { SqlQueryable } from "../store/port.js";
import { type IngestDeps, rejectRow, validatorsFor } from "./ingest.js";
import type { FieldError } from "./validate.js";

export interface ObjectsResult {
  accepted: { index: number; key: string }[];
  rejected: { index: number; errors: FieldError[] }[];
}

export interface ObjectRow {
  key: string;
  data: Record<string, unknown>;
}

/** Upserts many rows in one statement (last one wins for a key repeated in `rows`). */
export async function upsertObjects(tx: SqlQueryable, type: string, rows: readonly ObjectRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const last = new Map(rows.map((r) => [r.key, r] as const));
  await tx.query(
    `INSERT INTO objects (type, key, data, updated_at)
     SELECT $1, r.key, r.data, $3 FROM jsonb_to_recordset($2::jsonb) AS r(key text, data jsonb)
     ON CONFLICT (type, key) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`,
    [type, JSON.stringify([...last.values()]), now],
  );
}

/** Validates and stores catalogue objects of `type`, in one transaction; invalid ones go to rejected_events. */
export async function ingestObjects(
  deps: Pick<IngestDeps, "store" | "project" | "clock">,
  type: string,
  objects: unknown[],
  source: "api" | "import" = "api",
  pathOf: (index: number) => string = (index) => (objects.length === 1 ? "" : `objects[${index}]`),
): Promise<ObjectsResult> {
  const validators = validatorsFor(deps.project);
  const schema = deps.project.objects.get(type);
  const now = new Date(deps.clock.now());
  const result: ObjectsResult = { accepted: [], rejected: [] };
  const rows: ObjectRow[] = [];
  const rejectedPayloads: string[] = [];
  objects.forEach((object, index) => {
    const checked = validators.object(type, object, pathOf(index));
    const key = checked.ok && schema ? checked.value[schema.key] : undefined;
    if (checked.ok && schema && (key === undefined || key === null || key === "")) {
      const path = pathOf(index);
      result.rejected.push({ index, errors: [{ path: path ? `${path}.${schema.key}` : schema.key, message: `required: the key of the ${type}` }] });
      rejectedPayloads.push(JSON.stringify(object) ?? String(object));
    } else if (checked.ok && schema) {
      rows.push({ key: String(key), data: checked.value });
      result.accepted.push({ index, key: String(key) });
    } else if (!checked.ok) {
      result.rejected.push({ index, errors: checked.errors });
      rejectedPayloads.push(JSON.stringify(object) ?? String(object));
    }
  });
  await deps.store.transaction(async (tx) => {
    for (const [i, rejected] of result.rejected.entries()) {
      await rejectRow(tx, { now, errors: rejected.errors, payload: rejectedPayloads[i] ?? "", source });
    }
    await upsertObjects(tx, type, rows, now);
  });
  return result;
}
