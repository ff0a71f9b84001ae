import { randomUUID } from "node:crypto";
import { type Clock, VirtualClock } from "../engine/clock.js";
import { Engine, type EngineOptions } from "../engine/engine.js";
import type { LoadedProject } from "../model/project.js";
import { advanceTo } from "../process/replay.js";
import { InProcessQueue } from "../queue/in-process.js";
import type { JobQueue } from "../queue/port.js";
import { migrate } from "../store/migrate.js";
import type { SqlStore } from "../store/port.js";

export interface EngineFixture {
  store: SqlStore;
  queue: JobQueue;
  clock: VirtualClock;
  engine: Engine;
}

/** An engine on a fresh store and queue, on a virtual clock at `start`. */
export async function startEngine(
  store: SqlStore,
  project: LoadedProject,
  start: Date,
  options: { queue?: (clock: Clock) => Promise<JobQueue>; engine?: Partial<EngineOptions> } = {},
): Promise<EngineFixture> {
  const clock = new VirtualClock(start.getTime());
  await migrate(store, { clock });
  const queue = options.queue ? await options.queue(clock) : new InProcessQueue({ clock });
  const engine = await Engine.start({ store, queue, clock, project, ...options.engine });
  return { store, queue, clock, engine };
}

/** A customer row straight into the store (engine tests that do not go through ingestion). */
export async function addCustomer(store: SqlStore, profile: Record<string, unknown>, at: Date, id: string = randomUUID()): Promise<string> {
  await store.query("INSERT INTO customers (customer_id, profile, created_at, updated_at) VALUES ($1, $2::jsonb, $3, $3)", [id, JSON.stringify(profile), at]);
  return id;
}

export async function addEvent(store: SqlStore, customerId: string, name: string, properties: Record<string, unknown>, at: Date, messageId: string = randomUUID()): Promise<void> {
  await store.query(
    "INSERT INTO events (message_id, customer_id, name, occurred_at, received_at, properties) VALUES ($1, $2, $3, $4, $4, $5::jsonb) ON CONFLICT (message_id) DO NOTHING",
    [messageId, customerId, name, at, JSON.stringify(properties)],
  );
}

/** Moves the virtual clock to `until`, stopping wherever the engine has work: days of journey time in milliseconds. */
export async function runUntil(fixture: EngineFixture, until: Date): Promise<void> {
  await advanceTo({ ...fixture, project: fixture.engine.project }, until.getTime());
}

export type SendRow = {
  customer_id: string;
  node: string;
  channel: string;
  status: string;
  payload: { journey: string; template: string | null; to: string; content: Record<string, unknown> };
  created_at: Date;
  deliver_after: Date;
};

export async function outbox(store: SqlStore): Promise<SendRow[]> {
  return (await store.query<SendRow>("SELECT customer_id, node, channel, status, payload, created_at, deliver_after FROM outbox ORDER BY created_at, node")).rows;
}

export async function traces(store: SqlStore, enrollmentId?: string): Promise<{ journey: string; node: string | null; kind: string; detail: Record<string, unknown> }[]> {
  return (
    await store.query<{ journey: string; node: string | null; kind: string; detail: Record<string, unknown> }>(
      `SELECT e.journey, t.node, t.kind, t.detail FROM enrollment_traces t JOIN enrollments e ON e.id = t.enrollment_id
       ${enrollmentId ? "WHERE e.id = $1" : ""} ORDER BY t.at, e.journey, t.trace_id`,
      enrollmentId ? [enrollmentId] : [],
    )
  ).rows;
}
