/**
 * The `journey` commands that run journeys (`dev`, `serve`, `import`), loaded by the CLI only when
 * one of them is used. The CLI checks and compiles the project and hands over the build: this
 * package never reads `.journey` source.
 */
import { join } from "node:path";
import type { Build } from "@journey/compiler/ir";
import { systemClock } from "./engine/clock.js";
import { importFile } from "./ingest/import.js";
import { loadProject } from "./model/project.js";
import { DevDataError, renderReport, runDev } from "./process/dev.js";
import { runServeCommand, type ServeOptions } from "./process/serve.js";
import { runWorkerCommand, type WorkerCommandOptions } from "./process/worker.js";
import { migrate } from "./store/migrate.js";
import { openPgliteStore } from "./store/pglite.js";
import type { SqlStore } from "./store/port.js";
import type { CommandIo } from "./process/worker.js";
import { openPostgresStore } from "./store/postgres.js";

export type { CommandIo };

export { renderReport };

/** `journey dev`: the sample week on the embedded runtime. */
export async function dev(options: { build: Build; root: string; data?: string; days?: number; json?: boolean }, io: CommandIo): Promise<number> {
  try {
    await runDev({
    build: options.build,
    dataDir: options.data ?? join(options.root, "data"),
    dbDir: join(io.cwd, ".journey", "dev-db"),
    ...(options.days !== undefined ? { days: options.days } : {}),
    format: options.json ? "json" : "text",
    stdout: io.stdout,
    stderr: io.stderr,
  });
  } catch (error) {
    if (!(error instanceof DevDataError)) throw error;
    io.stderr.write(`journey dev: ${error.message}\n`);
    return 2;
  }
  return 0;
}

/** PostgreSQL when DATABASE_URL is set, else the embedded store in .journey/db. */
async function openStore(io: CommandIo): Promise<SqlStore> {
  const url = io.env.DATABASE_URL;
  const store = url ? await openPostgresStore({ connectionString: url, schema: io.env.JOURNEY_SCHEMA ?? "journey" }) : await openPgliteStore({ dataDir: join(io.cwd, ".journey", "db"), schema: "journey" });
  await migrate(store);
  return store;
}

/** `journey serve`: the ingestion API (and, unless --no-worker, a worker), until SIGINT/SIGTERM. */
export async function serve(options: ServeOptions, io: CommandIo): Promise<number> {
  return runServeCommand(options, io);
}

/** `journey worker`: the engine, delivery and the tick loop against PostgreSQL and Redis, until SIGINT/SIGTERM. */
export async function worker(options: WorkerCommandOptions, io: CommandIo): Promise<number> {
  return runWorkerCommand(options, io);
}

/** `journey import FILE --as customer|EVENT|OBJECT`. Exit 1 when some rows were rejected. */
export async function importCommand(options: { build: Build; file: string; as: string; format?: "csv" | "jsonl" }, io: CommandIo): Promise<number> {
  const project = loadProject(options.build);
  const store = await openStore(io);
  try {
    const result = await importFile({ store, project, clock: systemClock, file: options.file, as: options.as, ...(options.format ? { format: options.format } : {}), progress: io.stderr });
    for (const rejected of result.rejected.slice(0, 50)) {
      io.stderr.write(`${options.file}:${rejected.line}: ${rejected.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}\n`);
    }
    if (result.rejected.length > 50) io.stderr.write(`… and ${result.rejected.length - 50} more rejected rows (all are in the rejected_events table)\n`);
    io.stdout.write(`imported ${result.imported} of ${result.rows} rows from ${options.file} as ${options.as}; ${result.rejected.length} rejected\n`);
    return result.rejected.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
