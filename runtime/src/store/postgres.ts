import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Pool, PoolClient, PoolConfig, QueryConfig } from "pg";
import {
  checkSchemaName,
  type QueryResult,
  type Row,
  type SqlQueryable,
  type SqlStore,
  StoreUsageError,
  TransactionHandle,
  type TransactionOptions,
} from "./port.js";
import { assertNotInsideTransaction, beginStatement, runInTransactionScope, withRetries } from "./transaction.js";
import { OID, parseDate, parseInt8 } from "./types.js";

export interface PostgresStoreOptions {
  /** e.g. postgres://user@host:5432/db; or give the pieces in `pool`. */
  connectionString?: string;
  /** Extra `pg` pool settings (max connections, timeouts, ssl …). */
  pool?: Omit<PoolConfig, "connectionString" | "types" | "options">;
  /** Schema for every unqualified name (the connection's search_path). Default "public". */
  schema?: string;
  /** Reported by idle pool clients that fail (the server restarted, the network dropped). */
  onPoolError?: (error: Error) => void;
}

/**
 * Opens a PostgreSQL store on a `pg` connection pool and checks that it answers. `pg` is loaded
 * here, not at import time, so a process that never opens a store never loads a driver.
 */
export async function openPostgresStore(options: PostgresStoreOptions = {}): Promise<SqlStore> {
  const schema = checkSchemaName(options.schema ?? "public");
  const { default: pg } = await import("pg");
  const types = new pg.TypeOverrides();
  // pg's own text[] parser (its TypeId list has no array oids, hence the cast).
  const getParser = pg.types.getTypeParser as (oid: number, format: "text") => unknown;
  const textArray = getParser(1009, "text") as (text: string) => (string | null)[];
  types.setTypeParser(OID.int8, parseInt8);
  types.setTypeParser(OID.int8Array, (text) => textArray(text).map((v) => (v === null ? null : parseInt8(v))));
  types.setTypeParser(OID.date, parseDate);
  types.setTypeParser(OID.dateArray, textArray);
  const pool = new pg.Pool({
    ...options.pool,
    connectionString: options.connectionString,
    types,
    // Every connection resolves names in the store's schema, for queries and migrations alike.
    options: `-c search_path=${schema}`,
  });
  // Without a listener, an idle client's error (server restart) would crash the process.
  pool.on("error", options.onPoolError ?? ((error) => console.warn(`postgres pool: ${error.message}`)));
  const store = new PostgresStore(pool, schema);
  try {
    await store.query("SELECT 1");
  } catch (error) {
    await pool.end();
    throw error;
  }
  return store;
}

class PostgresStore implements SqlStore {
  readonly kind = "postgres";
  readonly concurrency = "pool";
  #closed = false;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
  ) {}

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.#check("query");
    return toResult<R>(await this.pool.query(extended(sql, params)));
  }

  async exec(script: string): Promise<void> {
    this.#check("exec");
    await this.pool.query(script);
  }

  async copyRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number> {
    this.#check("copyRows");
    const client = await this.pool.connect();
    let broken = false;
    const onLost = (): void => {
      broken = true;
    };
    client.on("error", onLost);
    try {
      return await copyInto(client, table, columns, rows);
    } finally {
      client.off("error", onLost);
      client.release(broken);
    }
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.#check("transaction");
    return withRetries(async () => {
      const client = await this.pool.connect();
      let broken = false;
      // A connection the server drops while checked out (a restart) also emits 'error' on the client;
      // the query in flight rejects with it already, so the event itself must not crash the process.
      const onLost = (): void => {
        broken = true;
      };
      client.on("error", onLost);
      const tx = new TransactionHandle({
        query: async <R extends Row>(sql: string, params: readonly unknown[] = []) => toResult<R>(await client.query(extended(sql, params))),
        exec: async (script: string) => {
          await client.query(script);
        },
        copyRows: (table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]) => copyInto(client, table, columns, rows),
      });
      try {
        await client.query(beginStatement(options.isolation));
        const result = await runInTransactionScope(this, () => fn(tx));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true; // the connection is unusable: destroy it rather than pool it
        }
        throw error;
      } finally {
        tx.done = true;
        client.off("error", onLost);
        client.release(broken);
      }
    }, options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }

  #check(method: string): void {
    if (this.#closed) throw new StoreUsageError(`store.${method}() after close()`);
    assertNotInsideTransaction(this, method);
  }
}

/**
 * Always the extended protocol, as PGlite's query() uses: one statement per query() on both stores
 * (pg would otherwise run a parameterless multi-statement string through the simple protocol).
 */
function extended(text: string, values: readonly unknown[]): QueryConfig {
  return { text, values: values as unknown[], queryMode: "extended" } as QueryConfig;
}

function toResult<R extends Row>(result: { rows: unknown[]; rowCount: number | null }): QueryResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `schema.table` or `column` as quoted SQL, refusing anything but plain identifiers (they are spliced into COPY). */
function quoteName(name: string, what: string): string {
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new StoreUsageError(`copyRows: ${what} ${JSON.stringify(name)} must be a plain identifier (letters, digits, _), optionally schema-qualified`);
  }
  return parts.map((p) => `"${p}"`).join(".");
}

/** One value in COPY's text format. */
function copyText(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof Date) return value.toISOString();
  else if (typeof value === "boolean") return value ? "t" : "f";
  else if (typeof value === "number" || typeof value === "bigint") return String(value);
  else text = JSON.stringify(value);
  return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] ?? c) : text;
}

const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** COPY … FROM STDIN on `client` (in its transaction, if any), streamed in pieces of about 64 KB. */
async function copyInto(client: PoolClient, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number> {
  const target = `${quoteName(table, "table")} (${columns.map((c) => quoteName(c, "column")).join(", ")})`;
  for (const [i, row] of rows.entries()) {
    if (row.length !== columns.length) throw new StoreUsageError(`copyRows into ${table}: row ${i} has ${row.length} values for ${columns.length} columns`);
  }
  if (rows.length === 0) return 0;
  const { from: copyFrom } = await import("pg-copy-streams");
  const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
  function* pieces(): Generator<string> {
    let piece = "";
    for (const row of rows) {
      piece += `${row.map(copyText).join("\t")}\n`;
      if (piece.length >= 65_536) {
        yield piece;
        piece = "";
      }
    }
    if (piece) yield piece;
  }
  await pipeline(Readable.from(pieces()), stream);
  return stream.rowCount;
}
