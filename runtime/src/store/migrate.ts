import { createHash } from "node:crypto";
import { type Clock, systemClock } from "../engine/clock.js";
import { type Migration, migrations as allMigrations } from "./migrations/index.js";
import type { SqlQueryable, SqlStore } from "./port.js";

/** First key of the two-int advisory lock: the runtime's migration lock (second key: the schema). */
export const MIGRATION_LOCK_NAMESPACE = 0x6a6f7572; // "jour"

export class MigrationError extends Error {
  override name = "MigrationError";
}

export interface MigrationReport {
  /** Versions this call applied. */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

export interface MigrateOptions {
  migrations?: readonly Migration[];
  /** For schema_migrations.applied_at. */
  clock?: Clock;
}

/**
 * Brings the store's schema up to date: creates the schema if missing, then applies each pending
 * migration in its own transaction under a transaction-scoped advisory lock (pg_advisory_xact_lock),
 * so that two processes migrating at once apply each migration once: the second waits, then finds
 * it recorded in schema_migrations. (A session lock would not do: on PGlite's single connection a
 * session lock is re-entrant, and with a pool the unlock could go to another connection.)
 */
export async function migrate(store: SqlStore, options: MigrateOptions = {}): Promise<MigrationReport> {
  const list = checkList(options.migrations ?? allMigrations);
  const clock = options.clock ?? systemClock;
  const known = list.at(-1)?.version ?? 0;
  const applied: number[] = [];
  let version = 0;
  // One pass per migration, even when nothing is pending: the first pass creates schema_migrations.
  for (const migration of list.length > 0 ? list : [undefined]) {
    const outcome = await store.transaction(
      async (tx) => {
        await lockMigrations(tx, store.schema);
        await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${store.schema};
          CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL
          )`);
        const done = await recorded(tx);
        checkRecorded(done, list, known);
        if (!migration || done.has(migration.version)) return { ran: false, version: Math.max(0, ...done.keys()) };
        await tx.exec(migration.sql);
        await tx.query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)", [
          migration.version,
          migration.name,
          checksumOf(migration),
          new Date(clock.now()),
        ]);
        return { ran: true, version: migration.version };
      },
      // Read committed: after waiting for the lock, the next statement must see the winner's rows.
      { isolation: "read committed" },
    );
    if (outcome.ran) applied.push(outcome.version);
    version = outcome.version;
  }
  return { applied, version };
}

/** Refuses a database whose applied migrations were since edited, or that is newer than this code. */
function checkRecorded(done: Map<number, string>, list: readonly Migration[], known: number): void {
  for (const [version, checksum] of done) {
    const migration = list.find((m) => m.version === version);
    if (!migration) {
      throw new MigrationError(
        `the database has schema version ${version}, newer than this runtime knows (${known}): upgrade the runtime`,
      );
    }
    if (checksumOf(migration) !== checksum) {
      throw new MigrationError(
        `migration ${version} (${migration.name}) was changed after it was applied: add a new migration instead`,
      );
    }
  }
}

/** The schema's migration lock, held until the transaction ends; exported for tests and tools. */
export async function lockMigrations(tx: SqlQueryable, schema: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [MIGRATION_LOCK_NAMESPACE, schema]);
}

async function recorded(db: SqlQueryable): Promise<Map<number, string>> {
  const { rows } = await db.query<{ version: number; checksum: string }>(
    "SELECT version, checksum FROM schema_migrations ORDER BY version",
  );
  return new Map(rows.map((r) => [r.version, r.checksum]));
}

function checksumOf(migration: Migration): string {
  return createHash("sha256").update(migration.sql).digest("hex");
}

function checkList(list: readonly Migration[]): readonly Migration[] {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(`migration ${i + 1} is missing or out of order (found version ${m.version})`);
    }
  });
  return list;
}
