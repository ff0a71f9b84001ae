/**
 * The production processes' settings (`journey worker`, `journey serve`): connections and secrets
 * from environment variables, the rest from an optional JSON config file checked with zod.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ChannelConfigError, parseChannelsConfig } from "../channels/config.js";

export const PROCESS_ENV = {
  databaseUrl: "DATABASE_URL",
  redisUrl: "REDIS_URL",
  schema: "JOURNEY_SCHEMA",
  queuePrefix: "JOURNEY_QUEUE_PREFIX",
  writeKeys: "JOURNEY_WRITE_KEYS",
  logLevel: "JOURNEY_LOG_LEVEL",
} as const;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const processConfigSchema = z.strictObject({
  /** Channel settings without secrets: see channels/config.ts (checked there, with its own messages). */
  channels: z.unknown().optional(),
  /** Write keys the ingestion API accepts, besides --write-key and JOURNEY_WRITE_KEYS. */
  writeKeys: z.array(z.string().min(1)).optional(),
  concurrency: z
    .strictObject({
      /** Customers evaluated at once per process. */
      customers: z.int().min(1).max(256).optional(),
    })
    .optional(),
  /** How often the tick (promoter, schedules, reconciler) runs, in ms. Default 1000. */
  tickIntervalMs: z.int().min(50).max(3_600_000).optional(),
  /** Due waits the promoter claims per round. Default 1000. */
  promoterBatch: z.int().min(1).max(100_000).optional(),
  /** How long a claimed send holds its row before another worker may take it over, in ms. Default 60 s. */
  sendLeaseMs: z.int().min(1000).max(3_600_000).optional(),
  /** Finished jobs kept in Redis per queue (their ids still dedupe). Defaults 1000 and 5000. */
  retain: z.strictObject({ completed: z.int().min(0).optional(), failed: z.int().min(0).optional() }).optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
});

export type ProcessConfigFile = z.infer<typeof processConfigSchema>;

export interface ProcessConfig {
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  schema: string;
  queuePrefix: string;
  /** Already validated with parseChannelsConfig. */
  channels: unknown;
  writeKeys: string[];
  customerConcurrency: number | undefined;
  tickIntervalMs: number;
  promoterBatch: number | undefined;
  sendLeaseMs: number | undefined;
  retain: { completed?: number; failed?: number } | undefined;
  logLevel: LogLevel;
}

/** A config file or environment variable that cannot work; the message names the place and the fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Checks a parsed config file; `where` (the file name) starts every message. */
export function parseProcessConfig(raw: unknown, where: string): ProcessConfigFile {
  const parsed = processConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${where}: ${issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)"}: ${issue.message}`);
    throw new ConfigError(problems.join("\n"));
  }
  try {
    parseChannelsConfig(parsed.data.channels ?? {}, `${where}: channels`);
  } catch (error) {
    if (error instanceof ChannelConfigError) throw new ConfigError(error.message);
    throw error;
  }
  return parsed.data;
}

/** Reads the config file (if any) and the environment into one settings object. */
export async function loadProcessConfig(file: string | undefined, env: NodeJS.ProcessEnv): Promise<ProcessConfig> {
  let fromFile: ProcessConfigFile = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new ConfigError(`${file}: cannot read the config file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the --config path`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
    }
    fromFile = parseProcessConfig(raw, file);
  }
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const schema = read(PROCESS_ENV.schema) ?? "journey";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(`${PROCESS_ENV.schema}=${schema}: a schema name must be a plain lower-case identifier (letters, digits, _)`);
  }
  const queuePrefix = read(PROCESS_ENV.queuePrefix) ?? "journey";
  if (queuePrefix.includes(":")) throw new ConfigError(`${PROCESS_ENV.queuePrefix}=${queuePrefix}: may not contain ':' (BullMQ's key separator)`);
  const logLevel = read(PROCESS_ENV.logLevel) ?? fromFile.logLevel ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`${PROCESS_ENV.logLevel}=${logLevel}: use one of ${LOG_LEVELS.join(", ")}`);
  }
  return {
    databaseUrl: read(PROCESS_ENV.databaseUrl),
    redisUrl: read(PROCESS_ENV.redisUrl),
    schema,
    queuePrefix,
    channels: fromFile.channels ?? {},
    writeKeys: [...(fromFile.writeKeys ?? []), ...(read(PROCESS_ENV.writeKeys) ?? "").split(",").map((k) => k.trim()).filter((k) => k.length > 0)],
    customerConcurrency: fromFile.concurrency?.customers,
    tickIntervalMs: fromFile.tickIntervalMs ?? 1000,
    promoterBatch: fromFile.promoterBatch,
    sendLeaseMs: fromFile.sendLeaseMs,
    retain: fromFile.retain,
    logLevel: logLevel as LogLevel,
  };
}

/** Production processes refuse to start without both services, naming the variable to set. */
export function requireServices(config: ProcessConfig, command: string): { databaseUrl: string; redisUrl: string } {
  const missing = [
    config.databaseUrl ? undefined : `${PROCESS_ENV.databaseUrl} (e.g. postgres://user@host:5432/db)`,
    config.redisUrl ? undefined : `${PROCESS_ENV.redisUrl} (e.g. redis://host:6379)`,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0 || !config.databaseUrl || !config.redisUrl) {
    throw new ConfigError(`journey ${command}: set ${missing.join(" and ")}; a production process needs PostgreSQL and Redis (use journey dev for the embedded runtime)`);
  }
  return { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl };
}
