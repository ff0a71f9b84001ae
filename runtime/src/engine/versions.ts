/**
 * Publishing: each journey's IR is stored under its hash; when a journey's current version
 * changes, its active enrollments follow the journey's `on new version` policy:
 * drain (stay pinned to the version they entered), migrate (move to the new version at the mapped
 * or same-named step, else stay), restart (end, and start over at the new version's start).
 */
import type { LoadedJourney, LoadedProject } from "../model/project.js";
import type { SqlQueryable, SqlStore } from "../store/port.js";
import { enrollmentId } from "./ids.js";

export interface PublishReport {
  /** Journeys whose current version changed (or that are new), by name. */
  changed: string[];
  migrated: number;
  restarted: number;
  drained: number;
}

export async function publish(store: SqlStore, project: LoadedProject, now: Date): Promise<PublishReport> {
  const report: PublishReport = { changed: [], migrated: 0, restarted: 0, drained: 0 };
  // One transaction for the whole project: a build is published whole or not at all.
  await store.transaction(async (tx) => {
   for (const journey of project.journeys.values()) {
      await tx.query("INSERT INTO journey_versions (journey, version, ir, published_at) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING", [
        journey.name,
        journey.version,
        JSON.stringify(journey.ir),
        now,
      ]);
      const current = await tx.query<{ current_version: string }>("SELECT current_version FROM journeys WHERE journey = $1 FOR UPDATE", [journey.name]);
      const previous = current.rows[0]?.current_version;
      if (previous === journey.version) continue;
      await tx.query(
        `INSERT INTO journeys (journey, current_version, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (journey) DO UPDATE SET current_version = EXCLUDED.current_version, updated_at = EXCLUDED.updated_at`,
        [journey.name, journey.version, now],
      );
      report.changed.push(journey.name);
      if (previous) await moveEnrollments(tx, journey, now, report);
   }
  });
  return report;
}

async function moveEnrollments(tx: SqlQueryable, journey: LoadedJourney, now: Date, report: PublishReport): Promise<void> {
  const policy = journey.ir.onNewVersion;
  const old = await tx.query<{ id: string; node: string | null; version: number; customer_id: string; correlation_key: string; context: unknown; state: string }>(
    "SELECT id, node, version, customer_id, correlation_key, context, state FROM enrollments WHERE journey = $1 AND journey_version <> $2 AND ended_at IS NULL FOR UPDATE",
    [journey.name, journey.version],
  );
  const trace = (id: string, version: number, node: string | null, kind: string, detail: Record<string, unknown>) =>
    tx.query("INSERT INTO enrollment_traces (enrollment_id, enrollment_version, at, node, kind, detail) VALUES ($1, $2, $3, $4, $5, $6::jsonb)", [
      id,
      version,
      now,
      node,
      kind,
      JSON.stringify(detail),
    ]);
  for (const row of old.rows) {
    if (policy.kind === "migrate") {
      const mapped = policy.map.find((m) => m.from === row.node)?.to ?? row.node;
      const target = mapped ? journey.nodes.get(mapped) : undefined;
      if (target) {
        // Same kind of step only: a wait's wake_at and context mean nothing to another kind of step.
        await tx.query("UPDATE enrollments SET journey_version = $2, node = $3, version = version + 1, updated_at = $4, queued_until = NULL WHERE id = $1", [
          row.id,
          journey.version,
          target.id,
          now,
        ]);
        await trace(row.id, row.version + 1, target.id, "migrated", { from: row.node, to: target.id, version: journey.version });
        report.migrated++;
        continue;
      }
      await trace(row.id, row.version, row.node, "drained", { reason: `step ${row.node} has no counterpart in the new version` });
      report.drained++;
    } else if (policy.kind === "restart") {
      await tx.query(
        "UPDATE enrollments SET state = 'exited', ended_at = $2, end_reason = 'restarted on a new version', wake_at = NULL, version = version + 1, updated_at = $2 WHERE id = $1",
        [row.id, now],
      );
      await trace(row.id, row.version + 1, row.node, "exit", { reason: "restarted on a new version" });
      // Parked at the start of the new version, due now: the promoter runs it like any wake-up.
      const fresh = enrollmentId(journey.name, row.customer_id, `restart/${row.id}/${journey.version}`);
      await tx.query(
        `INSERT INTO enrollments (id, journey, journey_version, customer_id, correlation_key, state, node, context, version, wake_at, entered_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7::jsonb, 0, $8, $8, $8) ON CONFLICT DO NOTHING`,
        [fresh, journey.name, journey.version, row.customer_id, row.correlation_key, journey.ir.start, JSON.stringify({ ...(row.context as object), messages: {}, arms: {} }), now],
      );
      report.restarted++;
    } else {
      report.drained++;
    }
  }
}
