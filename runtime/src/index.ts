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
