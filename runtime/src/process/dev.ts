/**
 * `journey dev`: the whole runtime in one process with nothing to install — PGlite, the
 * in-process queue, a virtual clock — replaying the project's sample week and printing what
 * every customer received and how many customers each step saw.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Build } from "@journey/compiler/ir";
import { logChannels, type LoggedMessage } from "../channels/log.js";
import { deliveryBatchHandler } from "../delivery/deliver.js";
import { VirtualClock } from "../engine/clock.js";
import { Engine } from "../engine/engine.js";
import { customerZoneField } from "../engine/time.js";
import { ingestObjects } from "../ingest/objects.js";
import { loadProject } from "../model/project.js";
import { InProcessQueue } from "../queue/in-process.js";
import { migrate } from "../store/migrate.js";
import { openPgliteStore } from "../store/pglite.js";
import type { SqlStore } from "../store/port.js";
import { replay } from "./replay.js";

export interface DevOptions {
  build: Build;
  /** The folder with week.jsonl and objects/*.jsonl. */
  dataDir: string;
  /** Where PGlite keeps its files between runs (reopening is ~10× faster than creating). */
  dbDir: string;
  /** Days of journey time to run after the last message. Default 7. */
  days?: number;
  format?: "text" | "json";
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface DevSend {
  customer: string;
  name: string;
  zone: string;
  at: string;
  deliveredAt: string;
  journey: string;
  node: string;
  channel: string;
  template: string | null;
  to: string;
  text: string;
}

export interface DevReport {
  startupMs: number;
  runMs: number;
  from: string;
  until: string;
  customers: number;
  messages: number;
  rejected: { messageId?: string; errors: { path: string; message: string }[] }[];
  sends: DevSend[];
  steps: Record<string, Record<string, number>>;
  enrollments: Record<string, Record<string, number>>;
}

/** Sample data the command cannot use: the message names the file, the line and the fix. */
export class DevDataError extends Error {
  override name = "DevDataError";
}

async function readJsonLines(file: string): Promise<unknown[]> {
  const text = await readFile(file, "utf8");
  return text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    try {
      return [JSON.parse(line)];
    } catch (error) {
      throw new DevDataError(`${file}:${i + 1}: not JSON (${(error as Error).message}); each line must be one JSON object`);
    }
  });
}

const DAY = 86_400_000;

export async function runDev(options: DevOptions): Promise<DevReport> {
  const started = performance.now();
  const project = loadProject(options.build);
  const weekFile = join(options.dataDir, "week.jsonl");
  if (!existsSync(weekFile)) throw new DevDataError(`no sample data: ${weekFile} is missing (see docs/dev.md for its format)`);
  const messages = await readJsonLines(weekFile);
  const stamps = messages.map((m) => Date.parse(String((m as { timestamp?: unknown }).timestamp))).filter((t) => !Number.isNaN(t));
  if (stamps.length === 0) throw new DevDataError(`${weekFile}: no message has a timestamp; each needs an ISO-8601 "timestamp"`);
  // The week is the ISO week (Monday 00:00 UTC) of the last message; the run goes on `days` after it ends.
  const start = mondayOf(Math.max(...stamps));
  const until = start + 7 * DAY + (options.days ?? 7) * DAY;

  await mkdir(options.dbDir, { recursive: true });
  const store = await openPgliteStore({ dataDir: options.dbDir, schema: "journey_dev" });
  try {
    const clock = new VirtualClock(start);
    await migrate(store, { clock });
    // A clean slate each run: the directory is kept only because reopening it is fast.
    const tables = await store.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'schema_migrations' AND table_type = 'BASE TABLE'",
      [store.schema],
    );
    await store.exec(`TRUNCATE ${tables.rows.map((t) => `"${t.name}"`).join(", ")} RESTART IDENTITY CASCADE`);
    const sink: LoggedMessage[] = [];
    const queue = new InProcessQueue({ clock });
    const deliver = deliveryBatchHandler({ store, clock, channels: logChannels(sink) });
    const engine = await Engine.start({ store, queue, clock, project, deliver });
    const startupMs = performance.now() - started;

    const objectsDir = join(options.dataDir, "objects");
    if (existsSync(objectsDir)) {
      for (const file of (await readdir(objectsDir)).filter((f) => f.endsWith(".jsonl")).sort()) {
        const type = file.replace(/\.jsonl$/, "");
        const result = await ingestObjects({ store, project, clock }, type, await readJsonLines(join(objectsDir, file)), "import");
        const bad = result.rejected[0];
        if (bad) throw new DevDataError(`${join(objectsDir, file)}:${bad.index + 1}: ${bad.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
      }
    }
    const replayed = await replay({ store, project, clock, engine }, messages, until);
    await queue.close();
    const report: DevReport = {
      startupMs: Math.round(startupMs),
      runMs: 0,
      from: new Date(start).toISOString(),
      until: new Date(until).toISOString(),
      customers: await count(store, "SELECT count(*) AS n FROM customers WHERE merged_into IS NULL"),
      messages: replayed.messages,
      rejected: replayed.rejected,
      sends: await sends(store, project),
      // In the order the journey is written.
      steps: Object.fromEntries(
        [...engine.stepCounts()].map(([j, nodes]) => [j, Object.fromEntries((project.journeys.get(j)?.ir.nodes ?? []).filter((n) => nodes.has(n.id)).map((n) => [n.id, nodes.get(n.id) ?? 0]))]),
      ),
      enrollments: await enrollmentStates(store),
    };
    report.runMs = Math.round(performance.now() - started);
    if (options.format === "json") options.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else options.stdout.write(renderReport(report, project.journeys.keys(), (journey, node) => {
      const step = project.journeys.get(journey)?.nodes.get(node);
      return step ? `${step.text} (line ${step.source.start.line})` : undefined;
    }));
    return report;
  } finally {
    await store.close();
  }
}

function mondayOf(ms: number): number {
  const midnight = Math.floor(ms / DAY) * DAY;
  const weekday = (new Date(midnight).getUTCDay() + 6) % 7;
  return midnight - weekday * DAY;
}

async function count(store: SqlStore, sql: string): Promise<number> {
  return (await store.query<{ n: number }>(sql)).rows[0]?.n ?? 0;
}

async function sends(store: SqlStore, project: ReturnType<typeof loadProject>): Promise<DevSend[]> {
  const zoneField = customerZoneField(project.project.schema.customer.fields);
  const { rows } = await store.query<{
    profile: Record<string, unknown>;
    created_at: Date;
    sent_at: Date | null;
    deliver_after: Date;
    channel: string;
    node: string;
    payload: { journey: string; template: string | null; to: string; content: Record<string, unknown> };
  }>(
    `SELECT c.profile, o.created_at, o.sent_at, o.deliver_after, o.channel, o.node, o.payload
     FROM outbox o JOIN customers c ON c.customer_id = o.customer_id ORDER BY coalesce(o.sent_at, o.deliver_after), o.send_id`,
  );
  return rows.map((row) => {
    const p = row.profile;
    const zone = typeof p[zoneField ?? ""] === "string" ? String(p[zoneField ?? ""]) : "UTC";
    const c = row.payload.content;
    const text = String(c.subject ?? c.title ?? (row.channel === "webhook" ? `${c.method ?? "POST"} ${c.url ?? row.payload.to}` : (c.body ?? ""))).replace(/\s+/g, " ");
    return {
      customer: String(p[project.identity[0] ?? "customer_id"] ?? ""),
      name: [p.first_name, p.last_name].filter((v) => typeof v === "string").join(" ") || String(p[project.identity[0] ?? ""] ?? "?"),
      zone,
      at: row.created_at.toISOString(),
      deliveredAt: (row.sent_at ?? row.deliver_after).toISOString(),
      journey: row.payload.journey,
      node: row.node,
      channel: row.channel,
      template: row.payload.template,
      to: row.payload.to,
      text: text.length > 70 ? `${text.slice(0, 69)}…` : text,
    };
  });
}

async function enrollmentStates(store: SqlStore): Promise<Record<string, Record<string, number>>> {
  const { rows } = await store.query<{ journey: string; state: string; n: number }>("SELECT journey, state, count(*) AS n FROM enrollments GROUP BY 1, 2 ORDER BY 1, 2");
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) (out[r.journey] ??= {})[r.state] = r.n;
  return out;
}

function local(iso: string, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone }).format(new Date(iso));
}

/** `describe` gives a step's text (`wait 1 hour`), shown for steps without a label. */
export function renderReport(report: DevReport, journeys: Iterable<string>, describe: (journey: string, node: string) => string | undefined = () => undefined): string {
  const lines: string[] = [];
  lines.push(
    `Replayed ${report.messages} messages for ${report.customers} customers, ${report.from.slice(0, 10)} to ${report.until.slice(0, 10)} (journey time), in ${(report.runMs / 1000).toFixed(1)} s; runtime ready in ${report.startupMs} ms.`,
  );
  if (report.rejected.length > 0) {
    lines.push("", `${report.rejected.length} message(s) rejected:`);
    for (const r of report.rejected) lines.push(`  ${r.messageId ?? "(no messageId)"}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
  }
  lines.push("", "What each customer received (customer's local time):");
  const byCustomer = new Map<string, DevSend[]>();
  for (const send of report.sends) byCustomer.set(`${send.name} (${send.customer}, ${send.zone})`, [...(byCustomer.get(`${send.name} (${send.customer}, ${send.zone})`) ?? []), send]);
  for (const [who, list] of byCustomer) {
    lines.push("", `  ${who}`);
    for (const s of list) {
      const held = s.deliveredAt !== s.at ? ` (decided ${local(s.at, s.zone)}, held by quiet hours)` : "";
      lines.push(`    ${local(s.deliveredAt, s.zone).padEnd(20)} ${s.channel.padEnd(8)} ${(s.template ?? "(inline)").padEnd(24)} ${s.journey}/${s.node}${held}`);
      lines.push(`    ${"".padEnd(20)} ${"".padEnd(8)} “${s.text}”`);
    }
  }
  if (byCustomer.size === 0) lines.push("  (nothing was sent)");
  lines.push("", "Steps taken, per journey and step (customers who passed):");
  for (const journey of journeys) {
    const steps = report.steps[journey] ?? {};
    const states = Object.entries(report.enrollments[journey] ?? {})
      .map(([state, n]) => `${n} ${state}`)
      .join(", ");
    lines.push("", `  ${journey}${states ? `: ${states}` : ": no enrollments"}`);
    for (const [node, n] of Object.entries(steps)) {
      const text = /^[a-z_]+-[0-9a-f]{8,16}$/.test(node) || node.startsWith("journey-") ? describe(journey, node) : undefined;
      const shown = text ? (text.length > 54 ? `${text.slice(0, 40)}…${text.slice(text.lastIndexOf(" ("))}` : text) : node;
      lines.push(`    ${shown.padEnd(56)} ${n}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
