/**
 * `journey worker`: the engine, delivery through the real channels and a tick loop, against
 * PostgreSQL and Redis. Any number of workers on any number of machines share the work: jobs come
 * from Redis, every state change is a compare-and-set in PostgreSQL, and the tick is safe to run
 * everywhere at once (docs/operations.md).
 */
import type { Build } from "@journey/compiler/ir";
import type { DestinationStream } from "pino";
import { ChannelConfigError, type ChannelsConfig, channelsFromEnv, parseChannelsConfig } from "../channels/config.js";
import type { Channel } from "../channels/port.js";
import { DEFAULT_LEASE_MS, deliveryBatchHandler } from "../delivery/deliver.js";
import { rateLimiters } from "../delivery/rate-limit.js";
import { type Clock, systemClock } from "../engine/clock.js";
import { CUSTOMER_QUEUE, DELIVER_QUEUE, Engine, type TickReport } from "../engine/engine.js";
import { type LoadedProject, loadProject } from "../model/project.js";
import { openBullmqQueue } from "../queue/bullmq.js";
import type { Job, JobQueue, QueueOptions } from "../queue/port.js";
import { migrate } from "../store/migrate.js";
import type { SqlStore } from "../store/port.js";
import { openPostgresStore } from "../store/postgres.js";
import { ConfigError, loadProcessConfig, type ProcessConfig, requireServices } from "./config.js";
import { startHealthServer } from "./health.js";
import { createLogger, errorFields, type Logger } from "./logging.js";
import { RuntimeMetrics } from "./metrics.js";

export const WORKER_QUEUES = [CUSTOMER_QUEUE, DELIVER_QUEUE] as const;

/**
 * Queue settings for production. Failed jobs are not kept (retain.failed 0) because the engine's
 * job ids name the work: a kept failed job would make the reconciler's re-add of the same id a
 * no-op and the work would wait until the job was trimmed. PostgreSQL keeps the truth and the log
 * keeps every failure. Ten tries with backoff from 1 s ride out a database restart (≈ 17 min).
 */
export function productionQueueOptions(retain: { completed?: number; failed?: number } | undefined, onFailure: QueueOptions["onFailure"]): QueueOptions {
  return {
    retain: { completed: retain?.completed ?? 1000, failed: retain?.failed ?? 0 },
    defaults: { attempts: 10, backoff: { type: "exponential", delayMs: 1000 } },
    ...(onFailure ? { onFailure } : {}),
  };
}

/** QueueOptions.onFailure that logs a failed try and counts it. */
export function logJobFailures(logger: Logger, metrics?: RuntimeMetrics): NonNullable<QueueOptions["onFailure"]> {
  return (job: Job, error: unknown, willRetry: boolean) => {
    logger.warn({ queue: job.queue, job: job.id, attempt: job.attempt, willRetry, ...errorFields(error) }, "job failed");
    metrics?.jobFailures.inc({ queue: job.queue, retry: willRetry ? "yes" : "no" });
  };
}

export interface WorkerOptions {
  project: LoadedProject;
  store: SqlStore;
  queue: JobQueue;
  clock: Clock;
  channels: ReadonlyMap<string, Channel>;
  channelsConfig?: ChannelsConfig;
  logger: Logger;
  metrics?: RuntimeMetrics;
  /** Default 1000 ms. */
  tickIntervalMs?: number;
  customerConcurrency?: number;
  promoterBatch?: number;
  sendLeaseMs?: number;
}

/** The worker's tuning, as the config file gives it (serve and worker read the same settings). */
export function workerTuning(config: { tickIntervalMs: number; customerConcurrency?: number; promoterBatch?: number; sendLeaseMs?: number }): Pick<
  WorkerOptions,
  "tickIntervalMs" | "customerConcurrency" | "promoterBatch" | "sendLeaseMs"
> {
  return {
    tickIntervalMs: config.tickIntervalMs,
    ...(config.customerConcurrency ? { customerConcurrency: config.customerConcurrency } : {}),
    ...(config.promoterBatch ? { promoterBatch: config.promoterBatch } : {}),
    ...(config.sendLeaseMs ? { sendLeaseMs: config.sendLeaseMs } : {}),
  };
}

export interface RunningWorker {
  engine: Engine;
  /** Ticks run so far (with or without work). */
  readonly ticks: number;
  /** Stops the tick loop and waits for a running tick. The queue, channels and store are closed by the caller, in that order. */
  stopTicking(): Promise<void>;
}

/** Starts the engine with delivery and the tick loop. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { logger, metrics, clock } = options;
  const limits = options.channelsConfig?.rateLimits ?? {};
  const deliver = deliveryBatchHandler({
    store: options.store,
    clock,
    channels: options.channels,
    leaseMs: options.sendLeaseMs ?? DEFAULT_LEASE_MS,
    limiters: rateLimiters(clock, limits),
    onOutcome: (outcome) => {
      metrics?.onDelivery(outcome);
      if (outcome.status === "failed" || outcome.status === "unknown") {
        logger.warn({ send: outcome.sendId, channel: outcome.channel, status: outcome.status, attempts: outcome.attempts, reason: outcome.error }, `send ${outcome.status}`);
      }
    },
  });
  const engine = await Engine.start({
    store: options.store,
    queue: options.queue,
    clock,
    project: options.project,
    deliver,
    ...(options.customerConcurrency ? { concurrency: options.customerConcurrency } : {}),
    ...(options.promoterBatch ? { batchSize: options.promoterBatch } : {}),
  });
  metrics?.attach({ steps: () => engine.stepCounts() });
  if (engine.published) logger.info({ published: engine.published }, "journeys published");

  const interval = options.tickIntervalMs ?? 1000;
  let stopped = false;
  let ticks = 0;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        const report = await engine.tick();
        ticks++;
        metrics?.ticks.inc({ result: "ok" });
        metrics?.woken.inc(report.woke);
        if (hasWork(report)) logger.info({ tick: report }, "tick");
      } catch (error) {
        metrics?.ticks.inc({ result: "failed" });
        logger.error(errorFields(error), "tick failed; the next tick tries again");
      }
      if (stopped) break;
      // Wall-clock pacing of the loop itself, not journey time: the engine reads `clock` for that.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    engine,
    get ticks() {
      return ticks;
    },
    async stopTicking() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}

function hasWork(report: TickReport): boolean {
  return report.woke + report.scheduled + report.requeuedCustomers + report.requeuedSends + report.segmentChecks > 0;
}

// ── The process: services from the environment, signals, shutdown ──────────────────────────

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Where signals come from and how to leave at once (the process by default; tests pass their own). */
export interface ProcessHooks {
  signals?: NodeJS.EventEmitter;
  exit?: (code: number) => void;
  /** Resolves once the process is up (tests). */
  onReady?: (info: { urls: string[] }) => void;
}

/** Opens PostgreSQL (migrated) and the BullMQ queue with the production settings. */
export async function openProductionServices(config: ProcessConfig, command: string, logger: Logger, metrics: RuntimeMetrics): Promise<{ store: SqlStore; queue: JobQueue }> {
  const { databaseUrl, redisUrl } = requireServices(config, command);
  const store = await openPostgresStore({
    connectionString: databaseUrl,
    schema: config.schema,
    onPoolError: (error) => logger.warn(errorFields(error), "postgres connection lost; the pool reconnects on next use"),
  });
  try {
    const report = await migrate(store);
    if (report.applied.length > 0) logger.info({ applied: report.applied, version: report.version }, "migrations applied");
    const queue = await openBullmqQueue({
      redisUrl,
      prefix: config.queuePrefix,
      warn: (message) => logger.warn(message),
      ...productionQueueOptions(config.retain, logJobFailures(logger, metrics)),
    });
    return { store, queue };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Resolves at the first SIGTERM/SIGINT; a second one exits at once (code 130) without waiting for
 * the graceful shutdown that the first started.
 */
export function untilSignal(hooks: ProcessHooks, logger: Logger): Promise<string> {
  const signals = hooks.signals ?? process;
  const exit = hooks.exit ?? ((code: number) => process.exit(code));
  return new Promise((resolve) => {
    let received: string | undefined;
    const on = (signal: string) => () => {
      if (received === undefined) {
        received = signal;
        logger.info({ signal }, "shutting down: finishing running jobs (send the signal again to exit at once)");
        resolve(signal);
      } else {
        logger.warn({ signal }, "second signal: exiting without waiting");
        exit(130);
      }
    };
    signals.on("SIGTERM", on("SIGTERM"));
    signals.on("SIGINT", on("SIGINT"));
  });
}

/** Runs shutdown steps in order, logging (not throwing) a step that fails, so the rest still run. */
export async function shutdownSteps(logger: Logger, steps: readonly [string, () => Promise<unknown>][]): Promise<boolean> {
  let clean = true;
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      clean = false;
      logger.error({ step: what, ...errorFields(error) }, "shutdown step failed");
    }
  }
  return clean;
}

export async function closeChannels(channels: ReadonlyMap<string, Channel>): Promise<void> {
  await Promise.all([...channels.values()].map((c) => c.close?.()));
}

export interface WorkerCommandOptions {
  build: Build;
  /** journey.config.json */
  config?: string;
  /** Health and metrics: GET /health/live, /health/ready, /metrics. */
  metricsPort?: number;
  metricsHost?: string;
}

/** `journey worker`: runs until SIGTERM/SIGINT; exit 0 after a clean shutdown, 2 on bad settings. */
export async function runWorkerCommand(options: WorkerCommandOptions, io: CommandIo, hooks: ProcessHooks = {}): Promise<number> {
  let config: ProcessConfig;
  let channels: Map<string, Channel>;
  let channelsConfig: ChannelsConfig;
  try {
    config = await loadProcessConfig(options.config, io.env);
    requireServices(config, "worker");
    channelsConfig = parseChannelsConfig(config.channels, `${options.config ?? "config"}: channels`);
    channels = channelsFromEnv(io.env, config.channels);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ChannelConfigError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, destination: io.stderr as unknown as DestinationStream, base: { process: "worker" } });
  const metrics = new RuntimeMetrics();
  const project = loadProject(options.build);
  const signalled = untilSignal(hooks, logger);
  const { store, queue } = await openProductionServices(config, "worker", logger, metrics);
  metrics.attach({ queue, queueNames: WORKER_QUEUES, store, now: () => systemClock.now(), onCollectError: (what, error) => logger.warn({ what, ...errorFields(error) }, "metrics: cannot read") });
  let stopping = false;
  const health =
    options.metricsPort === undefined
      ? undefined
      : await startHealthServer({
          host: options.metricsHost ?? "127.0.0.1",
          port: options.metricsPort,
          sources: { store, queue, probeQueue: CUSTOMER_QUEUE, accepting: () => !stopping },
          metrics,
        });
  const worker = await startWorker({
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
  logger.info({ schema: config.schema, queuePrefix: config.queuePrefix, channels: [...channels.keys()], health: health?.url }, "worker started");
  hooks.onReady?.({ urls: health ? [health.url] : [] });
  await signalled;
  stopping = true;
  const clean = await shutdownSteps(logger, [
    ["stop ticking", () => worker.stopTicking()],
    ["finish running jobs", () => queue.close()],
    ["close channels", () => closeChannels(channels)],
    ["close the store", () => store.close()],
    ["close the health server", async () => health?.close()],
  ]);
  logger.info({ clean }, "worker stopped");
  return clean ? 0 : 1;
}
