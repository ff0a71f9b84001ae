import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { barrier, realSleep } from "../testing/services.js";
import { storeFixtures } from "../testing/stores.js";
import type { SqlQueryable, SqlStore } from "./port.js";
import { StoreUsageError } from "./port.js";

/**
 * The store port's conformance suite: the same tests, the same SQL, against PostgreSQL (a schema of
 * its own) and PGlite. Where PostgreSQL runs transactions side by side and PGlite one after another,
 * the tests assert what must hold either way, and, on PostgreSQL, that the transactions did overlap.
 */
describe.each(storeFixtures())("store conformance: $kind", (fixture) => {
  let store: SqlStore;

  beforeAll(async () => {
    store = await fixture.open();
    await store.exec(`
      CREATE SCHEMA IF NOT EXISTS ${store.schema};
      CREATE TABLE items (id integer PRIMARY KEY, label text NOT NULL);
      CREATE TABLE steps (id text PRIMARY KEY, node text NOT NULL, version integer NOT NULL);
      CREATE TABLE waits (id integer PRIMARY KEY, wake_at timestamptz);
      CREATE TABLE tickets (n integer PRIMARY KEY);
    `);
  });
  afterAll(() => fixture.cleanup());

  it("gives the same JavaScript values for the same SQL", async () => {
    const at = new Date("2025-03-04T05:06:07.089Z");
    const { rows } = await store.query(
      `SELECT $1::int AS int, $2::text AS text, $3::jsonb AS json, $4::timestamptz AS at,
              '2025-03-04'::date AS day, 9007199254740991::int8 AS big, (SELECT count(*) FROM items) AS count,
              1.10::numeric AS amount, '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid AS id,
              'b' = ANY($5::text[]) AS found, $6::bool AS flag, NULL::text AS nothing,
              ARRAY[1, 2]::int8[] AS bigs, ARRAY['x']::text[] AS texts`,
      [7, "seven", JSON.stringify({ list: [1, "two"], nested: { ok: true } }), at, ["a", "b"], true],
    );
    expect(rows).toEqual([
      {
        int: 7,
        text: "seven",
        json: { list: [1, "two"], nested: { ok: true } },
        at,
        day: "2025-03-04",
        big: 9007199254740991,
        count: 0,
        amount: "1.10",
        id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        found: true,
        flag: true,
        nothing: null,
        bigs: [1, 2],
        texts: ["x"],
      },
    ]);
  });

  it("refuses an int8 past 2^53 rather than rounding it", async () => {
    await expect(store.query("SELECT 9007199254740993::int8 AS too_big")).rejects.toThrow(/does not fit/);
    await expect(store.query("SELECT 9007199254740993::int8::text AS ok")).resolves.toMatchObject({
      rows: [{ ok: "9007199254740993" }],
    });
  });

  it("counts rows returned by a SELECT and rows changed by a write", async () => {
    await store.query("DELETE FROM items");
    expect((await store.query("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')")).rowCount).toBe(3);
    expect((await store.query("UPDATE items SET label = 'x' WHERE id > 1 RETURNING id")).rowCount).toBe(2);
    expect((await store.query("SELECT * FROM items")).rowCount).toBe(3);
    expect((await store.query("DELETE FROM items WHERE id = 99")).rowCount).toBe(0);
    expect((await store.query("DELETE FROM items")).rowCount).toBe(3);
  });

  it("runs one statement per query() and scripts through exec()", async () => {
    await expect(store.query("SELECT 1; SELECT 2")).rejects.toThrow();
    await store.exec("INSERT INTO items VALUES (10, 'x'); INSERT INTO items VALUES (11, 'y')");
    expect((await store.query("SELECT id FROM items WHERE id >= 10 ORDER BY id")).rows).toEqual([{ id: 10 }, { id: 11 }]);
  });

  it("reports database errors with their SQLSTATE code", async () => {
    await store.query("INSERT INTO items VALUES (20, 'a')");
    await expect(store.query("INSERT INTO items VALUES (20, 'b')")).rejects.toMatchObject({ code: "23505" });
  });

  describe("transactions", () => {
    it("commit what the callback returns", async () => {
      const result = await store.transaction(async (tx) => {
        await tx.query("INSERT INTO items VALUES (30, 'kept')");
        return (await tx.query<{ label: string }>("SELECT label FROM items WHERE id = 30")).rows[0]?.label;
      });
      expect(result).toBe("kept");
      expect((await store.query("SELECT label FROM items WHERE id = 30")).rows).toEqual([{ label: "kept" }]);
    });

    it("roll back when the callback throws, and rethrow", async () => {
      const failure = new Error("changed my mind");
      await expect(
        store.transaction(async (tx) => {
          await tx.query("INSERT INTO items VALUES (31, 'gone')");
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect((await store.query("SELECT * FROM items WHERE id = 31")).rowCount).toBe(0);
    });

    it("roll back when a statement fails, and leave the store usable", async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.query("INSERT INTO items VALUES (32, 'gone')");
          await tx.query("INSERT INTO items VALUES (32, 'duplicate')");
        }),
      ).rejects.toMatchObject({ code: "23505" });
      expect((await store.query("SELECT * FROM items WHERE id = 32")).rowCount).toBe(0);
      expect((await store.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
    });

    it("refuse the store itself inside its own transaction (on one connection it would wait forever)", async () => {
      await expect(
        store.transaction(async () => {
          await store.query("SELECT 1");
        }),
      ).rejects.toThrow(StoreUsageError);
      await expect(store.transaction(() => store.transaction(async () => 1))).rejects.toThrow(StoreUsageError);
    });

    it("refuse a transaction handle used after its transaction ended", async () => {
      let kept: SqlQueryable | undefined;
      await store.transaction(async (tx) => {
        kept = tx;
      });
      await expect(kept?.query("SELECT 1")).rejects.toThrow(StoreUsageError);
    });

    it("retry the whole callback after a serialization failure or deadlock, and only then", async () => {
      let tries = 0;
      const value = await store.transaction(async (tx) => {
        tries++;
        await tx.query("SELECT 1");
        if (tries < 3) throw Object.assign(new Error("could not serialize access"), { code: tries === 1 ? "40001" : "40P01" });
        return "done";
      });
      expect({ value, tries }).toEqual({ value: "done", tries: 3 });

      tries = 0;
      await expect(
        store.transaction(async () => {
          tries++;
          throw Object.assign(new Error("unique violation"), { code: "23505" });
        }),
      ).rejects.toThrow("unique violation");
      expect(tries).toBe(1);

      tries = 0;
      await expect(
        store.transaction(
          async () => {
            tries++;
            throw Object.assign(new Error("always conflicting"), { code: "40001" });
          },
          { maxAttempts: 2 },
        ),
      ).rejects.toThrow("always conflicting");
      expect(tries).toBe(2);
    });

    it("serializable: read-then-write transactions racing end as if run one after another", async () => {
      let tries = 0;
      // On PostgreSQL, both first attempts read before either writes; PGlite runs them one by one.
      const bothRead = barrier(2);
      const takeTicket = () =>
        store.transaction(
          async (tx) => {
            tries++;
            const { rows } = await tx.query<{ next: number }>("SELECT coalesce(max(n), 0) + 1 AS next FROM tickets");
            if (store.concurrency === "pool" && tries <= 2) await bothRead.arrive();
            await tx.query("INSERT INTO tickets VALUES ($1)", [rows[0]?.next]);
            return rows[0]?.next;
          },
          { isolation: "serializable", maxAttempts: 10 },
        );
      const taken = await Promise.all([takeTicket(), takeTicket()]);
      expect(taken.sort()).toEqual([1, 2]);
      // PostgreSQL ran them side by side: one saw a serialization failure and ran again.
      if (store.concurrency === "pool") expect(tries).toBeGreaterThan(2);
      else expect(tries).toBe(2);
    });
  });

  it("a deadlock between two transactions is broken and the loser retried, so both commit", async () => {
    await store.query("INSERT INTO items VALUES (40, 'a'), (41, 'b')");
    let tries = 0;
    // On PostgreSQL both lock their first row before either asks for its second: a real deadlock.
    const bothLocked = barrier(2);
    const touch = (first: number, second: number) =>
      store.transaction(async (tx) => {
        tries++;
        await tx.query("SET LOCAL deadlock_timeout = '50ms'");
        await tx.query("UPDATE items SET label = label || '+' WHERE id = $1", [first]);
        if (store.concurrency === "pool" && tries <= 2) await bothLocked.arrive();
        await tx.query("UPDATE items SET label = label || '+' WHERE id = $1", [second]);
      });
    await Promise.all([touch(40, 41), touch(41, 40)]);
    const { rows } = await store.query("SELECT label FROM items WHERE id IN (40, 41) ORDER BY id");
    expect(rows).toEqual([{ label: "a++" }, { label: "b++" }]);
    if (store.concurrency === "pool") expect(tries).toBe(3);
    else expect(tries).toBe(2);
  });

  it("compare-and-set: of two steps from the same version, exactly one wins", async () => {
    await store.query("INSERT INTO steps VALUES ('e1', 'start', 0)");
    // Two jobs for the same enrollment, each carrying the version it was queued at (as a duplicate
    // or late job would), each stepping in its own transaction.
    const step = (node: string, expected: number) =>
      store.transaction(async (tx) => {
        const { rowCount } = await tx.query(
          "UPDATE steps SET node = $2, version = version + 1 WHERE id = $1 AND version = $3",
          ["e1", node, expected],
        );
        await realSleep(30); // hold the row lock while the other tries
        return rowCount;
      });
    const [a, b] = await Promise.all([step("after_a", 0), step("after_b", 0)]);
    expect([a, b].sort()).toEqual([0, 1]);
    const { rows } = await store.query("SELECT node, version FROM steps WHERE id = 'e1'");
    expect(rows).toEqual([{ node: a === 1 ? "after_a" : "after_b", version: 1 }]);
  });

  it("FOR UPDATE SKIP LOCKED: two claimers running at once never claim the same row", async () => {
    const now = new Date("2025-01-01T00:00:00Z");
    const later = new Date("2025-01-01T00:05:00Z");
    const ids = Array.from({ length: 20 }, (_, i) => i + 1);
    await store.query("INSERT INTO waits SELECT id, $1 FROM unnest($2::int[]) AS id", [now, ids]);
    // On PostgreSQL each claimer keeps its rows locked until the other has selected: without
    // SKIP LOCKED the second select would wait for the first commit and the barrier would time out.
    const bothSelected = barrier(2);
    const claim = () =>
      store.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: number }>(
          "SELECT id FROM waits WHERE wake_at <= $1 ORDER BY wake_at, id LIMIT 12 FOR UPDATE SKIP LOCKED",
          [now],
        );
        if (store.concurrency === "pool") await bothSelected.arrive();
        const claimed = rows.map((r) => r.id);
        // A claim pushes wake_at out by a lease: if the job it queues is lost, the row comes due again.
        await tx.query("UPDATE waits SET wake_at = $1 WHERE id = ANY($2::int[])", [later, claimed]);
        return claimed;
      });
    const [first, second] = await Promise.all([claim(), claim()]);
    const overlap = (first ?? []).filter((id) => second?.includes(id));
    expect(overlap).toEqual([]);
    expect([...(first ?? []), ...(second ?? [])].sort((x, y) => x - y)).toEqual(ids);
    expect([first?.length, second?.length].sort()).toEqual([12, 8]);
  });

  it.runIf(fixture.kind === "postgres")("copyRows loads rows with COPY, on the pool and inside a transaction (rolled back with it)", async () => {
    await store.exec("CREATE TABLE copied (id integer PRIMARY KEY, label text, at timestamptz, data jsonb, flag boolean)");
    const at = new Date("2025-03-04T05:06:07.089Z");
    const awkward = "tab\there, line\nbreak, back\\slash, \\N, 'quote'";
    expect(store.copyRows).toBeDefined();
    const loaded = await store.copyRows?.("copied", ["id", "label", "at", "data", "flag"], [
      [1, awkward, at, { nested: ["a\tb", null] }, true],
      [2, null, null, null, false],
    ]);
    expect(loaded).toBe(2);
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.copyRows?.("copied", ["id", "label"], [[3, "in a transaction"]])).toBe(1);
        expect((await tx.query("SELECT count(*) AS n FROM copied")).rows).toEqual([{ n: 3 }]);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    const { rows } = await store.query("SELECT id, label, at, data, flag FROM copied ORDER BY id");
    expect(rows).toEqual([
      { id: 1, label: awkward, at, data: { nested: ["a\tb", null] }, flag: true },
      { id: 2, label: null, at: null, data: null, flag: false },
    ]);
    await expect(store.copyRows?.("copied; DROP TABLE items", ["id"], [[4]])).rejects.toThrow(/copyRows: table .* must be a plain identifier/);
    await expect(store.copyRows?.("copied", ["id", "label"], [[4]])).rejects.toThrow("copyRows into copied: row 0 has 1 values for 2 columns");
  });

  it.runIf(fixture.kind === "pglite")("has no copyRows (callers use INSERT)", () => {
    expect(store.copyRows).toBeUndefined();
  });

  // Last: it closes the suite's store (cleanup() closing it again is harmless).
  it("refuses use after close()", async () => {
    await store.close();
    await expect(store.query("SELECT 1")).rejects.toThrow(StoreUsageError);
    await expect(store.transaction(async () => 1)).rejects.toThrow(StoreUsageError);
    await store.close();
  });
});
