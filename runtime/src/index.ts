// The runtime's public face. Drivers (pg, PGlite, BullMQ, ioredis) load only when a store or a
// queue is opened, so importing this package costs nothing for a command that never runs journeys.
export { type Clock, SystemClock, systemClock, type Timer, VirtualClock } from "./engine/clock.js";
export { type MigrateOptions, MigrationError, type MigrationReport, migrate } from "./store/migrate.js";
export type { Migration } from "./store/migrations/index.js";
export { openPgliteStore, type PgliteStoreOptions } from "./store/pglite.js";
export {
  type Isolation,
  type QueryResult,
  type Row,
  type SqlQueryable,
  type SqlStore,
  type StoreKind,
  StoreUsageError,
  type TransactionOptions,
} from "./store/port.js";
export { openPostgresStore, type PostgresStoreOptions } from "./store/postgres.js";
export { type BullmqQueueOptions, openBullmqQueue } from "./queue/bullmq.js";
export { InProcessQueue, type InProcessQueueOptions } from "./queue/in-process.js";
export {
  type Backoff,
  type Job,
  type JobCounts,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type JobState,
  PermanentJobError,
  type ProcessOptions,
  type QueueKind,
  type QueueOptions,
  QueueUsageError,
} from "./queue/port.js";
export { checkEvictionPolicy } from "./queue/redis-policy.js";
export { Engine, type EngineOptions, type TickReport, CUSTOMER_QUEUE, DELIVER_QUEUE } from "./engine/engine.js";
export { loadProject, readBuild, type LoadedProject, type LoadedJourney, ProjectLoadError } from "./model/project.js";
export { ingestMessages, type IngestDeps, type IngestResult } from "./ingest/ingest.js";
export { startIngestServer, type IngestServer, type IngestServerOptions } from "./ingest/server.js";
export { importFile, type ImportOptions, type ImportResult } from "./ingest/import.js";
export { ingestObjects } from "./ingest/objects.js";
export { resolveCustomer } from "./identity/resolve.js";
export { mergeCustomers } from "./identity/merge.js";
export { type Channel, ChannelError, type ChannelName, type OutboundMessage } from "./channels/port.js";
export { channelsFromEnv } from "./channels/config.js";
export { logChannels, type LoggedMessage } from "./channels/log.js";
export { deliverBatch, deliverOne, deliveryBatchHandler, deliveryHandler, deliveryJobs, type DeliveryJob, dueDeliveries } from "./delivery/deliver.js";
export { deliveryQueueOptions, RateLimiter } from "./delivery/rate-limit.js";
export { runDev, type DevReport } from "./process/dev.js";
export { replay, advanceTo } from "./process/replay.js";
