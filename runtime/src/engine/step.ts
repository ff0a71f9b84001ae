/**
 * Steps an enrollment forward from a node until it waits or ends, inside the customer's
 * transaction: every action's effect (outbox row, profile change, list, tracked event) is written
 * in that transaction, and the enrollment row is saved with a compare-and-set on its version.
 */
import type { Expr, IrEdge, IrNode, Liquid, Recommendation, Wait } from "@journey/compiler/ir";
import type { LoadedJourney } from "../model/project.js";
import { conditionContext } from "./customer.js";
import { type ConditionContext, evaluate, holds } from "./conditions.js";
import { bucket, enrollmentId, sendId, trackedMessageId } from "./ids.js";
import { setPath } from "./profile.js";
import type { Enrollment, Run } from "./run.js";
import { addDuration, customerZoneField, nextTimeOfDay, parseInstant, quietHoursEnd, subtractDuration, zoneName } from "./time.js";

/** A step that cannot go on: the enrollment fails with this reason in its trace (a bug or bad data, never silent). */
export class StepError extends Error {
  override name = "StepError";
}

/** The compare-and-set lost: someone else moved the enrollment; the transaction must roll back. */
export class StaleEnrollmentError extends Error {
  override name = "StaleEnrollmentError";
}

const MAX_STEPS_PER_RUN = 1000;

type Outcome = { go: IrEdge } | { wait: Date | null } | { end: "completed" | "exited"; reason: string };

/** Runs `enrollment` from `nodeId` (executing it) until a wait or an end, then saves it. */
export async function advance(run: Run, enrollment: Enrollment, nodeId: string): Promise<void> {
  const journey = await run.engine.journeyVersion(run.tx, enrollment.journey, enrollment.journeyVersion);
  let current = nodeId;
  for (let guard = 0; ; guard++) {
    if (guard > MAX_STEPS_PER_RUN) throw new StepError(`journey ${journey.name} took more than ${MAX_STEPS_PER_RUN} steps without waiting`);
    const node = journey.nodes.get(current);
    if (!node) throw new StepError(`journey ${journey.name} (version ${journey.version.slice(0, 12)}) has no node ${current}`);
    enrollment.node = node.id;
    run.visited.push([journey.name, node.id]);
    let outcome: Outcome;
    try {
      outcome = await execute(run, journey, enrollment, node);
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      run.trace(enrollment, node.id, "failed", { reason: error.message });
      enrollment.state = "failed";
      enrollment.endReason = error.message;
      enrollment.wakeAt = null;
      break;
    }
    if ("go" in outcome) {
      current = outcome.go.to;
      continue;
    }
    if ("wait" in outcome) {
      enrollment.state = "waiting";
      enrollment.wakeAt = outcome.wait;
      enrollment.context.waitSince = (run.eventTime && run.eventTime < run.now ? run.eventTime : run.now).toISOString();
      run.trace(enrollment, node.id, "wait", outcome.wait ? { until: outcome.wait.toISOString() } : {});
      break;
    }
    enrollment.state = outcome.end;
    enrollment.endReason = outcome.reason;
    enrollment.wakeAt = null;
    run.trace(enrollment, node.id, outcome.end === "completed" ? "complete" : "exit", { reason: outcome.reason });
    break;
  }
  await saveEnrollment(run, enrollment);
}

/** Takes the wait's way out (`event` when the awaited event came, else `timeout`/`next`) and steps on. */
export async function resume(run: Run, enrollment: Enrollment, via: "event" | "timeout", detail: Record<string, unknown> = {}): Promise<void> {
  const journey = await run.engine.journeyVersion(run.tx, enrollment.journey, enrollment.journeyVersion);
  const node = enrollment.node ? journey.nodes.get(enrollment.node) : undefined;
  if (!node) throw new StepError(`enrollment ${enrollment.id} waits at ${enrollment.node}, which journey ${journey.name} does not have`);
  if (node.kind !== "wait") {
    // Parked by a new version (restart) or an entry that starts later: run the node itself.
    enrollment.state = "active";
    enrollment.wakeAt = null;
    await advance(run, enrollment, node.id);
    return;
  }
  const edges = journey.out.get(node.id) ?? [];
  const edge = via === "event" ? edges.find((e) => e.kind === "event") : (edges.find((e) => e.kind === "timeout") ?? edges.find((e) => e.kind === "next"));
  run.trace(enrollment, node.id, via === "event" ? "resumed" : "woke", detail);
  enrollment.state = "active";
  enrollment.wakeAt = null;
  delete enrollment.context.waitSince;
  if (!edge) throw new StepError(`wait ${node.id} of journey ${journey.name} has no ${via} edge`);
  await advance(run, enrollment, edge.to);
}

/** Ends an enrollment where it stands (an `exit when`, a merge, a restart). */
export async function endEnrollment(run: Run, enrollment: Enrollment, reason: string): Promise<void> {
  enrollment.state = "exited";
  enrollment.endReason = reason;
  enrollment.wakeAt = null;
  run.trace(enrollment, enrollment.node, "exit", { reason });
  await saveEnrollment(run, enrollment);
}

export async function saveEnrollment(run: Run, enrollment: Enrollment): Promise<void> {
  const ended = enrollment.state === "completed" || enrollment.state === "exited" || enrollment.state === "failed";
  const next = enrollment.version + 1;
  const saved = await run.tx.query(
    `UPDATE enrollments SET state = $3, node = $4, context = $5::jsonb, version = $6, wake_at = $7, updated_at = $8,
       ended_at = $9, end_reason = $10, goal_at = $11, queued_until = NULL, journey_version = $12
     WHERE id = $1 AND version = $2`,
    [
      enrollment.id,
      enrollment.version,
      enrollment.state,
      enrollment.node,
      JSON.stringify(enrollment.context),
      next,
      enrollment.wakeAt,
      run.now,
      ended ? run.now : null,
      ended ? enrollment.endReason : null,
      enrollment.goalAt,
      enrollment.journeyVersion,
    ],
  );
  if (saved.rowCount !== 1) throw new StaleEnrollmentError(`enrollment ${enrollment.id} moved on past version ${enrollment.version}`);
  const mine = run.traces.filter((t) => t.enrollmentId === enrollment.id);
  if (mine.length > 0) {
    run.traces.splice(0, run.traces.length, ...run.traces.filter((t) => t.enrollmentId !== enrollment.id));
    // One statement for the step's whole trace, in order (trace_id follows the row order).
    await run.tx.query(
      `INSERT INTO enrollment_traces (enrollment_id, enrollment_version, at, node, kind, detail)
       SELECT $1, $2, $3, t.node, t.kind, t.detail
       FROM ROWS FROM (jsonb_to_recordset($4::jsonb) AS (node text, kind text, detail jsonb)) WITH ORDINALITY AS t(node, kind, detail, n) ORDER BY t.n`,
      [enrollment.id, next, run.now, JSON.stringify(mine.map((t) => ({ node: t.node, kind: t.kind, detail: t.detail })))],
    );
  }
  enrollment.version = next;
  if (ended) run.enrollments.delete(enrollment.id);
  else run.enrollments.set(enrollment.id, enrollment);
}

function contextFor(run: Run, enrollment: Enrollment, extras: { object?: Record<string, unknown> } = {}): ConditionContext {
  return conditionContext(run.project, run.engine.population, run.customer, run.now, {
    trigger: enrollment.context.trigger,
    messages: enrollment.context.messages,
    ...extras,
  });
}

function only(journey: LoadedJourney, node: IrNode, kind: IrEdge["kind"]): IrEdge {
  const edge = (journey.out.get(node.id) ?? []).find((e) => e.kind === kind);
  if (!edge) throw new StepError(`step ${node.id} of journey ${journey.name} has no ${kind} edge`);
  return edge;
}

async function execute(run: Run, journey: LoadedJourney, enrollment: Enrollment, node: IrNode): Promise<Outcome> {
  const edges = journey.out.get(node.id) ?? [];
  const next = (): Outcome => ({ go: only(journey, node, "next") });
  switch (node.kind) {
    case "start":
      run.trace(enrollment, node.id, "enter", { cause: enrollment.context.cause });
      return next();
    case "end":
      return { end: "completed", reason: "reached the end" };
    case "exit":
      return { end: "exited", reason: `exit step ${node.id}` };
    case "send": {
      const template = node.template ? run.project.templates.get(node.template) : undefined;
      const parts = template?.parts ?? (node.message ? { body: node.message } : undefined);
      if (!parts) throw new StepError(`send ${node.id}: template ${node.template ?? "(inline)"} is not in the build`);
      await send(run, enrollment, node, node.channel, node.template ?? null, parts, node.alias);
      return next();
    }
    case "notify": {
      const template = run.project.templates.get(node.template);
      if (!template) throw new StepError(`notify ${node.id}: template ${node.template} is not in the build`);
      await send(run, enrollment, node, template.channel, template.name, template.parts, undefined);
      return next();
    }
    case "show": {
      const template = node.template ? run.project.templates.get(node.template) : undefined;
      const parts = { ...(template?.parts ?? {}), ...node.parts, ...(node.message ? { body: node.message } : {}) };
      const recommendations = node.recommendations.flatMap((r) => recommend(run, enrollment, r));
      await send(run, enrollment, node, "in_app", node.template ?? null, parts, undefined, recommendations);
      return next();
    }
    case "wait": {
      const wakeAt = await wakeTime(run, enrollment, node.wait);
      if (wakeAt && wakeAt <= run.now && node.wait.kind !== "event") {
        run.trace(enrollment, node.id, "passed", { until: wakeAt.toISOString() });
        return { go: edges.find((e) => e.kind === "next") ?? only(journey, node, "timeout") };
      }
      return { wait: wakeAt };
    }
    case "if": {
      const ctx = contextFor(run, enrollment);
      const taken = edges.find((e) => e.kind === "branch" && holds(e.condition, ctx)) ?? edges.find((e) => e.kind === "else" || e.kind === "next");
      if (!taken) throw new StepError(`if ${node.id} of journey ${journey.name}: no branch holds and there is no else`);
      run.trace(enrollment, node.id, "branch", { took: "text" in taken ? taken.text : "next", to: taken.to });
      return { go: taken };
    }
    case "match": {
      const value = evaluate(node.subject, contextFor(run, enrollment));
      const taken =
        edges.find((e) => e.kind === "case" && e.values.some((v) => v.value === value)) ?? edges.find((e) => e.kind === "else" || e.kind === "next");
      if (!taken) throw new StepError(`match ${node.id}: no case for ${JSON.stringify(value)} and no else`);
      run.trace(enrollment, node.id, "branch", { value: value ?? null, took: "text" in taken ? taken.text : "next", to: taken.to });
      return { go: taken };
    }
    case "split": {
      const arm = pickArm(edges, `${enrollment.customerId}/${journey.name}/${node.id}`);
      enrollment.context.arms[node.id] = armName(arm);
      run.trace(enrollment, node.id, "arm", { arm: armName(arm), to: arm.to });
      return { go: arm };
    }
    case "holdout": {
      const control = only(journey, node, "control") as Extract<IrEdge, { kind: "control" }>;
      if (bucket(`${enrollment.customerId}/${journey.name}/${node.id}/holdout`) < control.percent) {
        enrollment.context.arms[node.id] = "control";
        run.trace(enrollment, node.id, "holdout", { percent: control.percent });
        return { end: "completed", reason: `held out (${control.percent}% control group)` };
      }
      return next();
    }
    case "experiment": {
      const arm = await experimentArm(run, journey, enrollment, node);
      enrollment.context.arms[node.id] = armName(arm);
      run.trace(enrollment, node.id, "arm", { arm: armName(arm), to: arm.to });
      return { go: arm };
    }
    case "set": {
      const value = evaluate(node.value, contextFor(run, enrollment));
      run.customer.setProfile(setPath(run.customer.profile, node.field, value));
      run.trace(enrollment, node.id, "set", { field: node.field.join("."), value: value ?? null });
      return next();
    }
    case "list": {
      if (node.operation === "add") run.customer.addToList(node.list);
      else run.customer.removeFromList(node.list);
      run.trace(enrollment, node.id, node.operation === "add" ? "list_add" : "list_remove", { list: node.list });
      return next();
    }
    case "track": {
      const ctx = contextFor(run, enrollment);
      const properties = Object.fromEntries(node.properties.map((p) => [p.name, evaluate(p.value, ctx) ?? null]));
      const messageId = trackedMessageId(enrollment.id, node.id, enrollment.version);
      const inserted = await run.tx.query(
        `INSERT INTO events (message_id, customer_id, name, occurred_at, received_at, properties, context)
         VALUES ($1, $2, $3, $4, $4, $5::jsonb, $6::jsonb) ON CONFLICT (message_id) DO NOTHING`,
        [messageId, run.customer.id, node.event, run.now, JSON.stringify(properties), JSON.stringify({ journey: journey.name, node: node.id })],
      );
      run.tracked += inserted.rowCount;
      run.trace(enrollment, node.id, "track", { event: node.event, messageId });
      return next();
    }
    case "start_journey": {
      const started = await enroll(run, node.journey, `journey:${journey.name}`, {}, enrollmentId(node.journey, run.customer.id, `start/${enrollment.id}/${node.id}`));
      run.trace(enrollment, node.id, "start_journey", { journey: node.journey, started: started !== undefined });
      return next();
    }
    default: {
      const unknown: never = node;
      throw new StepError(`unknown step kind ${JSON.stringify((unknown as IrNode).kind)}`);
    }
  }
}

function armName(edge: IrEdge): string {
  return edge.kind === "arm" ? (edge.name ?? `${edge.percent}%→${edge.to}`) : edge.to;
}

/** The sticky arm: the same customer takes the same arm of the same step every time. */
function pickArm(edges: readonly IrEdge[], key: string): IrEdge {
  const arms = edges.filter((e): e is Extract<IrEdge, { kind: "arm" }> => e.kind === "arm");
  const point = bucket(key);
  let sum = 0;
  for (const arm of arms) {
    sum += arm.percent;
    if (point < sum) return arm;
  }
  const last = arms.at(-1);
  if (!last) throw new StepError("a split without arms");
  return last;
}

async function experimentArm(run: Run, journey: LoadedJourney, enrollment: Enrollment, node: Extract<IrNode, { kind: "experiment" }>): Promise<IrEdge> {
  const edges = journey.out.get(node.id) ?? [];
  const arms = edges.filter((e) => e.kind === "arm");
  const decided = await run.tx.query<{ arm: string }>("SELECT arm FROM experiment_winners WHERE journey = $1 AND version = $2 AND node = $3", [
    journey.name,
    journey.version,
    node.id,
  ]);
  const byName = (name: string) => arms.find((a) => armName(a) === name);
  const winner = decided.rows[0] ? byName(decided.rows[0].arm) : undefined;
  if (winner) return winner;
  if (node.winner?.after) {
    const first = await run.tx.query<{ first: Date | null }>("SELECT min(entered_at) AS first FROM enrollments WHERE journey = $1 AND journey_version = $2", [
      journey.name,
      journey.version,
    ]);
    const started = first.rows[0]?.first;
    if (started && addDuration(started, node.winner.after) <= run.now) {
      // Conversion per arm among those who took it: the goal's rate decides; ties go to the first arm.
      const stats = await run.tx.query<{ arm: string; entered: number; converted: number }>(
        `SELECT context->'arms'->>$3 AS arm, count(*) AS entered, count(goal_at) AS converted
         FROM enrollments WHERE journey = $1 AND journey_version = $2 AND context->'arms' ? $3 GROUP BY 1`,
        [journey.name, journey.version, node.id],
      );
      const rate = (name: string) => {
        const row = stats.rows.find((r) => r.arm === name);
        return row && row.entered > 0 ? row.converted / row.entered : 0;
      };
      let best = arms[0];
      for (const arm of arms) if (best && rate(armName(arm)) > rate(armName(best))) best = arm;
      if (best) {
        await run.tx.query(
          "INSERT INTO experiment_winners (journey, version, node, arm, decided_at, detail) VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING",
          [journey.name, journey.version, node.id, armName(best), run.now, JSON.stringify({ arms: stats.rows })],
        );
        run.trace(enrollment, node.id, "winner", { arm: armName(best), arms: stats.rows });
        return best;
      }
    }
  }
  return pickArm(edges, `${enrollment.customerId}/${journey.name}/${node.id}`);
}

function customerZone(run: Run, zone: Extract<Wait, { kind: "until_time" }>["zone"]): string {
  return zoneName(zone, run.customer.view(run.project), customerZoneField(run.project.project.schema.customer.fields));
}

async function wakeTime(run: Run, enrollment: Enrollment, wait: Wait): Promise<Date | null> {
  switch (wait.kind) {
    case "duration":
      return addDuration(run.now, wait.duration);
    case "until_time":
      return nextTimeOfDay(run.now, wait.time, customerZone(run, wait.zone));
    case "until_date": {
      const at = parseInstant(evaluate(wait.field, contextFor(run, enrollment)));
      // No date to wait for: go on at once, and say so in the trace.
      if (!at) run.trace(enrollment, enrollment.node, "no_date", { field: describe(wait.field) });
      return at ?? run.now;
    }
    case "event":
      return wait.timeout ? addDuration(run.now, wait.timeout) : null;
    case "best_time":
      return nextTimeOfDay(run.now, bestHour(run), customerZone(run, { kind: "customer" }));
  }
}

/** The hour of day (customer time) at which this customer opened most emails; 10:00 when unknown. */
function bestHour(run: Run): string {
  const zone = customerZone(run, { kind: "customer" });
  const hours = new Map<number, number>();
  for (const event of run.customer.events) {
    if (event.name !== "email_opened") continue;
    const hour = Number(new Intl.DateTimeFormat("en-GB", { hour: "2-digit", hourCycle: "h23", timeZone: zone }).format(event.occurredAt));
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
  }
  let best = 10;
  let bestCount = 0;
  for (const [hour, count] of hours) if (count > bestCount || (count === bestCount && hour < best)) [best, bestCount] = [hour, count];
  return `${String(best).padStart(2, "0")}:00`;
}

function describe(expr: Expr): string {
  return expr.kind === "field" ? `${expr.source}.${expr.path.join(".")}` : expr.kind;
}

/** Products (or any objects) for an in-app card: filtered by `where`, ranked by likeness to `like` plus `boost`. */
function recommend(run: Run, enrollment: Enrollment, spec: Recommendation): Record<string, unknown>[] {
  const object = run.project.objects.get(spec.object);
  if (!object) throw new StepError(`recommend: the build has no object ${spec.object}`);
  const like = spec.like ? evaluate(spec.like, contextFor(run, enrollment)) : undefined;
  const liked = (Array.isArray(like) ? like : like ? [like] : []).filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
  const owned = new Set<unknown>(liked.map((l) => l[object.key]).filter((v) => v !== undefined));
  const ranked: { row: Record<string, unknown>; score: number; key: string }[] = [];
  for (const row of run.engine.population.catalogue.all(spec.object)) {
    const key = String(row[object.key]);
    if (owned.has(row[object.key])) continue;
    const ctx = contextFor(run, enrollment, { object: row });
    if (spec.where && !holds(spec.where, ctx)) continue;
    let score = 0;
    for (const item of liked) for (const [field, value] of Object.entries(item)) if (field !== object.key && row[field] !== undefined && row[field] === value) score++;
    if (spec.boost && holds(spec.boost, ctx)) score += 1;
    ranked.push({ row, score, key });
  }
  ranked.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return ranked.slice(0, spec.count).map((r) => r.row);
}

const ADDRESS_FIELD: Record<string, string> = { email: "email", sms: "phone", push: "push_token" };

async function send(
  run: Run,
  enrollment: Enrollment,
  node: IrNode,
  channel: "email" | "sms" | "push" | "webhook" | "in_app",
  template: string | null,
  parts: Readonly<Record<string, Liquid>>,
  alias: string | undefined,
  recommendations?: Record<string, unknown>[],
): Promise<void> {
  const customer = run.customer.view(run.project);
  const id = sendId(enrollment.journeyVersion, enrollment.id, node.id);
  const held = await heldBack(run, channel, customer);
  if (held) {
    run.trace(enrollment, node.id, "held", { channel, template, rule: held });
    return;
  }
  const content = await run.engine.renderer.render(template ?? `${enrollment.journey}.${node.id}`, parts, {
    customer,
    trigger: enrollment.context.trigger,
    ...(recommendations ? { recommendations } : {}),
    message: { id },
  });
  const to = channel === "webhook" ? (content.url ?? null) : channel === "in_app" ? run.customer.id : stringOrNull(customer[ADDRESS_FIELD[channel] ?? ""]);
  if (!to) {
    run.trace(enrollment, node.id, "held", { channel, template, rule: `the customer has no ${channel === "webhook" ? "url" : ADDRESS_FIELD[channel]}` });
    return;
  }
  const deliverAfter = quietUntil(run, customer) ?? run.now;
  const payload = {
    journey: enrollment.journey,
    version: enrollment.journeyVersion,
    node: node.id,
    channel,
    template,
    to,
    content: recommendations ? { ...content, recommendations } : content,
  };
  const inserted = await run.tx.query(
    `INSERT INTO outbox (send_id, enrollment_id, customer_id, node, channel, payload, status, created_at, deliver_after)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'pending', $7, $8) ON CONFLICT DO NOTHING`,
    [id, enrollment.id, run.customer.id, node.id, channel, JSON.stringify(payload), run.now, deliverAfter],
  );
  if (inserted.rowCount === 1) {
    if (channel === "in_app") {
      await run.tx.query("INSERT INTO in_app_messages (send_id, customer_id, content, created_at) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING", [
        id,
        run.customer.id,
        JSON.stringify(payload.content),
        run.now,
      ]);
    }
    run.sends.push(id);
  }
  if (alias && template) enrollment.context.messages[alias] = { id, channel, template };
  run.trace(enrollment, node.id, "send", {
    channel,
    template,
    sendId: id,
    ...(deliverAfter > run.now ? { deliverAfter: deliverAfter.toISOString(), rule: "quiet hours" } : {}),
  });
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** The rule that holds a message back (consent, frequency cap), or undefined when it may go. */
async function heldBack(run: Run, channel: string, customer: Record<string, unknown>): Promise<string | undefined> {
  for (const policy of run.project.project.policies) {
    for (const rule of policy.rules) {
      if (rule.kind === "respect_consent") {
        const consent = customer.consent;
        if (consent && typeof consent === "object" && channel in consent && (consent as Record<string, unknown>)[channel] !== true) {
          return `respect consent: consent.${channel} is not true`;
        }
      } else if (rule.kind === "frequency_cap" && rule.channel === channel) {
        const since = subtractDuration(run.now, rule.period);
        const { rows } = await run.tx.query<{ n: number }>(
          "SELECT count(*) AS n FROM outbox WHERE customer_id = $1 AND channel = $2 AND created_at > $3 AND status <> 'failed'",
          [run.customer.id, channel, since],
        );
        if ((rows[0]?.n ?? 0) >= rule.count) return `at most ${rule.count} ${channel} per ${rule.period}${policy.name ? ` (policy ${policy.name})` : ""}`;
      }
    }
  }
  return undefined;
}

/** The end of the quiet hours `now` falls in (the latest, when several policies say so). */
function quietUntil(run: Run, customer: Record<string, unknown>): Date | undefined {
  let until: Date | undefined;
  for (const policy of run.project.project.policies) {
    for (const rule of policy.rules) {
      if (rule.kind !== "quiet_hours") continue;
      const zone = zoneName(rule.zone, customer, customerZoneField(run.project.project.schema.customer.fields));
      const end = quietHoursEnd(run.now, rule.from, rule.to, zone);
      if (end && (!until || end > until)) until = end;
    }
  }
  return until;
}

/**
 * Enrolls the customer in a journey's current version if its entry rule allows, and steps the new
 * enrollment forward. Returns it, or undefined when the entry rule (or an active enrollment with
 * the same correlation key, or an earlier run of the same cause) says no.
 */
export async function enroll(run: Run, journeyName: string, cause: string, trigger: Record<string, unknown>, id: string): Promise<string | undefined> {
  const journey = run.engine.currentVersion(journeyName);
  if (!journey) throw new StepError(`start journey ${journeyName}: the build has no such journey`);
  const ir = journey.ir;
  const key = ir.correlationKey ? trigger[ir.correlationKey] : undefined;
  if (ir.correlationKey && (key === undefined || key === null)) return undefined;
  const correlationKey = key === undefined || key === null ? "" : String(key);
  if (ir.entry.kind !== "always") {
    const last = await run.tx.query<{ entered_at: Date }>(
      "SELECT entered_at FROM enrollments WHERE journey = $1 AND customer_id = $2 ORDER BY entered_at DESC LIMIT 1",
      [ir.name, run.customer.id],
    );
    const previous = last.rows[0]?.entered_at;
    if (previous && (ir.entry.kind === "once" || addDuration(previous, ir.entry.period) > run.now)) return undefined;
  }
  const inserted = await run.tx.query(
    `INSERT INTO enrollments (id, journey, journey_version, customer_id, correlation_key, state, node, context, version, entered_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7::jsonb, 0, $8, $8) ON CONFLICT DO NOTHING`,
    [id, ir.name, journey.version, run.customer.id, correlationKey, ir.start, JSON.stringify({ trigger, cause, messages: {}, arms: {} }), run.now],
  );
  if (inserted.rowCount !== 1) return undefined;
  const enrollment: Enrollment = {
    id,
    journey: ir.name,
    journeyVersion: journey.version,
    customerId: run.customer.id,
    correlationKey,
    state: "active",
    node: ir.start,
    context: { trigger, cause, messages: {}, arms: {} },
    version: 0,
    wakeAt: null,
    enteredAt: run.now,
    goalAt: null,
    endReason: null,
  };
  run.enrollments.set(id, enrollment);
  await advance(run, enrollment, ir.start);
  return id;
}
