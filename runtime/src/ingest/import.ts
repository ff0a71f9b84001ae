/**
 * `journey import FILE --as customer|EVENT|OBJECT`: streams a CSV or JSONL file, validates each row
 * with the API's validators, stores good rows in chunks and rejected ones with their line numbers.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import type { Field, FieldType } from "@journey/compiler/ir";
import { parse } from "csv-parse";
import { v5 as uuidv5 } from "uuid";
import { ANONYMOUS_ID, CUSTOMER_NAMESPACE, type IdentityKey } from "../identity/keys.js";
import { type RowLoader, resolveCustomersBulk } from "../identity/bulk.js";
import { profileMergeSql } from "../identity/profile.js";
import type { SqlQueryable } from "../store/port.js";
import { type IngestDeps, ingestMessages, rejectRow, validatorsFor } from "./ingest.js";
import { type ObjectRow, upsertObjects } from "./objects.js";
import type { FieldError } from "./validate.js";

export interface ImportOptions extends IngestDeps {
  file: string;
  /** "customer", an event name or an object name. */
  as: string;
  format?: "csv" | "jsonl";
  /** Where the progress bar goes (a TTY gets a live bar, anything else one final line); false for none. Default stderr. */
  progress?: NodeJS.WritableStream | false;
  /** Rows per transaction. Default 10,000 for customers, 2,000 for events and objects. */
  chunkRows?: number;
}

export interface ImportResult {
  rows: number;
  imported: number;
  rejected: { line: number; errors: FieldError[] }[];
}

type Data = Record<string, unknown>;
interface SourceRow {
  line: number;
  data: unknown;
  /** The row as read, for rejected_events. */
  text: string;
}

/**
 * The one place a chunk enters the database. On PostgreSQL the rows are COPied into a temporary
 * staging table (one per column list and connection, emptied at commit), so the statement reads a
 * plain table; elsewhere (PGlite) they travel as one jsonb parameter read by jsonb_to_recordset.
 * Make one per transaction.
 */
export function rowLoader(tx: SqlQueryable): RowLoader {
  const used = new Set<string>();
  return async <R extends Record<string, unknown>>(
    rows: readonly (readonly unknown[])[],
    columns: string,
    statement: (source: string) => string,
    params: readonly unknown[] = [],
  ): Promise<R[]> => {
    if (rows.length === 0) return [];
    const names = columns.split(",").map((c) => c.trim().split(/\s+/)[0] ?? "");
    if (tx.copyRows) {
      const table = `journey_stage_${createHash("sha1").update(columns).digest("hex").slice(0, 12)}`;
      // First use in this transaction: the table is empty (ON COMMIT DELETE ROWS); a second use empties it.
      await tx.exec(
        used.has(table) ? `TRUNCATE ${table}` : `CREATE TEMP TABLE IF NOT EXISTS ${table} (${columns}) ON COMMIT DELETE ROWS`,
      );
      used.add(table);
      await tx.copyRows(table, names, rows);
      return (await tx.query<R>(statement(`${table} AS r`), params)).rows;
    }
    const objects = rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
    const source = `jsonb_to_recordset($${params.length + 1}::jsonb) AS r(${columns})`;
    return (await tx.query<R>(statement(source), [...params, JSON.stringify(objects)])).rows;
  };
}

/** A CSV cell as the field's type reads it; a cell that does not parse is left as text, for the validator to name. */
function cellValue(type: FieldType | undefined, cell: string): unknown {
  if (!type) return cell;
  switch (type.kind) {
    case "scalar":
      if (["int", "number", "money", "percent"].includes(type.name)) {
        const n = Number(cell);
        return cell.trim() !== "" && Number.isFinite(n) ? n : cell;
      }
      if (type.name === "bool") return cell === "true" ? true : cell === "false" ? false : cell;
      return cell;
    case "list":
    case "record":
      try {
        return JSON.parse(cell);
      } catch {
        return cell;
      }
    default:
      return cell;
  }
}

function fieldAt(fields: readonly Field[], path: readonly string[]): FieldType | undefined {
  let list = fields;
  let type: FieldType | undefined;
  for (const part of path) {
    type = list.find((f) => f.name === part)?.type;
    if (!type) return undefined;
    list = type.kind === "record" ? type.fields : [];
  }
  return type;
}

/** A CSV record (column → cell) as nested data: `consent.email` columns fill records; empty cells are absent. */
function csvRow(record: Record<string, string>, fields: readonly Field[], envelope: ReadonlySet<string>): Data {
  const data: Data = {};
  for (const [column, cell] of Object.entries(record)) {
    if (cell === "") continue;
    if (envelope.has(column)) {
      data[column] = cell;
      continue;
    }
    const path = column.split(".");
    let target = data;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (typeof next === "object" && next !== null) target = next as Data;
      else target = target[part] = {};
    }
    target[path[path.length - 1] ?? column] = cellValue(fieldAt(fields, path), cell);
  }
  return data;
}

async function* readRows(file: string, format: "csv" | "jsonl", fields: readonly Field[], envelope: ReadonlySet<string>): AsyncGenerator<SourceRow> {
  if (format === "jsonl") {
    const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        data = { $malformed: (error as Error).message };
      }
      yield { line, data, text };
    }
    return;
  }
  const parser = createReadStream(file).pipe(parse({ columns: true, info: true, skip_empty_lines: true, bom: true }));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: info.lines, data: csvRow(record, fields, envelope), text: JSON.stringify(record) };
  }
}

const EVENT_ENVELOPE = new Set(["userId", "anonymousId", "timestamp", "messageId", "event", "type", "properties", "context"]);

export async function importFile(options: ImportOptions): Promise<ImportResult> {
  const { project, store } = options;
  const format = options.format ?? (options.file.endsWith(".jsonl") || options.file.endsWith(".ndjson") ? "jsonl" : "csv");
  const kind = options.as === "customer" ? "customer" : project.events.has(options.as) ? "event" : project.objects.has(options.as) ? "object" : undefined;
  if (!kind) {
    throw new Error(
      `--as ${options.as}: expected customer, an event (${[...project.events.keys()].join(", ")}) or an object (${[...project.objects.keys()].join(", ") || "none"})`,
    );
  }
  const validators = validatorsFor(project);
  const identityKinds = [...project.identity, ANONYMOUS_ID];
  const fields =
    kind === "customer"
      ? [...project.customerFields.values()]
      : kind === "event"
        ? (project.events.get(options.as)?.fields ?? [])
        : (project.objects.get(options.as)?.fields ?? []);
  const envelope = kind === "event" ? new Set([...EVENT_ENVELOPE, ...identityKinds]) : new Set<string>();
  const chunkRows = options.chunkRows ?? (kind === "customer" ? 10_000 : 2000);
  const fileName = basename(options.file);
  const location = (line: number) => `${fileName}:${line}`;
  const result: ImportResult = { rows: 0, imported: 0, rejected: [] };
  const touched = new Set<string>();
  const progress = startProgress(options.progress === undefined ? process.stderr : options.progress);

  const rejectRows = async (rows: { row: SourceRow; errors: FieldError[] }[]) => {
    if (rows.length === 0) return;
    const now = new Date(options.clock.now());
    await store.transaction(async (tx) => {
      for (const { row, errors } of rows) await rejectRow(tx, { now, errors, payload: row.text, source: "import", location: location(row.line) });
    });
    for (const { row, errors } of rows) result.rejected.push({ line: row.line, errors });
  };

  // Validation runs when a chunk is full; the returned write runs after the previous chunk's write, so the
  // next chunk is read and validated while the database works on this one, and chunks land in file order.
  const prepare = (chunk: SourceRow[]): (() => Promise<void>) => {
    if (chunk.length === 0) return async () => {};
    const now = new Date(options.clock.now());
    const bad: { row: SourceRow; errors: FieldError[] }[] = [];
    const malformed = (row: SourceRow) => {
      const reason = (row.data as { $malformed?: string } | null)?.$malformed;
      if (reason) bad.push({ row, errors: [{ path: "(line)", message: `malformed JSON: ${reason}` }] });
      return reason !== undefined;
    };

    if (kind === "event") {
      return async () => {
        const messages: unknown[] = [];
        const lines: number[] = [];
        for (const row of chunk) {
          if (malformed(row)) continue;
          const data = (row.data ?? {}) as Data;
          let message: Data;
          if ("properties" in data || "event" in data) message = { type: "track", event: options.as, ...data };
          else {
            // A flat row: envelope columns and identity keys apart, every other column a property.
            const properties: Data = {};
            const traits: Data = {};
            message = { type: "track", event: options.as };
            for (const [key, value] of Object.entries(data)) {
              if (EVENT_ENVELOPE.has(key)) message[key] = value;
              else if (identityKinds.includes(key)) traits[key] = value;
              if (!EVENT_ENVELOPE.has(key) && (!identityKinds.includes(key) || fields.some((f) => f.name === key))) properties[key] = value;
            }
            message.properties = properties;
            if (Object.keys(traits).length > 0) message.context = { traits };
          }
          message.messageId ??= uuidv5(`${fileName}:${row.line}`, CUSTOMER_NAMESPACE);
          messages.push(message);
          lines.push(row.line);
        }
        await rejectRows(bad);
        const outcome = await ingestMessages({ store, project, clock: options.clock }, messages, "import", {
          location: (index) => location(lines[index] ?? 0),
        });
        for (const r of outcome.rejected) result.rejected.push({ line: lines[r.index] ?? 0, errors: r.errors });
        for (const a of outcome.accepted) if (!a.duplicate) touched.add(a.customerId);
        result.imported += outcome.accepted.length;
      };
    }

    if (kind === "object") {
      const schema = project.objects.get(options.as);
      const good: ObjectRow[] = [];
      for (const row of chunk) {
        if (malformed(row)) continue;
        const checked = validators.object(options.as, row.data);
        if (!checked.ok) bad.push({ row, errors: checked.errors });
        else good.push({ key: String(checked.value[schema?.key ?? ""]), data: checked.value });
      }
      return async () => {
        await rejectRows(bad);
        await store.transaction((tx) => upsertObjects(tx, options.as, good, now));
        result.imported += good.length;
      };
    }

    const good: { keys: IdentityKey[]; profile: Data }[] = [];
    for (const row of chunk) {
      if (malformed(row)) continue;
      const checked = validators.traits(row.data, "");
      if (!checked.ok) {
        bad.push({ row, errors: checked.errors });
        continue;
      }
      const keys = identityKinds.flatMap((k) => (typeof checked.value[k] === "string" ? [{ kind: k, value: checked.value[k] as string }] : []));
      if (keys.length === 0) {
        bad.push({ row, errors: [{ path: identityKinds[0] ?? ANONYMOUS_ID, message: `a customer row needs one of ${identityKinds.join(", ")}` }] });
        continue;
      }
      good.push({ keys, profile: checked.value });
    }
    return async () => {
      await rejectRows(bad);
      const merge = profileMergeSql(fields, "c.profile", "r.profile");
      const ids = await store.transaction(async (tx) => {
        const load = rowLoader(tx);
        const { customerIds, profileWritten } = await resolveCustomersBulk(tx, project, good, now, load, {
          newProfileSql: (profile) => profileMergeSql(fields, "NULL", profile),
        });
        // Rows of one customer land in file order: each wave updates a customer at most once.
        const waves: [string, Data][][] = [];
        const seen = new Map<string, number>();
        for (const [i, id] of customerIds.entries()) {
          const n = seen.get(id) ?? 0;
          seen.set(id, n + 1);
          // A customer this chunk created already holds its first row's profile.
          if (n === 0 && profileWritten[i]) continue;
          (waves[n] ??= []).push([id, good[i]?.profile ?? {}]);
        }
        for (const wave of waves) {
          if (!wave) continue;
          await load(
            wave,
            "id uuid, profile jsonb",
            (source) => `UPDATE customers c SET profile = ${merge}, updated_at = $1 FROM ${source} WHERE c.customer_id = r.id`,
            [now],
          );
        }
        return customerIds;
      });
      for (const id of ids) touched.add(id);
      result.imported += good.length;
    };
  };

  let chunk: SourceRow[] = [];
  let writing: Promise<void> = Promise.resolve();
  const enqueue = (write: () => Promise<void>) => {
    writing = writing.then(write);
    // Handled where it is awaited (next chunk or the end); this only keeps Node from calling it unhandled meanwhile.
    writing.catch(() => {});
  };
  for await (const row of readRows(options.file, format, fields, envelope)) {
    result.rows++;
    chunk.push(row);
    if (chunk.length >= chunkRows) {
      await writing;
      enqueue(prepare(chunk));
      chunk = [];
      progress.update(result);
    }
  }
  await writing;
  await prepare(chunk)();
  progress.done(result);
  result.rejected.sort((a, b) => a.line - b.line);
  if (touched.size > 0) await options.onAccepted?.([...touched]);
  return result;
}

/** A live bar on a TTY, a final line elsewhere. Real time on purpose: rows/s is about the machine, not journey time. */
function startProgress(stream: NodeJS.WritableStream | false): { update(r: ImportResult): void; done(r: ImportResult): void } {
  const started = performance.now();
  const rate = (r: ImportResult) => Math.round(r.rows / Math.max(0.001, (performance.now() - started) / 1000));
  if (stream === false) return { update() {}, done() {} };
  if (!(stream as { isTTY?: boolean }).isTTY) {
    return {
      update() {},
      done(r) {
        stream.write(`imported ${r.imported} of ${r.rows} rows (${r.rejected.length} rejected) at ${rate(r)} rows/s\n`);
      },
    };
  }
  let bar: { update(n: number, payload: object): void; stop(): void } | undefined;
  void import("cli-progress").then(({ default: cliProgress }) => {
    const b = new cliProgress.SingleBar(
      { stream, format: "{value} rows | {rate} rows/s | {rejected} rejected", noTTYOutput: false },
      cliProgress.Presets.shades_classic,
    );
    b.start(0, 0, { rate: 0, rejected: 0 });
    bar = b;
  });
  return {
    update(r) {
      bar?.update(r.rows, { rate: rate(r), rejected: r.rejected.length });
    },
    done(r) {
      bar?.update(r.rows, { rate: rate(r), rejected: r.rejected.length });
      bar?.stop();
      stream.write(`imported ${r.imported} of ${r.rows} rows (${r.rejected.length} rejected) at ${rate(r)} rows/s\n`);
    },
  };
}
