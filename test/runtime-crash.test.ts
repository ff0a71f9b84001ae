/**
 * Issue 6's must-hold cases, with the real services and real `journey worker` processes: workers
 * SIGKILLed at random moments, a Redis wipe (FLUSHDB on the test's own Redis database) and a
 * PostgreSQL restart (a private cluster the test starts, so other suites' database is not touched)
 * in the middle of a run. Each ends with every enrollment where it should be, zero duplicate sends
 * counted at the local provider peers, and zero missing sends.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@journey/compiler";
import { Redis } from "ioredis";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../runtime/src/engine/clock.js";
import { ingestMessages } from "../runtime/src/ingest/ingest.js";
import { type LoadedProject, loadProject } from "../runtime/src/model/project.js";
import { queueAcceptedCustomers } from "../runtime/src/process/serve.js";
import { openBullmqQueue } from "../runtime/src/queue/bullmq.js";
import type { JobQueue } from "../runtime/src/queue/port.js";
import type { SqlStore } from "../runtime/src/store/port.js";
import { openPostgresStore } from "../runtime/src/store/postgres.js";
import { services, uniqueName } from "../runtime/src/testing/services.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "compiler/bin/journey.js");
/** The test's own Redis database: FLUSHDB there wipes nothing of other suites. */
const redisUrl = `${services.redisUrl.replace(/\/\d*$/, "")}/5`;
const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/**
 * Customers in the kill case: the issue asks for at least 10,000 (about 5 minutes on a 2-core
 * machine with both services on it). JOURNEY_CRASH_CUSTOMERS=600 makes a quick local run.
 */
const CUSTOMERS = Number(process.env.JOURNEY_CRASH_CUSTOMERS ?? 10_000);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a provider peer received: requests per idempotency key (send id). */
class Peer {
  readonly requests = new Map<string, number>();
  record(key: string): void {
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }
  get total(): number {
    let n = 0;
    for (const c of this.requests.values()) n += c;
    return n;
  }
}

const peers = { email: new Peer(), sms: new Peer(), push: new Peer(), webhook: new Peer() };
const servers: { close(): void }[] = [];
const ports = { sms: 0, push: 0, webhook: 0, smtp: 0 };
const work = mkdtempSync(join(tmpdir(), "journey-crash-"));

async function httpPeer(handle: (request: IncomingMessage, body: string) => { status: number; json: unknown }): Promise<number> {
  const server: Server = createServer((request, response) => {
    request.on("error", () => undefined);
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const answer = handle(request, Buffer.concat(chunks).toString("utf8"));
      response.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.json));
    });
  });
  // Killed workers drop connections mid-request: expected here, not a test failure.
  server.on("clientError", (_error, socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function projectSources(webhookPort: number): { file: string; text: string }[] {
  const hook = `http://127.0.0.1:${webhookPort}`;
  return [
    {
      file: "crash.journey",
      text: `customer {
  identified by customer_id
  customer_id text
  email       email?
  phone       phone?
  push_token  text?
}

/// Starts the fan-out.
event ping {
  n int
}

/// Ends the wait.
event pong {
  n int
}

/// One message on every channel at once, then a wait for the reply.
journey fanout "Fan-out" {
  when ping
  entry always
  mail: send email hello_email
  text: send sms hello_sms
  note: send push hello_push
  hook: send webhook hello_hook
  card: show in_app hello_card
  reply: wait for pong up to 1 day else {
    exit
  }
  thanks: send webhook thanks_hook
}

template hello_email email {
  subject "Hello {{ customer.customer_id }}"
  body    "Ping {{ trigger.n }}"
}

template hello_sms sms {
  body "Ping {{ trigger.n }}"
}

template hello_push push {
  title "Ping"
  body  "Ping {{ trigger.n }}"
}

template hello_hook webhook {
  url  "${hook}/hello"
  body """
    {"customer": "{{ customer.customer_id }}", "n": {{ trigger.n }}}
  """
}

template thanks_hook webhook {
  url  "${hook}/thanks"
  body """
    {"customer": "{{ customer.customer_id }}"}
  """
}

template hello_card in_app {
  title "Ping"
  body  "Ping {{ trigger.n }}"
}
`,
    },
  ];
}

let projectDir = "";
let configFile = "";
let project: LoadedProject;

beforeAll(async () => {
  ports.sms = await httpPeer((request, body) => {
    const key = String(request.headers["i-twilio-idempotency-token"] ?? "");
    peers.sms.record(key);
    return { status: 201, json: { sid: `SM${key.replace(/-/g, "")}`, to: new URLSearchParams(body).get("To") } };
  });
  ports.push = await httpPeer((_request, body) => {
    const key = String((JSON.parse(body) as { message?: { data?: { send_id?: string } } }).message?.data?.send_id ?? "");
    peers.push.record(key);
    return { status: 200, json: { name: `projects/crash/messages/${key}` } };
  });
  ports.webhook = await httpPeer((request) => {
    peers.webhook.record(String(request.headers["webhook-id"] ?? ""));
    return { status: 200, json: { ok: true } };
  });
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const key = /^X-Journey-Send-Id:\s*(\S+)/im.exec(Buffer.concat(chunks).toString("utf8"))?.[1] ?? "";
        peers.email.record(key);
        callback();
      });
    },
  });
  // A worker killed mid-conversation resets its connection: expected here, not a test failure.
  smtp.on("error", () => undefined);
  servers.push(smtp);
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  ports.smtp = (smtp.server.address() as AddressInfo).port;

  projectDir = join(work, "project");
  execFileSync("mkdir", ["-p", projectDir]);
  const sources = projectSources(ports.webhook);
  for (const source of sources) writeFileSync(join(projectDir, source.file), source.text);
  const compiled = compile(sources, { project: "project", readFile: () => undefined, sourcePath: (f) => f });
  if (!compiled.build) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
  project = loadProject(compiled.build);
  configFile = join(work, "journey.config.json");
  // Short send leases so a killed worker's claims are taken over within the test; no rate limits to wait on.
  const fast = { perSecond: 100_000 };
  writeFileSync(
    configFile,
    JSON.stringify({
      tickIntervalMs: 500,
      sendLeaseMs: 3000,
      concurrency: { customers: 16 },
      logLevel: "warn",
      channels: { rateLimits: { email: fast, sms: fast, push: fast, webhook: fast, in_app: fast } },
    }),
  );
});

afterAll(() => {
  for (const server of servers) server.close();
});

/** A set of `journey worker` processes on one schema and queue prefix. */
class Workers {
  readonly procs: (ChildProcess | undefined)[] = [];
  kills = 0;
  readonly log: ReturnType<typeof createWriteStream>;

  constructor(
    readonly name: string,
    readonly env: NodeJS.ProcessEnv,
  ) {
    this.log = createWriteStream(join(work, `${name}.log`));
  }

  start(index: number): void {
    const child = spawn(process.execPath, [bin, "worker", projectDir, "--config", configFile], { env: this.env, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (chunk: Buffer) => this.log.write(`[${index}] ${chunk.toString("utf8")}`));
    this.procs[index] = child;
  }

  async kill(index: number): Promise<void> {
    const child = this.procs[index];
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.kills++;
  }

  async stop(): Promise<number[]> {
    const codes = await Promise.all(
      this.procs.map(async (child) => {
        if (!child || child.exitCode !== null) return child?.exitCode ?? -1;
        const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
        child.kill("SIGTERM");
        return exited;
      }),
    );
    this.log.end();
    return codes;
  }
}

interface Outcome {
  customers: number;
  pongs: number;
  sends: number;
  byStatus: Record<string, number>;
  unknownByChannel: Record<string, number>;
  enrollments: { completed: number; waitingAtReply: number; other: number; customersWithout: number };
  duplicates: Record<string, number>;
  /** Requests repeated with the same key, which the provider drops (sms, webhook). */
  repeatedRequests: Record<string, number>;
  missing: { notSettled: number; sentButNotAtPeer: number; expectedButNoSend: number; atPeerButNoSend: number };
  unknownButDelivered: number;
  seconds: number;
}

interface ScenarioOptions {
  name: string;
  customers: number;
  workers: number;
  databaseUrl: string;
  /** Runs alongside ingestion; resolves when the disruption is over. */
  chaos: (workers: Workers, ingesting: () => boolean) => Promise<void>;
  /** How long to wait for the run to settle after ingestion and chaos. */
  settleMs: number;
}

async function scenario(options: ScenarioOptions): Promise<Outcome> {
  const started = Date.now();
  for (const peer of Object.values(peers)) peer.requests.clear();
  const schema = uniqueName("crash");
  const prefix = uniqueName("crashq");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: options.databaseUrl,
    JOURNEY_SCHEMA: schema,
    REDIS_URL: redisUrl,
    JOURNEY_QUEUE_PREFIX: prefix,
    JOURNEY_SMTP_HOST: "127.0.0.1",
    JOURNEY_SMTP_PORT: String(ports.smtp),
    JOURNEY_EMAIL_FROM: "shop@example.com",
    JOURNEY_TWILIO_ACCOUNT_SID: "ACcrash",
    JOURNEY_TWILIO_AUTH_TOKEN: "token",
    JOURNEY_SMS_FROM: "+15005550006",
    JOURNEY_TWILIO_BASE_URL: `http://127.0.0.1:${ports.sms}`,
    JOURNEY_FCM_PROJECT_ID: "crash",
    JOURNEY_FCM_ACCESS_TOKEN: "token",
    JOURNEY_FCM_BASE_URL: `http://127.0.0.1:${ports.push}`,
    JOURNEY_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
  let store: SqlStore | undefined;
  let queue: JobQueue | undefined;
  const workers = new Workers(options.name, env);
  try {
    for (let i = 0; i < options.workers; i++) workers.start(i);
    // The first worker migrates the schema; ingestion waits for the tables.
    for (;;) {
      try {
        store = await openPostgresStore({ connectionString: options.databaseUrl, schema, pool: { max: 4 } });
        await store.query("SELECT count(*) FROM journey_versions");
        break;
      } catch {
        await store?.close();
        store = undefined;
        await sleep(200);
      }
    }
    queue = await openBullmqQueue({ redisUrl, prefix, warn: () => {} });
    const onAccepted = queueAcceptedCustomers(store, queue);
    const id = (i: number) => `c${String(i).padStart(6, "0")}`;
    let ingesting = true;
    const ingestion = (async () => {
      const batch = 250;
      const deps = { store: store as SqlStore, project, clock: systemClock, onAccepted: (ids: string[]) => onAccepted(ids).catch(() => {}) };
      const send = async (messages: unknown[]) => {
        // A PostgreSQL restart fails a call; the sender retries it (message ids make a repeat a no-op).
        for (;;) {
          try {
            const result = await ingestMessages(deps, messages);
            if (result.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(result.rejected[0])}`);
            return;
          } catch (error) {
            if ((error as Error).message.startsWith("rejected")) throw error;
            await sleep(200);
          }
        }
      };
      for (let start = 0; start < options.customers; start += batch) {
        const messages = [];
        for (let i = start; i < Math.min(options.customers, start + batch); i++) {
          messages.push({ type: "identify", userId: id(i), messageId: `id-${i}`, traits: { email: `${id(i)}@example.com`, phone: `+3933300${String(i).padStart(5, "0")}`, push_token: `tok-${i}` } });
          messages.push({ type: "track", userId: id(i), event: "ping", messageId: `ping-${i}`, properties: { n: i } });
        }
        await send(messages);
      }
      // Pongs for every other customer, after their pings: those enrollments complete, the rest wait.
      for (let start = 0; start < options.customers; start += 2 * batch) {
        const messages = [];
        for (let i = start; i < Math.min(options.customers, start + 2 * batch); i += 2) {
          messages.push({ type: "track", userId: id(i), event: "pong", messageId: `pong-${i}`, properties: { n: i } });
        }
        await send(messages);
      }
      ingesting = false;
    })();
    await Promise.all([ingestion, options.chaos(workers, () => ingesting)]);
    for (let i = 0; i < options.workers; i++) if (workers.procs[i]?.exitCode !== null) workers.start(i);

    const pongs = Math.ceil(options.customers / 2);
    const expectedSends = options.customers * 5 + pongs;
    const db = store;
    const deadline = Date.now() + options.settleMs;
    for (;;) {
      // The test's own watch also loses its connection when PostgreSQL restarts: ask again a second later.
      const watched = await db
        .query<{ unevaluated: number; unsettled: number; sends: number; active: number; completed: number }>(
          `SELECT (SELECT count(*) FROM events WHERE NOT evaluated) AS unevaluated,
                (SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'unknown', 'failed')) AS unsettled,
                (SELECT count(*) FROM outbox) AS sends,
                (SELECT count(*) FROM enrollments WHERE state = 'active') AS active,
                (SELECT count(*) FROM enrollments WHERE state = 'completed') AS completed`,
        )
        .catch((error: unknown) => {
          if (Date.now() > deadline) throw error;
          return { rows: [] };
        });
      const r = watched.rows[0];
      if (r && r.unevaluated === 0 && r.unsettled === 0 && r.active === 0 && r.sends === expectedSends) break;
      if (Date.now() > deadline) break;
      await sleep(1000);
    }

    const statuses = await db.query<{ channel: string; status: string; n: number }>("SELECT channel, status, count(*) AS n FROM outbox GROUP BY 1, 2");
    const byStatus: Record<string, number> = {};
    const unknownByChannel: Record<string, number> = {};
    for (const row of statuses.rows) {
      byStatus[row.status] = (byStatus[row.status] ?? 0) + row.n;
      if (row.status === "unknown") unknownByChannel[row.channel] = row.n;
    }
    const enrollmentRows = await db.query<{ state: string; node: string; n: number }>("SELECT state, node, count(*) AS n FROM enrollments GROUP BY 1, 2");
    const enrollments = { completed: 0, waitingAtReply: 0, other: 0, customersWithout: 0 };
    for (const row of enrollmentRows.rows) {
      if (row.state === "completed") enrollments.completed += row.n;
      else if (row.state === "waiting" && row.node === "reply") enrollments.waitingAtReply += row.n;
      else enrollments.other += row.n;
    }
    const without = await db.query<{ n: number }>(
      "SELECT count(*) AS n FROM customers c WHERE NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.customer_id = c.customer_id)",
    );
    enrollments.customersWithout = without.rows[0]?.n ?? -1;

    const sends = await db.query<{ send_id: string; channel: string; status: string }>("SELECT send_id, channel, status FROM outbox");
    const known = new Set(sends.rows.map((s) => s.send_id));
    const duplicates: Record<string, number> = {};
    const repeatedRequests: Record<string, number> = {};
    let atPeerButNoSend = 0;
    for (const [channel, peer] of Object.entries(peers)) {
      // sms and webhook peers drop a repeated key (Twilio's idempotency token, Standard Webhooks' id):
      // a repeat there is a retry the provider absorbs. Email and push have no key: a repeat is a duplicate.
      const dedupes = channel === "sms" || channel === "webhook";
      let repeats = 0;
      for (const [key, n] of peer.requests) {
        if (!known.has(key)) atPeerButNoSend++;
        if (n > 1) repeats += n - 1;
      }
      duplicates[channel] = dedupes ? 0 : repeats;
      repeatedRequests[channel] = dedupes ? repeats : 0;
    }
    let sentButNotAtPeer = 0;
    let unknownButDelivered = 0;
    for (const send of sends.rows) {
      const peer = send.channel === "in_app" ? undefined : peers[send.channel as keyof typeof peers];
      if (send.status === "sent" && peer && !peer.requests.has(send.send_id)) sentButNotAtPeer++;
      if (send.status === "unknown" && peer?.requests.has(send.send_id)) unknownButDelivered++;
    }
    // Duplicate steps would show as two send ids for one customer and node: the outbox's unique key forbids it.
    const perNode = await db.query<{ n: number }>("SELECT count(*) AS n FROM (SELECT customer_id, node FROM outbox GROUP BY 1, 2 HAVING count(*) > 1) d");
    duplicates.steps = perNode.rows[0]?.n ?? -1;

    return {
      customers: options.customers,
      pongs,
      sends: sends.rows.length,
      byStatus,
      unknownByChannel,
      enrollments,
      duplicates,
      repeatedRequests,
      missing: {
        notSettled: sends.rows.filter((s) => !["sent", "unknown"].includes(s.status)).length,
        sentButNotAtPeer,
        expectedButNoSend: expectedSends - sends.rows.length,
        atPeerButNoSend,
      },
      unknownButDelivered,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    const codes = await workers.stop();
    process.stderr.write(`${options.name}: ${workers.kills} kills; workers exited with ${codes.join(", ")}; logs in ${join(work, `${options.name}.log`)}\n`);
    await queue?.close();
    if (store) {
      await store.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await store.close();
    }
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

function expectNothingLost(outcome: Outcome): void {
  process.stderr.write(`${JSON.stringify(outcome)}\n`);
  expect(outcome.missing).toEqual({ notSettled: 0, sentButNotAtPeer: 0, expectedButNoSend: 0, atPeerButNoSend: 0 });
  expect(outcome.duplicates).toEqual({ email: 0, sms: 0, push: 0, webhook: 0, steps: 0 });
  expect(outcome.enrollments).toEqual({ completed: outcome.pongs, waitingAtReply: outcome.customers - outcome.pongs, other: 0, customersWithout: 0 });
  expect(outcome.byStatus.failed ?? 0).toBe(0);
  // Only channels without an idempotency key may end unknown (docs/channels.md's crash policy).
  expect(Object.keys(outcome.unknownByChannel).filter((c) => c !== "email" && c !== "push")).toEqual([]);
}

describe.skipIf(services.embeddedOnly)("crash-proof runtime (real workers, PostgreSQL, Redis)", () => {
  it(`${CUSTOMERS} customers while workers are SIGKILLed at random moments, at least 20 times`, async () => {
    const outcome = await scenario({
      name: "kills",
      customers: CUSTOMERS,
      workers: 4,
      databaseUrl: services.databaseUrl,
      settleMs: Number(process.env.JOURNEY_CRASH_SETTLE_MS ?? 600_000),
      chaos: async (workers, ingesting) => {
        await sleep(1500);
        while (workers.kills < 22 || ingesting()) {
          const index = Math.floor(Math.random() * workers.procs.length);
          await workers.kill(index);
          workers.start(index);
          await sleep(1000 + Math.random() * 2000);
        }
      },
    });
    expectNothingLost(outcome);
  }, Number(process.env.JOURNEY_CRASH_TIMEOUT_MS ?? 900_000));

  it("a Redis wipe (FLUSHDB) in the middle of a run loses nothing", async () => {
    const outcome = await scenario({
      name: "flush",
      customers: Math.min(CUSTOMERS, 3000),
      workers: 3,
      databaseUrl: services.databaseUrl,
      settleMs: 240_000,
      chaos: async (_workers, ingesting) => {
        await sleep(2500);
        const redis = new Redis(redisUrl);
        await redis.flushdb();
        while (ingesting()) await sleep(200);
        await redis.flushdb();
        redis.disconnect();
      },
    });
    expectNothingLost(outcome);
  }, 360_000);

  it("a PostgreSQL restart in the middle of a run: workers recover by themselves, nothing lost", async () => {
    const cluster = await privateCluster();
    try {
      const outcome = await scenario({
        name: "pg-restart",
        customers: 3000,
        workers: 3,
        databaseUrl: cluster.url,
        settleMs: 240_000,
        chaos: async () => {
          await sleep(2500);
          cluster.restart();
        },
      });
      expectNothingLost(outcome);
    } finally {
      cluster.stop();
    }
  }, 360_000);
});

/**
 * A PostgreSQL cluster of the test's own (initdb as the postgres user), so that restarting it does
 * not break the suites running against the shared server at the same time.
 */
async function privateCluster(): Promise<{ url: string; restart(): void; stop(): void }> {
  const binDir = execFileSync("sh", ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1"]).toString().trim();
  const dir = mkdtempSync(join(tmpdir(), "journey-crash-pg-"));
  chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString()), Number(execFileSync("id", ["-g", "postgres"]).toString()));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const asPostgres = (args: string[]) => execFileSync("runuser", ["-u", "postgres", "--", ...args], { stdio: "ignore" });
  asPostgres([join(binDir, "initdb"), "-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
  const pgctl = (...args: string[]) =>
    asPostgres([join(binDir, "pg_ctl"), "-D", join(dir, "data"), "-l", join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, ...args]);
  pgctl("start");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => pgctl("restart", "-m", "fast"),
    stop: () => {
      try {
        pgctl("stop", "-m", "immediate");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
