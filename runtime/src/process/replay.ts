/**
 * Replaying timestamped messages through ingestion on a virtual clock: each message is ingested
 * when the clock reaches its timestamp, and the clock stops at every wake-up and every hour
 * between (schedules, quiet hours), so a week of journey time runs in seconds.
 */
import type { VirtualClock } from "../engine/clock.js";
import type { Engine } from "../engine/engine.js";
import { type IngestResult, ingestMessages } from "../ingest/ingest.js";
import type { LoadedProject } from "../model/project.js";
import type { SqlStore } from "../store/port.js";

export interface ReplayDeps {
  store: SqlStore;
  project: LoadedProject;
  clock: VirtualClock;
  engine: Engine;
}

export interface ReplayReport {
  messages: number;
  rejected: { messageId?: string; errors: { path: string; message: string }[] }[];
}

function timestampOf(message: unknown): number | undefined {
  const stamp = (message as { timestamp?: unknown } | null)?.timestamp;
  const ms = typeof stamp === "string" ? Date.parse(stamp) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** Moves the clock to `until` (ms), ticking wherever the engine has work (nextWake). */
export async function advanceTo(deps: ReplayDeps, until: number): Promise<void> {
  const { clock, engine } = deps;
  await engine.tick();
  await engine.settle();
  while (clock.now() < until) {
    const wake = await engine.nextWake();
    const target = wake && wake.getTime() < until ? wake.getTime() : until;
    await clock.advanceTo(target);
    await engine.tick();
    await engine.settle();
  }
}

/**
 * Ingests `messages` in timestamp order: those stamped before the clock's start are history, ingested
 * at once; the rest when the clock reaches them. Then runs the clock to `until`.
 */
export async function replay(deps: ReplayDeps, messages: readonly unknown[], until: number): Promise<ReplayReport> {
  const report: ReplayReport = { messages: messages.length, rejected: [] };
  const ingest = async (batch: unknown[]): Promise<void> => {
    if (batch.length === 0) return;
    const result: IngestResult = await ingestMessages({ store: deps.store, project: deps.project, clock: deps.clock, onAccepted: deps.engine.onAccepted }, batch);
    for (const rejected of result.rejected) report.rejected.push({ ...(rejected.messageId ? { messageId: rejected.messageId } : {}), errors: rejected.errors });
    await deps.engine.settle();
  };
  const ordered = messages.map((m, i) => ({ m, i, at: timestampOf(m) ?? deps.clock.now() })).sort((a, b) => a.at - b.at || a.i - b.i);
  const history = ordered.filter((o) => o.at <= deps.clock.now());
  // History one message at a time: identity merges must see the earlier messages committed.
  for (const { m } of history) await ingest([m]);
  for (const { m, at } of ordered.slice(history.length)) {
    await advanceTo(deps, at);
    await ingest([m]);
  }
  await advanceTo(deps, until);
  return report;
}
