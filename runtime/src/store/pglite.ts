import type { PGlite, Results } from "@electric-sql/pglite";
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
import { assertNotInsideTransaction, runInTransactionScope, withRetries } from "./transaction.js";
import { OID, parseDate, parseInt8 } from "./types.js";

export interface PgliteStoreOptions {
  /**
   * A directory to keep the database in between runs; absent: in memory, gone at close().
   * One process at a time may open a directory.
   */
  dataDir?: string;
  /** Schema for every unqualified name (the search_path). Default "public". */
  schema?: string;
}

/**
 * Opens the embedded store: PostgreSQL compiled to WebAssembly, in this process, with the same SQL
 * and migrations as production. It has one connection, so statements and transactions run one at
 * a time (see SqlStore.concurrency). Startup takes a second or more: open one per process.
 */
export async function openPgliteStore(options: PgliteStoreOptions = {}): Promise<SqlStore> {
  const schema = checkSchemaName(options.schema ?? "public");
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    parsers: { [OID.int8]: parseInt8, [OID.date]: parseDate },
  });
  await db.exec(`SET search_path TO ${schema}`);
  return new PgliteStore(db, schema);
}

class PgliteStore implements SqlStore {
  readonly kind = "pglite";
  readonly concurrency = "serial";
  #closed = false;

  constructor(
    readonly db: PGlite,
    readonly schema: string,
  ) {}

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.#check("query");
    return toResult<R>(await this.db.query<R>(sql, [...params]));
  }

  async exec(script: string): Promise<void> {
    this.#check("exec");
    await this.db.exec(script);
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.#check("transaction");
    return withRetries(
      // PGlite's transaction() holds its only connection for the whole callback: BEGIN … COMMIT/ROLLBACK.
      () =>
        this.db.transaction(async (inner) => {
          const tx = new TransactionHandle({
            query: async <R extends Row>(sql: string, params: readonly unknown[] = []) => toResult<R>(await inner.query<R>(sql, [...params])),
            exec: async (script: string) => {
              await inner.exec(script);
            },
          });
          try {
            if (options.isolation && options.isolation !== "read committed") {
              await inner.query(`SET TRANSACTION ISOLATION LEVEL ${options.isolation.toUpperCase()}`);
            }
            return await runInTransactionScope(this, () => fn(tx));
          } finally {
            tx.done = true;
          }
        }),
      options,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.close();
  }

  #check(method: string): void {
    if (this.#closed) throw new StoreUsageError(`store.${method}() after close()`);
    assertNotInsideTransaction(this, method);
  }
}

/** pg's rowCount: rows returned by a SELECT, rows changed by a write (PGlite reports only the latter). */
function toResult<R extends Row>(result: Results<R>): QueryResult<R> {
  const rowCount = result.command === "SELECT" ? result.rows.length : (result.affectedRows ?? result.rows.length);
  return { rows: result.rows, rowCount };
}
