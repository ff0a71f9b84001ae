// Runtime benchmark: the engine against the real PostgreSQL and Redis, each figure next to a
// baseline measured in the same run on the same services (raw BullMQ no-op jobs/s, raw batched
// INSERTs/s). Figures: journey steps/s end to end, event → send latency at a paced rate, customers
// parked in waits (Redis memory, PostgreSQL bytes each) and how fast they fire when all come due,
// and customer import rows/s.
//
//   npm run bench                      builds (tsc -b), runs the other bench scripts, then this one
//   node bench/runtime.mjs [--waiters=100000] [--park-sample=2000|all] [--fire-seconds=180]
//                          [--steps-customers=5000] [--events=3000] [--rate=1000] [--low-rate=100] [--import-rows=200000]
//                          [--only=baselines,steps,latency,waiters,import] [--profile-queries]
//                          [--database=postgres://postgres@127.0.0.1:5432/test] [--redis=redis://127.0.0.1:6379/5]
//                          [--out=bench/results/runtime.json] [--no-write] [--keep]
//
// `--waiters=1000000` gives the issue's full figure (parking is SQL copies past --park-sample, so it
// costs about a minute more; the wake-up stops at --fire-seconds unless the engine gets there first).
// `--profile-queries` counts statements and their time per section (slower; for finding bottlenecks).
// Each section gets a PostgreSQL schema and a Redis key prefix of its own, dropped at the end unless --keep.
// Goals are reported, never asserted: the exit code is 0 whatever the figures.

import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "./options.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const dist = (path) => pathToFileURL(join(root, path)).href;

// ── Options ─────────────────────────────────────────────────────────────────

const args = parseArgs();
const number = (name, fallback) => {
  const value = Number(args.get(name) ?? fallback);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`bench: --${name} must be a non-negative number, got ${args.get(name)}`);
    process.exit(2);
  }
  return value;
};
const WAITERS = number("waiters", 100_000);
const STEP_CUSTOMERS = number("steps-customers", 5_000);
const EVENTS = number("events", 3_000);
const RATE = number("rate", 1_000);
// A second latency run at this rate (0: none), for the per-event path without a backlog.
const LOW_RATE = number("low-rate", 100);
const IMPORT_ROWS = number("import-rows", 200_000);
// Waiters parked through the engine; the rest are SQL copies of their rows (`--park-sample=all`: every one through the engine).
const PARK_SAMPLE = args.get("park-sample") === "all" ? Number.POSITIVE_INFINITY : number("park-sample", 2_000);
// The wake-up is measured until every waiter has fired or this many seconds have passed.
const FIRE_SECONDS = number("fire-seconds", 180);
const SECTIONS = ["baselines", "steps", "latency", "waiters", "import"];
const only = new Set((args.get("only") ?? SECTIONS.join(",")).split(","));
for (const section of only) {
  if (!SECTIONS.includes(section)) {
    console.error(`bench: unknown section ${section} in --only (expected ${SECTIONS.join(", ")})`);
    process.exit(2);
  }
}
const DATABASE_URL = args.get("database") ?? process.env.JOURNEY_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
// A database index apart from the tests' default (0); keys are per run prefix. INFO memory is server-wide: run on a quiet Redis.
const REDIS_URL = args.get("redis") ?? process.env.JOURNEY_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/5";
const out = join(root, args.get("out") ?? "bench/results/runtime.json");
const write = !args.has("no-write");
const keep = args.has("keep");
// Wraps every store call to count statements: costs some speed, so off unless asked.
const PROFILE_QUERIES = args.has("profile-queries");

/** Reported, never asserted. */
const GOALS = {
  stepsPerSecond: 10_000,
  p99Ms: 100,
  wakeupsPerSecond: 20_000,
  importRowsPerSecond: 100_000,
};

let runtime;
let compiler;
try {
  runtime = await import(dist("runtime/dist/index.js"));
  compiler = await import(dist("compiler/dist/index.js"));
} catch (error) {
  console.error(`bench: runtime/dist or compiler/dist is missing or stale; build first with \`npx tsc -b\` (\`npm run bench\` does): ${error.message}`);
  process.exit(1);
}
const { openPostgresStore, openBullmqQueue, migrate, loadProject, Engine, VirtualClock, SystemClock, ingestMessages, importFile, deliveryBatchHandler } =
  runtime;

const { default: pg } = await import("pg");
const { Redis } = await import("ioredis");
const { Queue, Worker } = await import("bullmq");

// ── Helpers ─────────────────────────────────────────────────────────────────

const RUN_ID = `${process.pid}_${Date.now().toString(36)}`;
const schemas = [];
const prefixes = [];
const opened = [];

const md5Uuid = (text) => {
  const hex = createHash("md5").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
const round = (n, digits = 0) => Number(n.toFixed(digits));
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const ratio = (a, b) => (b > 0 ? round(a / b, 2) : null);
const seconds = (ms) => round(ms / 1000, 2);

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Per statement (first 70 characters): calls and milliseconds, for the engine owner's "where does the time go". */
const queryStats = new Map();
function timedQuery(query) {
  return async (sql, params) => {
    const t = performance.now();
    try {
      return await query(sql, params);
    } finally {
      const key = sql.replace(/\s+/g, " ").trim().slice(0, 70);
      const stat = queryStats.get(key) ?? { calls: 0, ms: 0 };
      stat.calls++;
      stat.ms += performance.now() - t;
      queryStats.set(key, stat);
    }
  };
}

/** The statements run since the last call, most time first (counted only with --profile-queries). */
function takeQueryStats(top = 12) {
  const rows = [...queryStats].sort((a, b) => b[1].ms - a[1].ms);
  const transactions = queryStats.get("(transactions)")?.calls ?? 0;
  const total = rows.reduce((sum, [key, stat]) => (key === "(transactions)" ? sum : sum + stat.calls), 0);
  queryStats.clear();
  return {
    transactions,
    statements: total,
    top: rows.slice(0, top).map(([statement, stat]) => ({ statement, calls: stat.calls, ms: round(stat.ms), avgMs: round(stat.ms / stat.calls, 2) })),
  };
}

function printQueryStats(stats, per, label) {
  console.log(`  queries: ${fmt(stats.transactions)} transactions, ${fmt(stats.statements)} statements (${round(stats.statements / per, 1)} per ${label}); most time:`);
  for (const row of stats.top) console.log(`    ${String(fmt(row.ms)).padStart(8)} ms ${String(fmt(row.calls)).padStart(8)}x ${row.statement}`);
}

async function openStore(name, poolMax = 8) {
  const schema = `bench_${name}_${RUN_ID}`.toLowerCase();
  schemas.push(schema);
  const store = await openPostgresStore({ connectionString: DATABASE_URL, schema, pool: { max: poolMax } });
  opened.push(store);
  if (PROFILE_QUERIES) {
    store.query = timedQuery(store.query.bind(store));
    const transaction = store.transaction.bind(store);
    store.transaction = (fn, options) =>
      timedQuery(() =>
        transaction(
          (tx) => fn({ query: timedQuery(tx.query.bind(tx)), exec: tx.exec.bind(tx), copyRows: tx.copyRows?.bind(tx) }),
          options,
        ),
      )("(transactions)");
  }
  return store;
}

async function openQueue(name, options = {}) {
  const prefix = `bench-${name}-${RUN_ID}`;
  prefixes.push(prefix);
  const queue = await openBullmqQueue({ redisUrl: REDIS_URL, prefix, warn: (m) => console.warn(`  (redis: ${m})`), ...options });
  opened.push(queue);
  return queue;
}

async function redisMemory(redis) {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

async function deleteKeys(redis, prefix) {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** The examples, or a project of our own, compiled in this process (compiler/dist) and loaded as a build. */
function compileProject(sources, readFile = () => undefined) {
  const result = compiler.compile(sources, { project: "bench", readFile, sourcePath: (file) => file });
  if (!result.build) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.file}:${d.range.start.line + 1}: ${d.message}`);
    throw new Error(`bench: the bench project does not compile:\n${errors.join("\n")}`);
  }
  return loadProject(result.build);
}

/**
 * The journeys measured: `bench_steps` takes six steps without waiting (a send, a branch, another
 * send, a list, an end), `bench_latency` sends at once on its event, `bench_wait` parks in a wait.
 */
const PROJECT = `
customer {
  identified by customer_id, email
  customer_id text
  email email?
  country country
  tier "none" | "silver" | "gold" = "none"
  consent {
    email bool = false
  }
}

list stepped

event run_steps {
  n int
}
event ping {
  n int
}
event park {
  n int
}

template step_one email {
  subject "One"
  body "Hello {{ customer.customer_id }}"
}
template step_two email {
  subject "Two"
  body "Again {{ customer.customer_id }}"
}
template pong email {
  subject "Pong"
  body "Pong {{ trigger.n }}"
}
template woke email {
  subject "Woke"
  body "Woke {{ customer.customer_id }}"
}

journey bench_steps "Steps" {
  when run_steps
  entry always
  send email step_one
  if trigger.n >= 0 {
    send email step_two
  } else {
    send email pong
  }
  add to list stepped
}

journey bench_latency "Latency" {
  when ping
  entry always
  send email pong
}

journey bench_wait "Wait" {
  when park
  wait 3 days
  send email woke
}
`;

const project = compileProject([{ file: "bench.journey", text: PROJECT }]);
const BATCH = 500;

/** `n` customers (ids C-<from+i>, with an email) straight into the store, as an import would leave them. */
async function addCustomers(store, n, from = 0, at = new Date()) {
  for (let start = 0; start < n; start += 10_000) {
    const count = Math.min(10_000, n - start);
    await store.query(
      `WITH c AS (
         SELECT g, md5('bench-customer-' || g)::uuid AS id FROM generate_series($1::int, $2::int) AS g)
       , ins AS (
         INSERT INTO customers (customer_id, profile, created_at, updated_at)
         SELECT id, jsonb_build_object('customer_id', 'C-' || g, 'email', 'c' || g || '@example.com', 'country', 'IT', 'tier', 'none', 'consent', jsonb_build_object('email', true)), $3, $3 FROM c)
       INSERT INTO identities (kind, value, customer_id, created_at) SELECT 'customer_id', 'C-' || g, id, $3 FROM c`,
      [from + start, from + start + count - 1, at],
    );
  }
}

const track = (event, i, n, at) => ({ type: "track", event, userId: `C-${i}`, messageId: `${event}-${i}-${RUN_ID}`, properties: { n }, timestamp: at?.toISOString() });

/** Sum of every journey's per-node step counts. */
function totalSteps(engine) {
  let total = 0;
  for (const nodes of engine.stepCounts().values()) for (const n of nodes.values()) total += n;
  return total;
}

const results = {};
const started = performance.now();
const LOAD_AT_START = os.loadavg().map((l) => round(l, 2));

// ── Baselines ───────────────────────────────────────────────────────────────

async function baselines() {
  console.log("\nbaselines (same services, same run)");
  const record = {};
  // Raw BullMQ: no-op jobs added with addBulk, then drained by one worker.
  {
    const JOBS = 20_000;
    const prefix = `bench-raw-${RUN_ID}`;
    prefixes.push(prefix);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue("noop", { connection, prefix });
    const added = performance.now();
    for (let i = 0; i < JOBS; i += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, JOBS - i) }, (_, j) => ({ name: "noop", data: { i: i + j }, opts: { removeOnComplete: 1000, removeOnFail: 1000 } })));
    }
    const addMs = performance.now() - added;
    let done = 0;
    let resolveDone;
    const finished = new Promise((resolve) => {
      resolveDone = resolve;
    });
    const begun = performance.now();
    const worker = new Worker("noop", async () => {}, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix, concurrency: 50 });
    worker.on("completed", () => {
      if (++done === JOBS) resolveDone();
    });
    await finished;
    const runMs = performance.now() - begun;
    await worker.close();
    await queue.close();
    connection.disconnect();
    record.bullmqNoopJobsPerSecond = round(JOBS / (runMs / 1000));
    record.bullmqAddBulkJobsPerSecond = round(JOBS / (addMs / 1000));
    console.log(`  raw BullMQ: ${fmt(record.bullmqNoopJobsPerSecond)} no-op jobs/s (worker concurrency 50); addBulk ${fmt(record.bullmqAddBulkJobsPerSecond)} jobs/s`);
  }
  // Raw PostgreSQL: single-row commits from 8 connections, and batched INSERTs of 500 rows per commit.
  {
    const store = await openStore("raw");
    await store.exec(`CREATE SCHEMA IF NOT EXISTS ${store.schema}; CREATE TABLE raw_rows (id uuid PRIMARY KEY, customer_id uuid NOT NULL, payload jsonb NOT NULL, at timestamptz NOT NULL)`);
    const ROWS = 200_000;
    const payload = JSON.stringify({ channel: "email", subject: "hello" });
    const at = new Date();
    const batchedStart = performance.now();
    for (let i = 0; i < ROWS; i += BATCH) {
      await store.query(
        "INSERT INTO raw_rows (id, customer_id, payload, at) SELECT gen_random_uuid(), gen_random_uuid(), $2::jsonb, $3 FROM generate_series(1, $1::int)",
        [Math.min(BATCH, ROWS - i), payload, at],
      );
    }
    const batchedMs = performance.now() - batchedStart;
    const COMMITS = 20_000;
    const clients = 8;
    const singleStart = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < COMMITS / clients; i++) {
          await store.query("INSERT INTO raw_rows (id, customer_id, payload, at) VALUES (gen_random_uuid(), gen_random_uuid(), $1::jsonb, $2)", [payload, at]);
        }
      }),
    );
    const singleMs = performance.now() - singleStart;
    record.postgresBatchedInsertRowsPerSecond = round(ROWS / (batchedMs / 1000));
    record.postgresSingleRowCommitsPerSecond = round(COMMITS / (singleMs / 1000));
    console.log(`  raw PostgreSQL: ${fmt(record.postgresBatchedInsertRowsPerSecond)} rows/s batched (${BATCH} rows per INSERT and commit); ${fmt(record.postgresSingleRowCommitsPerSecond)} single-row commits/s (8 connections)`);
  }
  results.baselines = record;
}

// ── Engine fixtures ─────────────────────────────────────────────────────────

/** An engine on its own schema and prefix; sends delivered through a log channel whose sink is `onSend`. */
async function startEngine(name, { clock = new SystemClock(), onSend, onDeliverStart, concurrency = 8 } = {}) {
  const store = await openStore(name, concurrency + 4);
  await migrate(store, { clock });
  const queue = await openQueue(name);
  let deliver;
  if (onSend) {
    const channel = { name: "email", idempotent: true, send: async (message, ctx) => (onSend(message, ctx), { providerMessageId: `bench:${ctx.idempotencyKey}` }) };
    const handler = deliveryBatchHandler({ store, clock, channels: new Map([["email", channel]]) });
    deliver = async (job) => {
      for (const id of job.data.sendIds ?? [job.data.sendId]) onDeliverStart?.(id);
      await handler(job);
    };
  }
  const engine = await Engine.start({ store, queue, clock, project, deliver, concurrency });
  return { store, queue, clock, engine };
}

/** Stops a section's workers, so that they do not run on (or compete) in the next section. */
async function stopEngine({ queue, store }) {
  await Promise.allSettled([queue.close()]);
  await Promise.allSettled([store.close()]);
}

async function counts(store, sql, params = []) {
  const { rows } = await store.query(sql, params);
  return rows[0];
}

// ── Steps/s ─────────────────────────────────────────────────────────────────

async function steps() {
  const n = STEP_CUSTOMERS;
  console.log(`\njourney steps/s: ${fmt(n)} customers through bench_steps (trigger, send, branch, send, list, end), delivered to a log channel`);
  let sent = 0;
  const fixture = await startEngine("steps", { onSend: () => sent++ });
  const { store, engine, clock } = fixture;
  await addCustomers(store, n);
  takeQueryStats();
  const before = totalSteps(engine);
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const messages = Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => track("run_steps", i + j, i + j));
    await ingestMessages({ store, project, clock, onAccepted: engine.onAccepted }, messages);
  }
  const ingestMs = performance.now() - t0;
  await engine.settle(600_000);
  const ms = performance.now() - t0;
  const stepsTaken = totalSteps(engine) - before;
  const traced = await counts(store, "SELECT count(*) AS traces FROM enrollment_traces");
  const outbox = await counts(store, "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) AS total FROM outbox");
  const done = await counts(store, "SELECT count(*) FILTER (WHERE state = 'completed') AS completed, count(*) AS total FROM enrollments");
  const record = {
    customers: n,
    steps: stepsTaken,
    traces: traced.traces,
    enrollmentsCompleted: done.completed,
    sends: outbox.total,
    sendsDelivered: outbox.sent,
    seconds: seconds(ms),
    ingestSeconds: seconds(ingestMs),
    stepsPerSecond: round(stepsTaken / (ms / 1000)),
    customersPerSecond: round(n / (ms / 1000)),
    goal: GOALS.stepsPerSecond,
  };
  record.vsBullmqNoop = ratio(record.stepsPerSecond, results.baselines?.bullmqNoopJobsPerSecond ?? 0);
  record.vsSingleRowCommits = ratio(record.customersPerSecond, results.baselines?.postgresSingleRowCommitsPerSecond ?? 0);
  if (PROFILE_QUERIES) record.queries = takeQueryStats();
  results.steps = record;
  console.log(
    `  ${fmt(stepsTaken)} steps (engine stepCounts; ${fmt(traced.traces)} trace rows) for ${fmt(done.completed)}/${fmt(n)} completed enrollments, ${fmt(outbox.sent)}/${fmt(outbox.total)} sends delivered, in ${record.seconds} s (ingest ${record.ingestSeconds} s)`,
  );
  console.log(`  ${fmt(record.stepsPerSecond)} steps/s, ${fmt(record.customersPerSecond)} customers/s  (goal ≥ ${fmt(GOALS.stepsPerSecond)} steps/s; baseline ${fmt(results.baselines?.bullmqNoopJobsPerSecond ?? 0)} BullMQ no-op jobs/s)`);
  if (record.queries) printQueryStats(record.queries, n, "customer");
  await stopEngine(fixture);
  void sent;
}

// ── Event → send latency ────────────────────────────────────────────────────

async function latency(rate, events, key) {
  console.log(`\nlatency: ${fmt(events)} ping events, one per ingestMessages call, paced at ${fmt(rate)}/s; each causes one email`);
  const ingestedAt = new Map();
  const pickedAt = new Map();
  const toOutbox = [];
  const toDelivery = [];
  let resolveAll;
  const all = new Promise((resolve) => {
    resolveAll = resolve;
  });
  const onDeliverStart = (sendId) => {
    if (!pickedAt.has(sendId)) pickedAt.set(sendId, performance.now());
  };
  const onSend = (message) => {
    const now = performance.now();
    const n = Number(/Pong (\d+)/.exec(message.content.body)?.[1]);
    if (n >= events) return;
    const at = ingestedAt.get(n);
    if (at === undefined) return;
    ingestedAt.delete(n);
    toDelivery.push(now - at);
    toOutbox.push((pickedAt.get(message.sendId) ?? now) - at);
    if (toDelivery.length === events) resolveAll();
  };
  const fixture = await startEngine(key, { onSend, onDeliverStart });
  const { store, engine, clock } = fixture;
  // A customer per event (the first 20 warm up), so no event waits behind another of the same customer.
  await addCustomers(store, events + 20);
  const deps = { store, project, clock, onAccepted: engine.onAccepted };
  // Warm-up: templates, statements and connections, outside the measurement.
  for (let i = 0; i < 20; i++) await ingestMessages(deps, [track("ping", events + i, events + i)]);
  await engine.settle(60_000);
  takeQueryStats();
  const t0 = performance.now();
  const pending = [];
  let lateStarts = 0;
  for (let i = 0; i < events; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    else if (wait < -5) lateStarts++;
    ingestedAt.set(i, performance.now());
    pending.push(ingestMessages(deps, [track("ping", i, i)]));
  }
  await Promise.all(pending);
  const sendMs = performance.now() - t0;
  const timeout = setTimeout(() => resolveAll(), 120_000);
  await all;
  clearTimeout(timeout);
  toOutbox.sort((a, b) => a - b);
  toDelivery.sort((a, b) => a - b);
  const record = {
    events,
    ratePerSecond: rate,
    achievedRatePerSecond: round(events / (sendMs / 1000)),
    eventsLateBy5ms: lateStarts,
    measured: toDelivery.length,
    outboxMs: { p50: round(percentile(toOutbox, 50), 1), p99: round(percentile(toOutbox, 99), 1), max: round(toOutbox.at(-1) ?? Number.NaN, 1) },
    deliveredMs: { p50: round(percentile(toDelivery, 50), 1), p99: round(percentile(toDelivery, 99), 1), max: round(toDelivery.at(-1) ?? Number.NaN, 1) },
    goalP99Ms: GOALS.p99Ms,
  };
  if (PROFILE_QUERIES) record.queries = takeQueryStats();
  results[key] = record;
  console.log(`  offered ${fmt(rate)}/s, achieved ${fmt(record.achievedRatePerSecond)}/s; ${fmt(record.measured)}/${fmt(events)} sends seen`);
  console.log(`  event → outbox (committed, picked up by delivery): p50 ${record.outboxMs.p50} ms, p99 ${record.outboxMs.p99} ms, max ${record.outboxMs.max} ms`);
  console.log(`  event → delivered (log channel):                  p50 ${record.deliveredMs.p50} ms, p99 ${record.deliveredMs.p99} ms, max ${record.deliveredMs.max} ms  (goal p99 ≤ ${GOALS.p99Ms} ms)`);
  if (record.queries) printQueryStats(record.queries, events, "event");
  await stopEngine(fixture);
}

// ── Customers parked in waits, and their wake-up ────────────────────────────

async function waiters() {
  const n = WAITERS;
  const sample = Math.min(n, PARK_SAMPLE);
  console.log(
    `\nwaits: ${fmt(n)} customers parked in bench_wait's \`wait 3 days\` (${fmt(sample)} through ingestMessages and the engine, ${fmt(n - sample)} cloned from their rows in SQL), then all due at once`,
  );
  const redis = new Redis(REDIS_URL);
  const clock = new VirtualClock(Date.UTC(2025, 0, 6, 12));
  const memoryBefore = await redisMemory(redis);
  const fixture = await startEngine("waiters", { clock });
  const { store, engine } = fixture;
  const t00 = performance.now();
  await addCustomers(store, n, 0, new Date(clock.now()));
  const customersMs = performance.now() - t00;
  const deps = { store, project, clock, onAccepted: engine.onAccepted };
  takeQueryStats();
  const t0 = performance.now();
  for (let i = 0; i < sample; i += BATCH) {
    await ingestMessages(deps, Array.from({ length: Math.min(BATCH, sample - i) }, (_, j) => track("park", i + j, i + j, new Date(clock.now()))));
    // Keep Redis from holding the whole backlog at once: let the engine catch up every 20,000.
    if ((i + BATCH) % 20_000 === 0) await engine.settle(600_000);
  }
  await engine.settle(3_600_000);
  const parkMs = performance.now() - t0;
  const parkQueries = PROFILE_QUERIES ? takeQueryStats() : undefined;
  // The rest: copies of the engine's own rows for customer 0 (event, enrollment, traces), so they wake as it would.
  const t1 = performance.now();
  const template = md5Uuid("bench-customer-0");
  for (let from = sample; from < n; from += 50_000) {
    const to = Math.min(n, from + 50_000) - 1;
    await store.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO events (message_id, customer_id, name, occurred_at, received_at, properties, evaluated, context)
         SELECT 'park-clone-' || g || '-' || $4, md5('bench-customer-' || g)::uuid, e.name, e.occurred_at, e.received_at, jsonb_build_object('n', g), e.evaluated, e.context
         FROM generate_series($1::int, $2::int) AS g, (SELECT * FROM events WHERE customer_id = $3 AND name = 'park') AS e`,
        [from, to, template, RUN_ID],
      );
      await tx.query(
        `INSERT INTO enrollments (id, journey, journey_version, customer_id, correlation_key, state, node, context, version, wake_at, entered_at, updated_at, ended_at, end_reason, goal_at, queued_until)
         SELECT md5('bench-enrollment-' || g)::uuid, e.journey, e.journey_version, md5('bench-customer-' || g)::uuid, e.correlation_key, e.state, e.node, e.context, e.version, e.wake_at, e.entered_at, e.updated_at, e.ended_at, e.end_reason, e.goal_at, e.queued_until
         FROM generate_series($1::int, $2::int) AS g, (SELECT * FROM enrollments WHERE customer_id = $3 AND journey = 'bench_wait') AS e`,
        [from, to, template],
      );
      await tx.query(
        `INSERT INTO enrollment_traces (enrollment_id, enrollment_version, at, node, kind, detail)
         SELECT md5('bench-enrollment-' || g)::uuid, t.enrollment_version, t.at, t.node, t.kind, t.detail
         FROM generate_series($1::int, $2::int) AS g, (SELECT t.* FROM enrollment_traces t JOIN enrollments e ON e.id = t.enrollment_id WHERE e.customer_id = $3 AND e.journey = 'bench_wait') AS t`,
        [from, to, template],
      );
    });
  }
  const cloneMs = performance.now() - t1;
  await store.exec("ANALYZE");
  const parked = await counts(store, "SELECT count(*) AS n FROM enrollments WHERE state = 'waiting' AND wake_at IS NOT NULL");
  const memoryAfter = await redisMemory(redis);
  const tables = ["customers", "identities", "events", "enrollments", "enrollment_traces", "outbox", "segment_members", "list_members", "scores"];
  const sizes = {};
  for (const table of tables) sizes[table] = (await counts(store, "SELECT pg_total_relation_size($1::regclass) AS bytes", [table])).bytes;
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  const waitingOnly = sizes.enrollments + sizes.enrollment_traces;
  console.log(
    `  ${fmt(n)} customers in ${seconds(customersMs)} s (SQL); ${fmt(sample)} parked through the engine in ${seconds(parkMs)} s (${fmt(sample / (parkMs / 1000))} customers/s); ${fmt(n - sample)} cloned in ${seconds(cloneMs)} s; ${fmt(parked.n)} waiting`,
  );
  if (parkQueries) printQueryStats(parkQueries, sample, "parked customer");
  console.log(
    `  Redis used_memory ${fmt(memoryBefore / 1024)} KiB before, ${fmt(memoryAfter / 1024)} KiB after (${fmt((memoryAfter - memoryBefore) / 1024)} KiB more, retained finished jobs included): waits are rows, not jobs`,
  );
  console.log(
    `  PostgreSQL: ${fmt(total / n)} bytes per waiting customer in all (customer, identity, event, enrollment, traces, indexes); ${fmt(waitingOnly / n)} for the enrollment and its traces`,
  );

  // All due at once: the clock jumps past wake_at; one tick promotes them all, the workers resume them.
  await clock.advance(3 * 86_400_000 + 60_000);
  takeQueryStats();
  const t2 = performance.now();
  const deadline = t2 + FIRE_SECONDS * 1000;
  const tick = await engine.tick();
  const tickMs = performance.now() - t2;
  let completed = 0;
  for (;;) {
    completed = (await counts(store, "SELECT count(*) AS n FROM enrollments WHERE journey = 'bench_wait' AND state = 'completed'")).n;
    if (completed >= n || performance.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const fireMs = performance.now() - t2;
  const wakeQueries = PROFILE_QUERIES ? takeQueryStats() : undefined;
  const record = {
    customers: n,
    parkedThroughEngine: sample,
    cloned: n - sample,
    parked: parked.n,
    parkSeconds: seconds(parkMs),
    parkCustomersPerSecond: round(sample / (parkMs / 1000)),
    cloneSeconds: seconds(cloneMs),
    redisUsedMemoryBytes: { before: memoryBefore, after: memoryAfter, delta: memoryAfter - memoryBefore },
    postgresBytes: sizes,
    postgresBytesPerWaitingCustomer: round(total / n),
    postgresBytesPerWaitingEnrollment: round(waitingOnly / n),
    wake: {
      promoted: tick.woke,
      tickSeconds: seconds(tickMs),
      seconds: seconds(fireMs),
      timeBoxSeconds: FIRE_SECONDS,
      allFired: completed >= n,
      completed,
      firedPerSecond: round(completed / (fireMs / 1000)),
      goal: GOALS.wakeupsPerSecond,
    },
  };
  if (parkQueries) record.parkQueries = parkQueries;
  if (wakeQueries) record.wake.queries = wakeQueries;
  record.wake.vsBullmqNoop = ratio(record.wake.firedPerSecond, results.baselines?.bullmqNoopJobsPerSecond ?? 0);
  results.waiters = record;
  console.log(
    `  wake-up: tick promoted ${fmt(tick.woke)} in ${record.wake.tickSeconds} s; ${fmt(completed)}/${fmt(n)} resumed and finished in ${record.wake.seconds} s${completed < n ? ` (stopped at the ${FIRE_SECONDS} s time box; --fire-seconds)` : ""} = ${fmt(record.wake.firedPerSecond)}/s (goal ≥ ${fmt(GOALS.wakeupsPerSecond)}/s; baseline ${fmt(results.baselines?.bullmqNoopJobsPerSecond ?? 0)} BullMQ no-op jobs/s)`,
  );
  if (wakeQueries) printQueryStats(wakeQueries, Math.max(1, completed), "woken customer");
  // Wake-ups still queued after the time box are abandoned with the schema.
  await stopEngine(fixture);
  redis.disconnect();
}

// ── Import ──────────────────────────────────────────────────────────────────

async function importRows() {
  const n = IMPORT_ROWS;
  console.log(`\nimport: ${fmt(n)} customer rows from CSV (journey import --as customer), new customers then the same file again`);
  const dir = mkdtempSync(join(os.tmpdir(), "journey-bench-import-"));
  const file = join(dir, "customers.csv");
  const lines = ["customer_id,email,country,tier,consent.email"];
  for (let i = 0; i < n; i++) lines.push(`I-${i},i${i}@example.com,${i % 2 ? "IT" : "FR"},${i % 3 ? "none" : "gold"},${i % 2 === 0}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const clock = new VirtualClock(Date.UTC(2025, 0, 6, 12));
  const store = await openStore("import");
  await migrate(store, { clock });
  const run = async () => {
    const t0 = performance.now();
    const result = await importFile({ store, project, clock, file, as: "customer", progress: false });
    return { ms: performance.now() - t0, result };
  };
  const fresh = await run();
  const again = await run();
  const customers = await counts(store, "SELECT count(*) AS n FROM customers");
  rmSync(dir, { recursive: true, force: true });
  const record = {
    rows: n,
    newCustomers: { seconds: seconds(fresh.ms), imported: fresh.result.imported, rejected: fresh.result.rejected.length, rowsPerSecond: round(n / (fresh.ms / 1000)) },
    existingCustomers: { seconds: seconds(again.ms), imported: again.result.imported, rejected: again.result.rejected.length, rowsPerSecond: round(n / (again.ms / 1000)) },
    customersInStore: customers.n,
    goal: GOALS.importRowsPerSecond,
  };
  record.vsBatchedInserts = ratio(record.newCustomers.rowsPerSecond, results.baselines?.postgresBatchedInsertRowsPerSecond ?? 0);
  results.import = record;
  console.log(`  new: ${fmt(record.newCustomers.rowsPerSecond)} rows/s (${record.newCustomers.seconds} s); existing: ${fmt(record.existingCustomers.rowsPerSecond)} rows/s (${record.existingCustomers.seconds} s); ${fmt(customers.n)} customers stored`);
  console.log(`  (goal ≥ ${fmt(GOALS.importRowsPerSecond)} rows/s; baseline ${fmt(results.baselines?.postgresBatchedInsertRowsPerSecond ?? 0)} raw batched INSERT rows/s)`);
}

// ── Run ─────────────────────────────────────────────────────────────────────

let failed;
try {
  if (only.has("baselines")) await baselines();
  if (only.has("steps")) await steps();
  if (only.has("latency")) {
    await latency(RATE, EVENTS, "latency");
    // The same path below saturation: what an event costs when it does not queue behind others.
    if (LOW_RATE > 0) await latency(LOW_RATE, Math.min(EVENTS, LOW_RATE * 10), "latencyLowRate");
  }
  if (only.has("waiters")) await waiters();
  if (only.has("import")) await importRows();
} catch (error) {
  failed = error;
} finally {
  await Promise.allSettled(opened.map((o) => o.close()));
  if (!keep) {
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    const redis = new Redis(REDIS_URL);
    for (const prefix of prefixes) await deleteKeys(redis, prefix);
    redis.disconnect();
  }
}
if (failed) {
  console.error(failed);
  process.exit(1);
}

const totalSeconds = seconds(performance.now() - started);
console.log(`\nruntime bench: ${totalSeconds} s`);
if (write) {
  const record = {
    date: new Date().toISOString(),
    machine: { loadAverageAtStart: LOAD_AT_START, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", memoryGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version, platform: `${os.platform()} ${os.release()}` },
    services: {
      postgres: (await (async () => {
        const c = new pg.Client({ connectionString: DATABASE_URL });
        await c.connect();
        const { rows } = await c.query("SHOW server_version");
        await c.end();
        return rows[0]?.server_version;
      })()),
      redis: await (async () => {
        const r = new Redis(REDIS_URL);
        const info = await r.info("server");
        r.disconnect();
        return /redis_version:(\S+)/.exec(info)?.[1];
      })(),
    },
    options: {
      waiters: WAITERS,
      parkSample: PARK_SAMPLE,
      fireSeconds: FIRE_SECONDS,
      stepsCustomers: STEP_CUSTOMERS,
      events: EVENTS,
      rate: RATE,
      lowRate: LOW_RATE,
      importRows: IMPORT_ROWS,
      profileQueries: PROFILE_QUERIES,
      sections: [...only],
    },
    goals: GOALS,
    method: {
      baselines: "raw BullMQ: 20,000 no-op jobs added with addBulk (1,000 a call), drained by one Worker at concurrency 50; raw PostgreSQL: 200,000 rows in INSERT … SELECT generate_series of 500 rows, one commit each, and 20,000 single-row INSERT commits from 8 connections",
      steps: "customers created in SQL, then one run_steps event each through ingestMessages (500 a call); time until the queues settle; steps = the engine's stepCounts() (trigger, send, if, send, add to list, end = 6 per customer)",
      latency: "one ping event per ingestMessages call, paced at --rate; outbox = when the delivery worker picks the send up (it was committed and queued); delivered = when the log channel is called",
      waiters: "park events through ingestMessages and the engine; bytes = pg_total_relation_size of each table / customers; wake = VirtualClock advanced past wake_at, then engine.tick() and engine.settle() until the queue is idle",
      import: "importFile --as customer of a generated CSV (5 columns), once into an empty store and once again (every row an existing customer)",
    },
    totalSeconds,
    ...results,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${relative(root, out)}`);
}
process.exit(0);
