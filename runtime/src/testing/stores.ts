import { openPgliteStore } from "../store/pglite.js";
import type { SqlStore } from "../store/port.js";
import { openPostgresStore } from "../store/postgres.js";
import { services, uniqueName } from "./services.js";

/**
 * One implementation of the store port, as the conformance suites see it. Every store it opens is
 * empty and is dropped by cleanup(): on PostgreSQL a schema of its own, on PGlite an in-memory
 * instance of its own.
 */
export interface StoreFixture {
  kind: SqlStore["kind"];
  /** A new, empty store. */
  open(): Promise<SqlStore>;
  /**
   * Another handle on the same database, as a second process would have one: a second pool on
   * PostgreSQL; on PGlite (one connection, one process) the same store again.
   */
  another(store: SqlStore): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

export function postgresFixture(): StoreFixture {
  const opened: SqlStore[] = [];
  const schemas = new Set<string>();
  const open = async (schema: string) => {
    const store = await openPostgresStore({ connectionString: services.databaseUrl, schema, pool: { max: 4 } });
    opened.push(store);
    return store;
  };
  return {
    kind: "postgres",
    open: () => {
      const schema = uniqueName("journey_test");
      schemas.add(schema);
      return open(schema);
    },
    another: (store) => open(store.schema),
    cleanup: async () => {
      const admin = await openPostgresStore({ connectionString: services.databaseUrl });
      try {
        for (const schema of schemas) await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await Promise.all([...opened, admin].map((s) => s.close()));
      }
    },
  };
}

export function pgliteFixture(): StoreFixture {
  const opened: SqlStore[] = [];
  return {
    kind: "pglite",
    open: async () => {
      const store = await openPgliteStore({ schema: "journey" });
      opened.push(store);
      return store;
    },
    another: async (store) => store,
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
}

/** The fixtures the conformance suites run against (PostgreSQL is left out with JOURNEY_TEST_SERVICES=embedded). */
export function storeFixtures(): StoreFixture[] {
  return services.embeddedOnly ? [pgliteFixture()] : [postgresFixture(), pgliteFixture()];
}
