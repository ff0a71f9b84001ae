import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.js";
import { realSleep } from "../testing/services.js";
import { storeFixtures } from "../testing/stores.js";
import { lockMigrations, MigrationError, migrate } from "./migrate.js";
import { type Migration, migrations } from "./migrations/index.js";
import type { SqlStore } from "./port.js";

const TABLES = [
  "customers",
  "enrollment_traces",
  "enrollments",
  "events",
  "experiment_winners",
  "identities",
  "in_app_messages",
  "journey_versions",
  "journeys",
  "list_members",
  "objects",
  "outbox",
  "rejected_events",
  "schema_migrations",
  "scores",
  "segment_members",
  "trigger_clock",
];

const tablesOf = async (store: SqlStore) =>
  (
    await store.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
      [store.schema],
    )
  ).rows.map((r) => r.name);

describe.each(storeFixtures())("migrations: $kind", (fixture) => {
  afterAll(() => fixture.cleanup());

  it("the list is numbered 1, 2, 3 … with snake_case names", () => {
    migrations.forEach((m, i) => {
      expect(m.version).toBe(i + 1);
      expect(m.name).toMatch(/^[a-z][a-z0-9_]*$/);
    });
  });

  it("create the schema and every table, record each version once, and do nothing the second time", async () => {
    const store = await fixture.open();
    const clock = new VirtualClock(Date.UTC(2025, 5, 1));
    const latest = migrations.length;
    expect(await migrate(store, { clock })).toEqual({ applied: migrations.map((m) => m.version), version: latest });
    expect(await tablesOf(store)).toEqual(TABLES);
    const recorded = await store.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
    expect(recorded.rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name, applied_at: new Date(clock.now()) })));
    expect(await migrate(store)).toEqual({ applied: [], version: latest });

    // A later migration applies alone, on top.
    const next: Migration = { version: latest + 1, name: "add_note", sql: "ALTER TABLE customers ADD COLUMN note text" };
    expect(await migrate(store, { migrations: [...migrations, next] })).toEqual({ applied: [next.version], version: next.version });

    // This runtime's list is now behind the database: refuse, do not guess.
    await expect(migrate(store)).rejects.toThrow(/newer than this runtime knows/);
    // An applied migration edited afterwards: refuse.
    const edited = { ...next, sql: `${next.sql} NOT NULL` };
    await expect(migrate(store, { migrations: [...migrations, edited] })).rejects.toThrow(MigrationError);
  });

  it("two processes migrating at once apply each migration once", async () => {
    const store = await fixture.open();
    const other = await fixture.another(store);
    const reports = await Promise.all([migrate(store), migrate(other), migrate(store), migrate(other)]);
    const applied = reports.flatMap((r) => r.applied).sort((a, b) => a - b);
    expect(applied).toEqual(migrations.map((m) => m.version));
    expect(reports.every((r) => r.version === migrations.length)).toBe(true);
    const { rows } = await store.query("SELECT count(*) AS n, count(DISTINCT version) AS distinct_n FROM schema_migrations");
    expect(rows).toEqual([{ n: migrations.length, distinct_n: migrations.length }]);
  });

  it("a migration waits while another holds the migration lock", async () => {
    const store = await fixture.open();
    const other = await fixture.another(store);
    await migrate(store);
    const order: string[] = [];
    const holder = store.transaction(async (tx) => {
      await lockMigrations(tx, store.schema);
      order.push("locked");
      await realSleep(150);
      order.push("unlocking");
    });
    while (order.length === 0) await realSleep(2); // the lock is held before the second migration starts
    const second = migrate(other).then(() => order.push("migrated"));
    await Promise.all([holder, second]);
    expect(order).toEqual(["locked", "unlocking", "migrated"]);
  });

  describe("the initial schema", () => {
    let store: SqlStore;
    const at = new Date("2025-01-01T00:00:00Z");
    const customer = "00000000-0000-4000-8000-000000000001";
    const enrollment = (id: number) => `00000000-0000-4000-8000-0000000001${String(id).padStart(2, "0")}`;

    beforeAll(async () => {
      store = await fixture.open();
      await migrate(store);
      await store.query("INSERT INTO customers (customer_id, created_at, updated_at) VALUES ($1, $2, $2)", [customer, at]);
    });

    it("stores an event once per message_id", async () => {
      const insert = "INSERT INTO events (message_id, customer_id, name, occurred_at, received_at, properties) VALUES ($1, $2, 'purchase', $3, $3, $4) ON CONFLICT (message_id) DO NOTHING";
      const props = JSON.stringify({ total: 20 });
      expect((await store.query(insert, ["m-1", customer, at, props])).rowCount).toBe(1);
      expect((await store.query(insert, ["m-1", customer, at, props])).rowCount).toBe(0);
    });

    it("allows one unended enrollment per (journey, customer, correlation key), and a new one after it ends", async () => {
      const enroll = (id: number, key: string) =>
        store.query(
          `INSERT INTO enrollments (id, journey, journey_version, customer_id, correlation_key, state, node, entered_at, updated_at)
           VALUES ($1, 'abandoned_cart', 'v1', $2, $3, 'active', 'start', $4, $4)`,
          [enrollment(id), customer, key, at],
        );
      await enroll(1, "cart-1");
      await enroll(2, "cart-2");
      await expect(enroll(3, "cart-1")).rejects.toMatchObject({ code: "23505" });
      await store.query("UPDATE enrollments SET state = 'completed', ended_at = $2 WHERE id = $1", [enrollment(1), at]);
      await enroll(3, "cart-1");
      // ended_at and a final state go together.
      await expect(store.query("UPDATE enrollments SET state = 'exited' WHERE id = $1", [enrollment(2)])).rejects.toMatchObject({
        code: "23514",
      });
    });

    it("indexes only the waiting enrollments' wake_at, for the promoter's claim", async () => {
      const { rows } = await store.query<{ def: string }>(
        "SELECT indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND indexname = 'enrollments_due'",
        [store.schema],
      );
      expect(rows[0]?.def).toMatch(/\(wake_at\) WHERE \(wake_at IS NOT NULL\)/);
    });

    it("keeps one outbox row per (enrollment, node) and per send_id", async () => {
      const send = (sendId: string, node: string) =>
        store.query(
          `INSERT INTO outbox (send_id, enrollment_id, customer_id, node, channel, payload, created_at, deliver_after)
           VALUES ($1, $2, $3, $4, 'email', $5, $6, $6)`,
          [sendId, enrollment(2), customer, node, JSON.stringify({ template: "cart_reminder" }), at],
        );
      await send("10000000-0000-5000-8000-000000000001", "reminder");
      await expect(send("10000000-0000-5000-8000-000000000002", "reminder")).rejects.toMatchObject({ code: "23505" });
      await expect(send("10000000-0000-5000-8000-000000000001", "other")).rejects.toMatchObject({ code: "23505" });
      await expect(
        store.query("UPDATE outbox SET status = 'delivered' WHERE node = 'reminder'"),
      ).rejects.toMatchObject({ code: "23514" });
      const { rows } = await store.query("SELECT status, fencing_token, attempts FROM outbox");
      expect(rows).toEqual([{ status: "pending", fencing_token: 0, attempts: 0 }]);
    });

    it("maps each identity key value to one customer", async () => {
      const identify = (value: string) =>
        store.query("INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('email', $1, $2, $3)", [value, customer, at]);
      await identify("simona@example.com");
      await expect(identify("simona@example.com")).rejects.toMatchObject({ code: "23505" });
    });
  });
});
