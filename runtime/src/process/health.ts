/**
 * Liveness and readiness. Live: the process answers. Ready: PostgreSQL answers, Redis answers and
 * every migration this code knows is applied, each check bounded by a timeout so a hung service
 * makes the probe fail instead of hang. Served on the ingestion port (serve) or --metrics-port.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { migrations } from "../store/migrations/index.js";
import type { SqlQueryable } from "../store/port.js";
import type { JobQueue } from "../queue/port.js";
import type { RuntimeMetrics } from "./metrics.js";

export interface CheckResult {
  ok: boolean;
  /** Why not, or what was found. */
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export interface HealthSources {
  store: SqlQueryable;
  /** Redis is asked through the queue (counts of one queue). */
  queue: JobQueue;
  /** A queue name to ask about. */
  probeQueue: string;
  /** Each check's limit. Default 2000 ms. */
  timeoutMs?: number;
  /** False once shutdown started: a stopping process is not ready for new work. */
  accepting?: () => boolean;
}

async function bounded(what: string, ms: number, run: () => Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `${what} did not answer within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([
      run().catch((error: unknown) => ({ ok: false, detail: `${what}: ${error instanceof Error ? error.message : String(error)}` })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the readiness checks side by side. */
export async function checkReadiness(sources: HealthSources): Promise<Readiness> {
  const ms = sources.timeoutMs ?? 2000;
  const latest = migrations.at(-1)?.version ?? 0;
  const [postgres, redis, schema] = await Promise.all([
    bounded("PostgreSQL", ms, async () => {
      await sources.store.query("SELECT 1");
      return { ok: true, detail: "answers" };
    }),
    bounded("Redis", ms, async () => {
      await sources.queue.counts(sources.probeQueue);
      return { ok: true, detail: "answers" };
    }),
    bounded("migrations", ms, async () => {
      const { rows } = await sources.store.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
      const applied = rows[0]?.version ?? 0;
      return applied >= latest
        ? { ok: true, detail: `schema version ${applied}` }
        : { ok: false, detail: `schema version ${applied}, this runtime needs ${latest}: a process starting with this code applies them (migrate)` };
    }),
  ]);
  const checks: Record<string, CheckResult> = { postgres, redis, migrations: schema };
  if (sources.accepting && !sources.accepting()) checks.shutdown = { ok: false, detail: "shutting down" };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

/** Adds GET /health/live, GET /health/ready and (with metrics) GET /metrics to a Fastify app. */
export function addHealthRoutes(app: FastifyInstance, sources: HealthSources, metrics?: RuntimeMetrics): void {
  app.get("/health/live", async (_request, reply) => reply.code(200).send({ live: true }));
  app.get("/health/ready", async (_request, reply) => {
    const readiness = await checkReadiness(sources);
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
  if (metrics) {
    app.get("/metrics", async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.code(200).header("content-type", contentType).send(body);
    });
  }
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

/** The worker's own small server: health and metrics only (`--metrics-port`). */
export async function startHealthServer(options: { host: string; port: number; sources: HealthSources; metrics?: RuntimeMetrics }): Promise<HealthServer> {
  const app = Fastify({ logger: false });
  addHealthRoutes(app, options.sources, options.metrics);
  const url = await app.listen({ host: options.host, port: options.port });
  return { url, close: () => app.close() };
}
