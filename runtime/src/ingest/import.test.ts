import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../engine/clock.js";
import { migrate } from "../store/migrate.js";
import type { SqlStore } from "../store/port.js";
import { compileExamples } from "../testing/examples.js";
import { storeFixtures } from "../testing/stores.js";
import { importFile } from "./import.js";

const project = compileExamples();
const dir = mkdtempSync(join(tmpdir(), "journey-import-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe.each(storeFixtures())("import: $kind", (fixture) => {
  let store: SqlStore;
  const clock = new VirtualClock(Date.parse("2025-02-01T00:00:00Z"));
  const touched: string[][] = [];
  const deps = () => ({ store, project, clock, progress: false as const, onAccepted: (ids: string[]) => void touched.push(ids) });

  beforeAll(async () => {
    store = await fixture.open();
    await migrate(store);
  }, 60_000);
  afterAll(() => fixture.cleanup());

  it("imports customers from CSV: nested columns, JSON lists, empty cells absent, bad rows by line", async () => {
    const csv = file(
      "customers.csv",
      [
        "customer_id,email,country,consent.email,favourite_categories,birthday",
        'C-1,one@example.com,IT,true,"[""dress""]",1990-04-01',
        "C-2,not-an-email,IT,,,",
        "C-3,,FR,false,,1990-02-30",
      ].join("\n"),
    );
    const result = await importFile({ ...deps(), file: csv, as: "customer" });
    expect(result.rows).toBe(3);
    expect(result.imported).toBe(1);
    expect(result.rejected).toEqual([
      { line: 3, errors: [{ path: "email", message: 'expected an email address like name@example.com, got "not-an-email"' }] },
      { line: 4, errors: [{ path: "birthday", message: 'expected a date as YYYY-MM-DD, got "1990-02-30"' }] },
    ]);
    const profile = await store.query("SELECT c.profile FROM customers c JOIN identities i USING (customer_id) WHERE i.value = 'C-1'");
    expect(profile.rows).toEqual([
      { profile: { customer_id: "C-1", email: "one@example.com", country: "IT", consent: { email: true }, favourite_categories: ["dress"], birthday: "1990-04-01" } },
    ]);
    const rejected = await store.query("SELECT source, location FROM rejected_events WHERE source = 'import' ORDER BY rejected_id");
    expect(rejected.rows).toEqual([
      { source: "import", location: "customers.csv:3" },
      { source: "import", location: "customers.csv:4" },
    ]);
    expect(touched.flat()).toHaveLength(1);
  });

  it("imports customers in bulk as row-by-row resolution would: repeats in file order, new keys attached, merges", async () => {
    const before = await store.query<{ customer_id: string }>("SELECT customer_id FROM identities WHERE kind = 'customer_id' AND value = 'C-1'");
    const first = file(
      "bulk-1.csv",
      ["email,loyalty_card,country", "anna@example.com,,IT", ",L-77,FR"].join("\n"),
    );
    expect((await importFile({ ...deps(), file: first, as: "customer" })).rejected).toEqual([]);
    const csv = file(
      "bulk-2.csv",
      [
        "customer_id,email,loyalty_card,country,first_name",
        "C-10,ten@example.com,,IT,Ten",
        "C-1,,L-1,IT,",
        "C-10,,,FR,",
        "C-11,anna@example.com,L-77,DE,Anna",
        "C-12,twelve@example.com,,IT,",
        "C-10,,,,Dieci",
      ].join("\n"),
    );
    // Chunks of two rows: repeats cross chunk boundaries, and the next chunk is read while one is written.
    const result = await importFile({ ...deps(), file: csv, as: "customer", chunkRows: 2 });
    expect(result).toEqual({ rows: 6, imported: 6, rejected: [] });
    const people = await store.query<{ value: string; customer_id: string; profile: Record<string, unknown>; merged: number }>(
      `SELECT i.value, i.customer_id, c.profile, (SELECT count(*) FROM customers m WHERE m.merged_into = c.customer_id) AS merged
       FROM identities i JOIN customers c USING (customer_id) WHERE i.kind = 'customer_id' AND i.value IN ('C-1', 'C-10', 'C-11') ORDER BY i.value`,
    );
    const [one, ten, eleven] = people.rows;
    expect(one?.customer_id).toBe(before.rows[0]?.customer_id);
    expect(ten?.profile).toMatchObject({ customer_id: "C-10", email: "ten@example.com", country: "FR", first_name: "Dieci" });
    // Anna (known by email) and the card holder (known by L-77) were two customers: the row made them one.
    expect(eleven?.profile).toMatchObject({ customer_id: "C-11", email: "anna@example.com", loyalty_card: "L-77", country: "DE", first_name: "Anna" });
    expect(eleven?.merged).toBe(1);
    const keys = await store.query<{ kind: string; value: string; customer_id: string }>(
      "SELECT kind, value, customer_id FROM identities WHERE value IN ('L-1', 'ten@example.com', 'anna@example.com', 'L-77') ",
    );
    expect(keys.rows.sort((a, b) => a.value.localeCompare(b.value))).toEqual([
      { kind: "email", value: "anna@example.com", customer_id: eleven?.customer_id },
      { kind: "loyalty_card", value: "L-1", customer_id: one?.customer_id },
      { kind: "loyalty_card", value: "L-77", customer_id: eleven?.customer_id },
      { kind: "email", value: "ten@example.com", customer_id: ten?.customer_id },
    ]);
    const live = await store.query<{ n: number }>("SELECT count(*) AS n FROM customers WHERE merged_into IS NULL AND profile->>'customer_id' = 'C-10'");
    expect(live.rows).toEqual([{ n: 1 }]);

    // Repeats inside one chunk, of an existing and of a new customer: the later row wins field by field.
    const repeats = file("bulk-3.csv", ["customer_id,country,first_name", "C-10,IT,Zehn", "C-13,IT,Tredici", "C-10,DE,", "C-13,FR,"].join("\n"));
    expect((await importFile({ ...deps(), file: repeats, as: "customer" })).imported).toBe(4);
    const profiles = await store.query<{ profile: Record<string, unknown> }>(
      "SELECT c.profile FROM identities i JOIN customers c USING (customer_id) WHERE i.kind = 'customer_id' AND i.value IN ('C-10', 'C-13') ORDER BY i.value",
    );
    expect(profiles.rows.map((r) => [r.profile.country, r.profile.first_name])).toEqual([
      ["DE", "Zehn"],
      ["FR", "Tredici"],
    ]);
  });

  it("imports events from JSONL in the track shape and flat, idempotently by file and line", async () => {
    const jsonl = file(
      "opens.jsonl",
      [
        JSON.stringify({ userId: "C-1", properties: { message: "m-1" }, timestamp: "2025-01-05T10:00:00Z" }),
        JSON.stringify({ email: "one@example.com", message: "m-2" }),
        "{not json",
        JSON.stringify({ userId: "C-1", properties: { messsage: "m-3" } }),
      ].join("\n"),
    );
    const first = await importFile({ ...deps(), file: jsonl, as: "email_opened" });
    expect(first.imported).toBe(2);
    expect(first.rejected.map((r) => r.line)).toEqual([3, 4]);
    expect(first.rejected[1]?.errors.map((e) => e.path)).toEqual(["properties.message", "properties.messsage"]);
    const again = await importFile({ ...deps(), file: jsonl, as: "email_opened" });
    expect(again.imported).toBe(2);
    const events = await store.query<{ n: number; customers: number }>(
      "SELECT count(*) AS n, count(DISTINCT customer_id) AS customers FROM events WHERE name = 'email_opened'",
    );
    expect(events.rows).toEqual([{ n: 2, customers: 1 }]);
  });

  it("imports catalogue objects from CSV", async () => {
    const csv = file("products.csv", "sku,name,category,price,stock\nP-1,Dress,dress,49.9,3\nP-2,Shoe,shoes,12,many\n");
    const result = await importFile({ ...deps(), file: csv, as: "Product" });
    expect(result.imported).toBe(1);
    expect(result.rejected).toEqual([{ line: 3, errors: [{ path: "stock", message: 'expected a whole number (int), got "many"' }] }]);
    const rows = await store.query("SELECT key, data FROM objects WHERE type = 'Product'");
    expect(rows.rows).toEqual([{ key: "P-1", data: { sku: "P-1", name: "Dress", category: "dress", price: 49.9, stock: 3 } }]);
  });

  it("names what --as accepts when it is neither customer, an event nor an object", async () => {
    await expect(importFile({ ...deps(), file: join(dir, "customers.csv"), as: "purchases" })).rejects.toThrow(/--as purchases: expected customer, an event \(.*purchase/);
  });
});
