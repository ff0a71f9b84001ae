import { EventEmitter } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { compile } from "@journey/compiler";
import type { Build } from "@journey/compiler/ir";
import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../store/postgres.js";
import { eventually, services, uniqueName } from "../testing/services.js";
import { ConfigError, loadProcessConfig, parseProcessConfig, requireServices } from "./config.js";
import { createLogger, REDACTED } from "./logging.js";
import { RuntimeMetrics } from "./metrics.js";
import { runServeCommand } from "./serve.js";
import { runWorkerCommand } from "./worker.js";

const tmp = mkdtempSync(join(tmpdir(), "journey-process-"));

function capture(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = () => chunks.join("");
  return {
    stream,
    text,
    lines: () =>
      text()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("config", () => {
  it("names the file, the key and the problem", () => {
    expect(() => parseProcessConfig({ tickIntervalMs: 5 }, "journey.config.json")).toThrow(/journey\.config\.json: tickIntervalMs: .*50/);
    expect(() => parseProcessConfig({ tick: 1000 }, "j.json")).toThrow(/j\.json: \(top level\): Unrecognized key.*tick/);
  });

  it("refuses a secret in the file and names the variable to use", () => {
    expect(() => parseProcessConfig({ channels: { sms: { authToken: "x" } } }, "j.json")).toThrow(/j\.json: channels\.sms\.authToken: .*JOURNEY_TWILIO_AUTH_TOKEN/);
  });

  it("reads the file and the environment; refuses a bad schema name and missing services", async () => {
    const file = join(tmp, "ok.json");
    writeFileSync(file, JSON.stringify({ writeKeys: ["a"], tickIntervalMs: 250, concurrency: { customers: 8 } }));
    const config = await loadProcessConfig(file, { JOURNEY_WRITE_KEYS: "b, c", JOURNEY_SCHEMA: "crash_1", DATABASE_URL: "postgres://x" });
    expect(config).toMatchObject({ writeKeys: ["a", "b", "c"], tickIntervalMs: 250, customerConcurrency: 8, schema: "crash_1", queuePrefix: "journey", logLevel: "info" });
    expect(() => requireServices(config, "worker")).toThrow(/journey worker: set REDIS_URL/);
    await expect(loadProcessConfig(file, { JOURNEY_SCHEMA: "Bad-Name" })).rejects.toThrow(/JOURNEY_SCHEMA=Bad-Name: .*lower-case/);
    await expect(loadProcessConfig(join(tmp, "missing.json"), {})).rejects.toThrow(ConfigError);
    writeFileSync(join(tmp, "bad.json"), "{ nope");
    await expect(loadProcessConfig(join(tmp, "bad.json"), {})).rejects.toThrow(/bad\.json: not valid JSON/);
  });
});

describe("logging", () => {
  it("writes JSON lines and redacts personal fields at any of the logged depths", () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, base: { process: "test" } });
    logger.info({ email: "mario@example.com", customer: { phone: "+39333", traits: { a: 1 } }, send: { payload: { to: "x@y.z" } }, journey: "welcome" }, "hello");
    const [line] = out.lines();
    expect(line).toMatchObject({ level: "info", msg: "hello", process: "test", journey: "welcome", email: REDACTED, customer: { phone: REDACTED, traits: REDACTED }, send: { payload: { to: REDACTED } } });
    expect(out.text()).not.toContain("mario@example.com");
    expect(out.text()).not.toContain("+39333");
  });
});

describe("metrics", () => {
  it("counts sends and reports steps and a scrape-time figure from its sources", async () => {
    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    metrics.onDelivery({ sendId: "s", channel: "sms", status: "sent" });
    metrics.onDelivery({ sendId: "t", channel: "sms", status: "sent" });
    metrics.onDelivery({ sendId: "u", channel: "email", status: "unknown" });
    metrics.attach({ steps: () => new Map([["welcome", new Map([["a", 3], ["b", 2]])]]) });
    const { body } = await metrics.scrape();
    expect(body).toContain('journey_sends_total{channel="sms",status="sent"} 2');
    expect(body).toContain('journey_sends_total{channel="email",status="unknown"} 1');
    expect(body).toContain('journey_steps_total{journey="welcome"} 5');
  });
});

// ── serve and worker against the real services ───────────────────────────────────────────────

const project = (hookUrl: string): Build => {
  const sources = [
    {
      file: "p.journey",
      text: `customer {
  identified by customer_id
  customer_id text
  email email?
}

/// A ping.
event ping {
  n int
}

/// Answers a ping.
journey answer "Answer" {
  when ping
  entry always
  card: show in_app card
  hook: send webhook hook
}

template card in_app {
  title "Ping {{ trigger.n }}"
  body  "Hello"
}

template hook webhook {
  url  "${hookUrl}"
  body """
    {"n": {{ trigger.n }}}
  """
}
`,
    },
  ];
  const result = compile(sources, { project: "process-test", readFile: () => undefined, sourcePath: (f) => f });
  if (!result.build) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  return result.build;
};

describe.skipIf(services.embeddedOnly)("journey serve and journey worker (PostgreSQL, Redis)", () => {
  const schemas: string[] = [];
  const servers: Server[] = [];
  afterAll(async () => {
    const admin = await openPostgresStore({ connectionString: services.databaseUrl });
    for (const schema of schemas) await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
    for (const server of servers) server.close();
  });

  async function hookReceiver(): Promise<{ url: string; ids: string[] }> {
    const ids: string[] = [];
    const server = createServer((request, response) => {
      ids.push(String(request.headers["webhook-id"]));
      request.resume();
      request.on("end", () => response.writeHead(200).end("ok"));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("no address");
    return { url: `http://127.0.0.1:${address.port}/hook`, ids };
  }

  function env(schema: string): NodeJS.ProcessEnv {
    schemas.push(schema);
    return {
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      JOURNEY_SCHEMA: schema,
      JOURNEY_QUEUE_PREFIX: uniqueName("jq"),
      JOURNEY_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    };
  }

  it("serve: ingests, runs the journey, serves in-app messages, health and metrics; SIGTERM stops it cleanly", async () => {
    const hook = await hookReceiver();
    const err = capture();
    const signals = new EventEmitter();
    let ready!: (urls: string[]) => void;
    const up = new Promise<string[]>((resolve) => {
      ready = resolve;
    });
    const exits: number[] = [];
    const running = runServeCommand(
      { build: project(hook.url), port: 0, host: "127.0.0.1", writeKeys: ["wk"] },
      { stdout: capture().stream, stderr: err.stream, cwd: tmp, env: env(uniqueName("serve_test")) },
      { signals, exit: (code) => exits.push(code), onReady: ({ urls }) => ready(urls) },
    );
    const [base] = await Promise.race([up, running.then((code) => Promise.reject(new Error(`serve exited ${code}: ${err.text()}`)))]);
    const auth = { authorization: `Basic ${Buffer.from("wk:").toString("base64")}` };

    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready200 = await fetch(`${base}/health/ready`);
    expect(ready200.status).toBe(200);
    expect(await ready200.json()).toMatchObject({ ready: true, checks: { postgres: { ok: true }, redis: { ok: true }, migrations: { ok: true } } });

    const posted = await fetch(`${base}/v1/track`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ userId: "c1", event: "ping", properties: { n: 7 }, messageId: "m1" }),
    });
    expect(posted.status).toBe(200);
    const bad = await fetch(`${base}/v1/track`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ userId: "c1", event: "ping", properties: {} }) });
    expect(bad.status).toBe(400);

    let messages: { content: { title?: string } }[] = [];
    await eventually(async () => {
      const response = await fetch(`${base}/v1/in_app/c1?key=customer_id`, { headers: auth });
      messages = ((await response.json()) as { messages: typeof messages }).messages;
      return messages.length === 1 && hook.ids.length === 1;
    }, 20_000);
    expect(messages[0]?.content.title).toBe("Ping 7");
    expect((await fetch(`${base}/v1/in_app/c1?key=customer_id`)).status).toBe(401);
    expect((await fetch(`${base}/v1/in_app/nobody?key=customer_id`, { headers: auth })).status).toBe(404);

    // The API trigger reaches the worker's engine through serve.
    const started = await fetch(`${base}/v1/journeys/answer/start`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ userId: "c2", messageId: "start-c2", properties: { n: 9 } }),
    });
    expect(started.status).toBe(200);
    expect(((await started.json()) as { started: boolean }).started).toBe(true);

    const scraped = await (await fetch(`${base}/metrics`)).text();
    expect(scraped).toContain('journey_events_ingested_total{type="ping",result="accepted"} 1');
    expect(scraped).toContain('journey_events_ingested_total{type="ping",result="rejected"} 1');
    expect(scraped).toContain('journey_sends_total{channel="webhook",status="sent"} 1');
    expect(scraped).toContain('journey_sends_total{channel="in_app",status="sent"} 1');
    expect(scraped).toMatch(/journey_steps_total\{journey="answer"\} [1-9]/);
    expect(scraped).toMatch(/journey_queue_jobs\{queue="journey.customer",state="waiting"\} 0/);
    expect(scraped).toContain("journey_wait_lag_seconds 0");

    signals.emit("SIGTERM");
    expect(await running).toBe(0);
    expect(exits).toEqual([]);
    const logged = err.lines().map((l) => l.msg);
    expect(logged).toContain("serve started");
    expect(logged).toContain("serve stopped");
  });

  it("worker: health on --metrics-port; a second signal exits at once; bad settings exit 2 naming the fix", async () => {
    const err = capture();
    const signals = new EventEmitter();
    let ready!: (urls: string[]) => void;
    const up = new Promise<string[]>((resolve) => {
      ready = resolve;
    });
    const exits: number[] = [];
    const running = runWorkerCommand(
      { build: project("http://127.0.0.1:1/none"), metricsPort: 0 },
      { stdout: capture().stream, stderr: err.stream, cwd: tmp, env: env(uniqueName("worker_test")) },
      { signals, exit: (code) => exits.push(code), onReady: ({ urls }) => ready(urls) },
    );
    const [base] = await Promise.race([up, running.then((code) => Promise.reject(new Error(`worker exited ${code}: ${err.text()}`)))]);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain("journey_ticks_total");
    signals.emit("SIGTERM");
    signals.emit("SIGINT");
    expect(exits).toEqual([130]);
    expect(await running).toBe(0);

    const missing = capture();
    expect(await runWorkerCommand({ build: project("http://127.0.0.1:1/none") }, { stdout: capture().stream, stderr: missing.stream, cwd: tmp, env: {} })).toBe(2);
    expect(missing.text()).toMatch(/journey worker: set DATABASE_URL .* and REDIS_URL/);
    const half = capture();
    expect(
      await runWorkerCommand({ build: project("http://127.0.0.1:1/none") }, { stdout: capture().stream, stderr: half.stream, cwd: tmp, env: { ...env(uniqueName("worker_test")), JOURNEY_TWILIO_ACCOUNT_SID: "AC1" } }),
    ).toBe(2);
    expect(half.text()).toMatch(/sms: account AC1 has no auth token: set JOURNEY_TWILIO_AUTH_TOKEN/);
  });
});
