/**
 * The catalogue (objects: products, stores …) and the population figures a single customer's
 * conditions need (RFM quintiles). Both are read from PostgreSQL and held in memory, refreshed by
 * the engine's tick, so that conditions evaluate synchronously. Fine up to ~10^5 objects; a bigger
 * catalogue needs lookups pushed into SQL (noted in docs/runtime.md).
 */
import { type Expr, forEachExpr } from "@journey/compiler/ir";
import type { LoadedProject } from "../model/project.js";
import type { SqlQueryable } from "../store/port.js";
import { rfmKey } from "./conditions.js";

export class Catalogue {
  #objects = new Map<string, Map<string, Record<string, unknown>>>();
  #stamp = "";

  lookup(type: string, key: string): Record<string, unknown> | undefined {
    return this.#objects.get(type)?.get(key);
  }

  all(type: string): Iterable<Record<string, unknown>> {
    return this.#objects.get(type)?.values() ?? [];
  }

  /** Reloads when the objects table changed since the last load (cheap otherwise). */
  async refresh(db: SqlQueryable): Promise<void> {
    const { rows } = await db.query<{ stamp: string }>("SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') AS stamp FROM objects");
    const stamp = rows[0]?.stamp ?? "";
    if (stamp === this.#stamp) return;
    const all = await db.query<{ type: string; key: string; data: Record<string, unknown> }>("SELECT type, key, data FROM objects");
    const objects = new Map<string, Map<string, Record<string, unknown>>>();
    for (const row of all.rows) {
      let byKey = objects.get(row.type);
      if (!byKey) objects.set(row.type, (byKey = new Map()));
      byKey.set(row.key, row.data);
    }
    this.#objects = objects;
    this.#stamp = stamp;
  }
}

type Rfm = Extract<Expr, { kind: "rfm" }>;
type Dimension = Rfm["dimension"];

/** Quintile boundaries (20/40/60/80th percentiles) of each RFM expression over all customers. */
export class RfmTable {
  #bounds = new Map<string, Record<Dimension, number[]>>();

  quintile(key: string, dimension: Dimension, raw: number): number {
    const bounds = this.#bounds.get(key)?.[dimension];
    if (!bounds || bounds.length === 0) return 3;
    // Recency is days since the last event: fewer is better.
    const better = dimension === "recency" ? bounds.filter((b) => raw <= b).length : bounds.filter((b) => raw >= b).length;
    return 1 + Math.min(4, better);
  }

  async refresh(db: SqlQueryable, project: LoadedProject, now: Date): Promise<void> {
    const found = new Map<string, Rfm>();
    for (const segment of project.project.segments) collectRfm(segment.predicate, found);
    const bounds = new Map<string, Record<Dimension, number[]>>();
    for (const [key, rfm] of found) {
      const value = rfm.value.kind === "field" && rfm.value.source === "event" ? rfm.value.path : undefined;
      const { rows } = await db.query<{ r: number[] | null; f: number[] | null; m: number[] | null }>(
        `WITH per AS (
           SELECT customer_id,
                  extract(epoch FROM ($2::timestamptz - max(occurred_at))) / 86400 AS recency,
                  count(*)::float8 AS frequency,
                  coalesce(sum(${value ? "(properties #>> $3::text[])::float8" : "0"}), 0) AS monetary
           FROM events WHERE name = $1 AND occurred_at <= $2 GROUP BY customer_id)
         SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency DESC) AS r,
                percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY frequency) AS f,
                percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY monetary) AS m
         FROM per`,
        value ? [rfm.event, now, value] : [rfm.event, now],
      );
      const row = rows[0];
      bounds.set(key, { recency: row?.r ?? [], frequency: row?.f ?? [], monetary: row?.m ?? [] });
    }
    this.#bounds = bounds;
  }
}

function collectRfm(expr: Expr, found: Map<string, Rfm>): void {
  forEachExpr(expr, (e) => {
    if (e.kind === "rfm") found.set(rfmKey(e), e);
  });
}
