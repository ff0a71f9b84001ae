/**
 * `journey serve`: the ingestion API, in-app messages, health and metrics on one port, and (unless
 * --no-worker) the worker in the same process. Without DATABASE_URL it runs on the embedded store
 * and the in-process queue, for trying the API out on one machine.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type { Build } from "@journey/compiler/ir";
import Fastify, { type FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";
import { ChannelConfigError, type ChannelsConfig, channelsFromEnv, parseChannelsConfig } from "../channels/config.js";
import type { Channel } from "../channels/port.js";
import { systemClock } from "../engine/clock.js";
import { CUSTOMER_QUEUE, queueCustomerEvaluation } from "../engine/engine.js";
import { DEFAULT_LIMITS, startIngestServer } from "../ingest/server.js";
import { type LoadedProject, loadProject } from "../model/project.js";
import { InProcessQueue } from "../queue/in-process.js";
import type { JobQueue } from "../queue/port.js";
import { migrate } from "../store/migrate.js";
import { openPgliteStore } from "../store/pglite.js";
import type { SqlQueryable, SqlStore } from "../store/port.js";
import { ConfigError, loadProcessConfig, type ProcessConfig } from "./config.js";
import { addHealthRoutes } from "./health.js";
import { createLogger, errorFields } from "./logging.js";
import { RuntimeMetrics } from "./metrics.js";
import {
  type CommandIo,
  closeChannels,
  logJobFailures,
  openProductionServices,
  type ProcessHooks,
  productionQueueOptions,
  type RunningWorker,
  shutdownSteps,
  startWorker,
  untilSignal,
  WORKER_QUEUES,
  workerTuning,
} from "./worker.js";

export interface ServeOptions {
  build: Build;
  port: number;
  host: string;
  /** From --write-key; the config file's and JOURNEY_WRITE_KEYS are added. */
  writeKeys: string[];
  /** False with --no-worker: only the API; workers run elsewhere. Default true. */
  worker?: boolean;
  config?: string;
}

/** `journey serve`: runs until SIGTERM/SIGINT. Exit 0 after a clean shutdown, 2 on bad settings. */
export async function runServeCommand(options: ServeOptions, io: CommandIo, hooks: ProcessHooks = {}): Promise<number> {
  let config: ProcessConfig;
  let channelsConfig: ChannelsConfig;
  let channels: Map<string, Channel> = new Map();
  const withWorker = options.worker ?? true;
  try {
    config = await loadProcessConfig(options.config, io.env);
    channelsConfig = parseChannelsConfig(config.channels, `${options.config ?? "config"}: channels`);
    if (withWorker) channels = channelsFromEnv(io.env, config.channels);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ChannelConfigError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const writeKeys = [...new Set([...options.writeKeys, ...config.writeKeys])];
  if (writeKeys.length === 0) {
    io.stderr.write("journey serve: no write key: pass --write-key KEY, set JOURNEY_WRITE_KEYS=key1,key2 or list writeKeys in the config file (senders use it as the Basic-auth user name)\n");
    return 2;
  }
  if (!config.databaseUrl && config.redisUrl) {
    io.stderr.write("journey serve: REDIS_URL is set but DATABASE_URL is not: set DATABASE_URL too (the embedded store is for one process only)\n");
    return 2;
  }
  const logger = createLogger({ level: config.logLevel, destination: io.stderr as unknown as DestinationStream, base: { process: "serve" } });
  const metrics = new RuntimeMetrics();
  const project = loadProject(options.build);
  const signalled = untilSignal(hooks, logger);

  let store: SqlStore;
  let queue: JobQueue;
  if (config.databaseUrl) {
    ({ store, queue } = await openProductionServices(config, "serve", logger, metrics));
  } else {
    logger.warn("DATABASE_URL is not set: using the embedded store in .journey/db and an in-process queue (one process only)");
    store = await openPgliteStore({ dataDir: join(io.cwd, ".journey", "db"), schema: config.schema });
    await migrate(store);
    queue = new InProcessQueue(productionQueueOptions(config.retain, logJobFailures(logger, metrics)));
  }
  metrics.attach({ queue, queueNames: WORKER_QUEUES, store, now: () => systemClock.now(), onCollectError: (what, error) => logger.warn({ what, ...errorFields(error) }, "metrics: cannot read") });

  let worker: RunningWorker | undefined;
  let onAccepted: (ids: readonly string[]) => Promise<void>;
  if (withWorker) {
    worker = await startWorker({
      project,
      store,
      queue,
      clock: systemClock,
      channels,
      channelsConfig,
      logger,
      metrics,
      ...workerTuning(config),
    });
    onAccepted = worker.engine.onAccepted;
  } else {
    onAccepted = queueAcceptedCustomers(store, queue);
  }

  let stopping = false;
  const ingest = await startIngestServer({
    store,
    project,
    clock: systemClock,
    onAccepted: async (ids) => {
      // A failed enqueue is not lost: the events are stored unevaluated and the reconciler finds them.
      await onAccepted(ids).catch((error: unknown) => logger.warn(errorFields(error), "could not queue the customers of accepted events; the reconciler will"));
    },
    writeKeys,
    host: "127.0.0.1",
    port: 0,
    // The API trigger needs the engine: with --no-worker the route answers 501 and says so.
    ...(worker ? { startJourney: (customer: string, journey: string, properties: Record<string, unknown>, requestId: string) => (worker as RunningWorker).engine.startJourney(customer, journey, properties, requestId) } : {}),
  });
  const server = await startPublicServer({
    ingest: ingest.fastify,
    host: options.host,
    port: options.port,
    register: (app) => {
      addHealthRoutes(app, { store, queue, probeQueue: CUSTOMER_QUEUE, accepting: () => !stopping }, metrics);
      addInAppRoutes(app, store, writeKeys);
    },
    onIngested: (url, body, status, answer) => countIngested(metrics, project, url, body, status, answer),
  });
  logger.info({ url: server.url, store: store.kind, queue: queue.kind, worker: withWorker, channels: [...channels.keys()] }, "serve started");
  io.stderr.write(`journey serve: listening on ${server.url} (store: ${store.kind}, queue: ${queue.kind}${withWorker ? "" : ", no worker"})\n`);
  hooks.onReady?.({ urls: [server.url] });

  await signalled;
  stopping = true;
  const clean = await shutdownSteps(logger, [
    ["stop taking requests", () => server.close()],
    ["close the ingestion app", () => ingest.close()],
    ["stop ticking", async () => worker?.stopTicking()],
    ["finish running jobs", () => queue.close()],
    ["close channels", () => closeChannels(channels)],
    ["close the store", () => store.close()],
  ]);
  logger.info({ clean }, "serve stopped");
  return clean ? 0 : 1;
}

/** --no-worker: the engine runs elsewhere, so queue the customers' evaluation as the engine does, for the workers. */
export function queueAcceptedCustomers(store: SqlQueryable, queue: JobQueue): (ids: readonly string[]) => Promise<void> {
  return (ids) => queueCustomerEvaluation(store, queue, ids);
}

const SINGLE_TYPES = new Set(["track", "identify", "page", "screen", "alias"]);

/**
 * Counts one ingestion call's messages by type and outcome, from the request and the API's answer
 * (the ingestion module has no hook for it). A track message counts under its event name when the
 * schema declares it, so the label's values stay bounded.
 */
export function countIngested(metrics: RuntimeMetrics, project: Pick<LoadedProject, "events">, url: string, requestBody: string, status: number, responseBody: string): void {
  const route = /^\/v1\/(track|identify|page|screen|alias|batch|import)$/.exec(url.split("?")[0] ?? "")?.[1];
  if (!route || status === 401) return;
  let messages: unknown[];
  try {
    const body = JSON.parse(requestBody) as { batch?: unknown } | null;
    messages = SINGLE_TYPES.has(route) ? [body] : Array.isArray(body?.batch) ? body.batch : [];
  } catch {
    metrics.eventsIngested.inc({ type: "(malformed)", result: "rejected" });
    return;
  }
  let answer: { success?: boolean; rejected?: { index?: number }[] } = {};
  try {
    answer = JSON.parse(responseBody) as typeof answer;
  } catch {
    // not JSON: counted as refused below
  }
  if (answer.success === undefined) {
    metrics.eventsIngested.inc({ type: "(refused)", result: "rejected" }, Math.max(1, messages.length));
    return;
  }
  const rejected = new Set((answer.rejected ?? []).map((r) => r.index));
  messages.forEach((message, index) => {
    const m = (message ?? {}) as { type?: unknown; event?: unknown };
    const type = SINGLE_TYPES.has(route) ? route : typeof m.type === "string" && SINGLE_TYPES.has(m.type) ? m.type : "(no type)";
    const label = type === "track" ? (typeof m.event === "string" && project.events.has(m.event) ? m.event : "(unknown event)") : type;
    metrics.eventsIngested.inc({ type: label, result: rejected.has(index) ? "rejected" : "accepted" });
  });
}

/**
 * The public server: health, metrics and in-app routes, and every other /v1 call handed to the
 * ingestion app in memory (fastify.inject), because startIngestServer listens before it returns and
 * so takes no routes of ours. The ingestion app itself listens only on an unused loopback port.
 */
export async function startPublicServer(options: {
  ingest: FastifyInstance;
  host: string;
  port: number;
  register: (app: FastifyInstance) => void;
  onIngested?: (url: string, requestBody: string, status: number, responseBody: string) => void;
}): Promise<{ url: string; close(): Promise<void> }> {
  // The ingestion app enforces its own, smaller, per-route limits and answers with its messages.
  const app = Fastify({ logger: false, bodyLimit: 4 * DEFAULT_LIMITS.batchBytes });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  options.register(app);
  app.post("/v1/*", async (request, reply) => {
    const payload = Buffer.isBuffer(request.body) ? request.body : undefined;
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "authorization"]) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const answer = await options.ingest.inject({ method: "POST", url: request.url, headers, ...(payload ? { payload } : {}) });
    options.onIngested?.(request.url, payload?.toString("utf8") ?? "", answer.statusCode, answer.body);
    const type = answer.headers["content-type"];
    if (typeof type === "string") reply.header("content-type", type);
    return reply.code(answer.statusCode).send(answer.rawPayload);
  });
  const url = await app.listen({ host: options.host, port: options.port });
  return { url, close: () => app.close() };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const digest = (key: string) => createHash("sha256").update(key).digest();

/**
 * GET /v1/in_app/:customerId — the customer's in-app messages whose send is `sent` (a message held
 * by quiet hours is not shown early), newest first, not dismissed. The id is the runtime's customer
 * id, or with `?key=<identity key>` a value of that key (e.g. ?key=customer_id). Write-key auth.
 */
export function addInAppRoutes(app: FastifyInstance, store: SqlQueryable, writeKeys: readonly string[]): void {
  const keys = writeKeys.map(digest);
  app.get<{ Params: { customerId: string }; Querystring: { key?: string; limit?: string } }>("/v1/in_app/:customerId", async (request, reply) => {
    const header = request.headers.authorization;
    const user = header?.startsWith("Basic ") ? Buffer.from(header.slice(6), "base64").toString("utf8").split(":")[0] : undefined;
    if (!user) return reply.code(401).send({ error: "missing write key: send it as the Basic auth user name (password empty)" });
    const given = digest(user);
    if (!keys.some((k) => timingSafeEqual(k, given))) return reply.code(401).send({ error: "unknown write key: it is not one of the keys this server accepts" });
    const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return reply.code(400).send({ error: `limit=${request.query.limit}: give a whole number from 1 to 500` });
    const { customerId } = request.params;
    let id: string | undefined;
    if (request.query.key !== undefined) {
      const { rows } = await store.query<{ customer_id: string }>("SELECT customer_id FROM identities WHERE kind = $1 AND value = $2", [request.query.key, customerId]);
      id = rows[0]?.customer_id;
    } else if (UUID.test(customerId)) {
      id = customerId;
    } else {
      return reply.code(400).send({ error: `${JSON.stringify(customerId)} is not a runtime customer id (a uuid): pass ?key=<identity key> to look it up by an identity such as customer_id or email` });
    }
    if (id !== undefined) {
      // A merged visitor's messages live on the survivor.
      const { rows } = await store.query<{ merged_into: string | null }>("SELECT merged_into FROM customers WHERE customer_id = $1", [id]);
      id = rows[0] === undefined ? undefined : (rows[0].merged_into ?? id);
    }
    if (id === undefined) return reply.code(404).send({ error: `no customer ${request.query.key ? `with ${request.query.key} = ` : ""}${JSON.stringify(customerId)}` });
    const { rows } = await store.query<{ send_id: string; content: unknown; created_at: Date; seen_at: Date | null; sent_at: Date | null }>(
      `SELECT m.send_id, m.content, m.created_at, m.seen_at, o.sent_at
         FROM in_app_messages m JOIN outbox o ON o.send_id = m.send_id
        WHERE m.customer_id = $1 AND o.status = 'sent' AND m.dismissed_at IS NULL
        ORDER BY m.created_at DESC, m.send_id LIMIT $2`,
      [id, limit],
    );
    return reply.code(200).send({
      customerId: id,
      messages: rows.map((r) => ({ id: r.send_id, content: r.content, createdAt: r.created_at.toISOString(), sentAt: r.sent_at?.toISOString() ?? null, seenAt: r.seen_at?.toISOString() ?? null })),
    });
  });
}
