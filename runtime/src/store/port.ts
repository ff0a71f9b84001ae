/**
 * The store port: the one way the runtime talks to its database. Two implementations run the same
 * SQL text: PostgreSQL through `pg` (production) and PGlite (embedded, single process).
 *
 * Parameter and result conventions, identical in both (the conformance suite checks them):
 * - placeholders are `$1, $2, …`; pass jsonb values as JSON text (`JSON.stringify(value)`), because
 *   `pg` would turn a JS array into a Postgres array literal;
 * - `timestamptz` → Date, `int8` (bigint, count(*)) → number (a value past 2^53 is an error, never
 *   a silent rounding), `numeric` → string, `date` → 'YYYY-MM-DD' string, `json`/`jsonb` → parsed.
 */
export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row = Row> {
  rows: R[];
  /** Rows returned by a SELECT, or changed by INSERT/UPDATE/DELETE (with or without RETURNING). */
  rowCount: number;
}

export interface SqlQueryable {
  /** One statement, with `$n` parameters. */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** A script of several statements, without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Bulk load: appends `rows` (values in `columns` order) to `table` with COPY, returning the rows
   * written. Only PostgreSQL has it; callers fall back to INSERT when it is absent. Values follow the
   * parameter conventions: null/undefined → NULL, Date → timestamptz, objects and arrays → JSON text.
   */
  copyRows?(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number>;
}

/** A transaction's queries, refusing use once the transaction has ended (both stores hand this to `fn`). */
export class TransactionHandle implements SqlQueryable {
  done = false;
  /** Present when the connection can COPY (PostgreSQL). */
  readonly copyRows?: (table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]) => Promise<number>;

  constructor(private readonly connection: SqlQueryable) {
    const copy = connection.copyRows?.bind(connection);
    if (copy) {
      this.copyRows = async (table, columns, rows) => {
        this.#check();
        return copy(table, columns, rows);
      };
    }
  }

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.#check();
    return this.connection.query<R>(sql, params);
  }

  async exec(script: string): Promise<void> {
    this.#check();
    await this.connection.exec(script);
  }

  #check(): void {
    if (this.done) throw new StoreUsageError("transaction handle used after its transaction ended");
  }
}

/**
 * READ COMMITTED is the default: the runtime's correctness rests on row locks (`FOR UPDATE`,
 * `SKIP LOCKED`), compare-and-set on a version column and unique keys, which all hold under it.
 * SERIALIZABLE is there for the rare read-decide-write that no row lock covers.
 */
export type Isolation = "read committed" | "repeatable read" | "serializable";

export interface TransactionOptions {
  isolation?: Isolation;
  /**
   * Tries in all when the database aborts the transaction with a serialization failure (40001) or
   * a deadlock (40P01); the callback then runs again from the start, so it must do nothing outside
   * the transaction it could not repeat (queue jobs after commit, never inside). Default 5.
   */
  maxAttempts?: number;
}

export type StoreKind = "postgres" | "pglite";

export interface SqlStore extends SqlQueryable {
  readonly kind: StoreKind;
  /**
   * "pool": several connections; concurrent transactions really overlap and contend on locks.
   * "serial": one connection (PGlite); transactions run one after another, whole, so they never
   * see each other's locks: what a lock would exclude, the queue of transactions excludes instead.
   */
  readonly concurrency: "pool" | "serial";
  /** The schema every unqualified name resolves to (the search_path). */
  readonly schema: string;
  /**
   * Runs `fn` in a transaction: commits what it returns, rolls back what it throws, and retries it
   * (see TransactionOptions.maxAttempts). Inside, use only `tx`: calling the store itself there is
   * an error, because on one connection it would wait for the transaction forever.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Waits for running queries, then releases connections. Later calls fail. */
  close(): Promise<void>;
}

/** The store was used wrongly (closed, or the store called inside its own transaction). */
export class StoreUsageError extends Error {
  override name = "StoreUsageError";
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names are spliced into SQL (search_path, CREATE SCHEMA), so only plain identifiers are allowed. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreUsageError(
      `schema name ${JSON.stringify(schema)} must be a lower-case identifier (letters, digits, _; at most 63)`,
    );
  }
  return schema;
}
