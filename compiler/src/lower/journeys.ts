import type * as A from "@journey/language";
import { type Declared, printExpression, type Symbols } from "@journey/language";
import { canonicalJson, sha256 } from "../ir/canonical.js";
import { type Expr, IR_FORMAT, type IrEdge, type IrNode, type JourneyFile, type LiteralExpr, type Trigger, type Wait } from "../ir/schema.js";
import { fail, isoDuration, required, type SourceMap, timeOfDay, zone } from "./common.js";
import type { ExpressionLowerer, ExprScope } from "./expressions.js";
import { assignIds, type StepShape } from "./ids.js";
import type { TemplateLowerer } from "./templates.js";

export const START_ID = "journey-start";
export const END_ID = "journey-end";

const weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

/** Lowers one checked journey to its graph: one node per step, explicit edges, stable ids. */
export class JourneyLowerer {
  constructor(
    private readonly symbols: Symbols,
    private readonly expressions: ExpressionLowerer,
    private readonly templates: TemplateLowerer,
    private readonly sources: SourceMap,
  ) {}

  lower(declared: Declared<A.JourneyDecl>): JourneyFile {
    return new OneJourney(declared, this.symbols, this.expressions, this.templates, this.sources).lower();
  }
}

/** The hash of a journey: its canonical JSON without `hash` and without source ranges, so moving or reformatting it changes nothing. */
export function journeyHash(journey: Omit<JourneyFile, "hash"> & { hash?: string }): string {
  const { hash: _hash, source: _source, ...rest } = journey;
  const nodes = rest.nodes.map(({ source: _nodeSource, ...node }) => node);
  return sha256(canonicalJson({ ...rest, nodes }));
}

class OneJourney {
  private readonly nodes: IrNode[] = [];
  private readonly edges: IrEdge[] = [];
  private readonly file: string;
  private readonly name: string;
  private readonly scope: ExprScope;
  private ids = new Map<A.Step, string>();

  constructor(
    private readonly declared: Declared<A.JourneyDecl>,
    private readonly symbols: Symbols,
    private readonly expressions: ExpressionLowerer,
    private readonly templates: TemplateLowerer,
    private readonly sources: SourceMap,
  ) {
    this.file = declared.file;
    this.name = declared.name;
    const decl = declared.node;
    const when = decl.items.find((i): i is A.WhenClause => i.kind === "WhenClause");
    const trigger = when?.trigger;
    const aliases = new Set<string>();
    const steps = decl.items.filter(isStep);
    forEachStep(steps, (step) => {
      if (step.kind === "SendStep" && step.alias) aliases.add(step.alias.text);
    });
    this.scope = { journey: { triggerEvent: trigger?.kind === "EventTrigger" ? trigger.event.event.text : undefined, aliases } };
  }

  lower(): JourneyFile {
    const decl = this.declared.node;
    const whens = decl.items.filter((i): i is A.WhenClause => i.kind === "WhenClause");
    if (whens.length !== 1) fail(`journey ${this.name} has ${whens.length} triggers, not one`);
    const when = whens[0] as A.WhenClause;
    const triggerNode = required(when.trigger, `the trigger of journey ${this.name}`);
    const steps = decl.items.filter(isStep);

    this.ids = assignIds(steps, (step) => this.shape(step));
    const first = steps[0] ? this.id(steps[0]) : END_ID;
    this.node({ kind: "start", id: START_ID, text: `when ${triggerText(triggerNode)}`, source: this.sources.range(this.file, when.span) });
    this.edge({ kind: "next", from: START_ID, to: first });
    this.block(steps, END_ID);
    const closing = { start: Math.max(decl.span.start, decl.span.end - 1), end: decl.span.end };
    this.node({ kind: "end", id: END_ID, text: "end", source: this.sources.range(this.file, closing) });

    const entry = decl.items.find((i): i is A.EntryClause => i.kind === "EntryClause");
    const goal = decl.items.find((i): i is A.GoalClause => i.kind === "GoalClause");
    const version = decl.items.find((i): i is A.VersionClause => i.kind === "VersionClause");
    const exits = decl.items.filter((i): i is A.ExitWhenClause => i.kind === "ExitWhenClause");
    const correlationKey = triggerNode.kind === "EventTrigger" ? triggerNode.correlationKey?.text : undefined;
    const { nodes, edges } = reachable(this.nodes, this.edges);

    const journey: Omit<JourneyFile, "hash"> = {
      format: IR_FORMAT,
      kind: "journey",
      name: this.name,
      ...(decl.title ? { title: decl.title.value } : {}),
      ...(decl.doc ? { doc: decl.doc.text } : {}),
      trigger: this.trigger(triggerNode),
      entry: this.entry(entry),
      ...(correlationKey ? { correlationKey } : {}),
      ...(goal
        ? { goal: { ...this.pattern(required(goal.event, "the goal's event")), ...(goal.within ? { within: isoDuration(goal.within) } : {}) } }
        : {}),
      exits: exits.map((exit) => this.pattern(required(exit.event, "the event of `exit when`"))),
      onNewVersion: this.versionPolicy(version),
      start: START_ID,
      nodes,
      edges,
      source: this.sources.range(this.file, decl.span),
    };
    return { ...journey, hash: journeyHash(journey) };
  }

  private id(step: A.Step): string {
    return this.ids.get(step) ?? fail("a step without an id");
  }

  private node(node: IrNode): void {
    this.nodes.push(node);
  }

  private edge(edge: IrEdge): void {
    this.edges.push(edge);
  }

  private pattern(pattern: A.EventPattern): { event: string; where?: Expr } {
    const event = pattern.event.text;
    if (!this.symbols.events.has(event)) fail(`unknown event \`${event}\``);
    return { event, ...(pattern.condition ? { where: this.expressions.lower(pattern.condition, this.expressions.eventScope(event, this.scope)) } : {}) };
  }

  private trigger(trigger: A.Trigger): Trigger {
    switch (trigger.kind) {
      case "EventTrigger":
        return { kind: "event", ...this.pattern(trigger.event) };
      case "SegmentTrigger": {
        const segment = required(trigger.segment, "the segment of the trigger").text;
        if (!this.symbols.segments.has(segment)) fail(`unknown segment \`${segment}\``);
        return { kind: "segment", change: trigger.change, segment };
      }
      case "DateTrigger":
        return {
          kind: "date",
          field: this.expressions.lower(required(trigger.field, "the date of the trigger"), this.scope),
          ...(trigger.at ? { at: timeOfDay(trigger.at) } : {}),
          zone: zone(trigger.zone),
        };
      case "ScheduleTrigger": {
        const every = required(trigger.every, "the schedule of the trigger");
        let schedule: Extract<Trigger, { kind: "schedule" }>["every"];
        if (every.kind === "DurationLiteral") schedule = { kind: "period", period: isoDuration(every) };
        else if (every.text === "day") schedule = { kind: "day" };
        else {
          const day = weekdays.find((d) => d === every.text) ?? fail(`\`every ${every.text}\` is not a schedule`);
          schedule = { kind: "weekday", day };
        }
        return {
          kind: "schedule",
          every: schedule,
          ...(trigger.at ? { at: timeOfDay(trigger.at) } : {}),
          zone: zone(trigger.zone),
          ...(trigger.audience ? { audience: trigger.audience.text } : {}),
        };
      }
      case "ApiTrigger":
        return { kind: "api" };
      default: {
        const unknown: never = trigger;
        return unknown;
      }
    }
  }

  private entry(clause: A.EntryClause | undefined): JourneyFile["entry"] {
    // No `entry` line: once in a customer's life, the rule that can never message anyone twice.
    if (!clause) return { kind: "once" };
    switch (required(clause.rule, "the entry rule")) {
      case "once":
        return { kind: "once" };
      case "always":
        return { kind: "always" };
      case "every":
        return { kind: "every", period: isoDuration(clause.every) };
      default:
        return fail("an unknown entry rule");
    }
  }

  private versionPolicy(clause: A.VersionClause | undefined): JourneyFile["onNewVersion"] {
    // No `on new version`: drain, the policy that moves nobody.
    if (!clause) return { kind: "drain" };
    switch (required(clause.policy, "the new-version policy")) {
      case "drain":
        return { kind: "drain" };
      case "restart":
        return { kind: "restart" };
      case "migrate":
        return {
          kind: "migrate",
          map: clause.migrations.map((m) => ({ from: required(m.from, "a migration's old label").text, to: required(m.to, "a migration's new label").text })),
        };
      default:
        return fail("an unknown new-version policy");
    }
  }

  // ── Steps ─────────────────────────────────────────────────────────────────

  /** The entry of a block: its first step, or where the block continues when it is empty. */
  private entryOf(block: A.Block | undefined, next: string): string {
    const first = block?.steps[0];
    return first ? this.id(first) : next;
  }

  private block(steps: A.Step[], next: string): void {
    steps.forEach((step, index) => {
      const following = steps[index + 1];
      this.step(step, following ? this.id(following) : next);
    });
  }

  private base(step: A.Step, text: string) {
    return {
      id: this.id(step),
      ...(step.label ? { label: step.label.text } : {}),
      text,
      source: this.sources.range(this.file, step.span),
    };
  }

  private step(step: A.Step, next: string): void {
    const id = this.id(step);
    const text = nodeText(step);
    const then = () => this.edge({ kind: "next", from: id, to: next });
    switch (step.kind) {
      case "SendStep": {
        const channel = required(step.channel, "the channel of `send`").text;
        if (!["email", "sms", "push", "webhook"].includes(channel)) fail(`\`send ${channel}\``);
        this.node({
          ...this.base(step, text),
          kind: "send",
          channel: channel as "email" | "sms" | "push" | "webhook",
          ...this.message(step, `send ${channel}`),
          ...(step.alias ? { alias: step.alias.text } : {}),
        });
        then();
        return;
      }
      case "ShowStep": {
        if (required(step.channel, "the channel of `show`").text !== "in_app") fail("`show` on a channel other than in_app");
        const parts = this.templates.parts(
          step.content.filter((c): c is A.TemplateProp => c.kind === "TemplateProp"),
          this.file,
          `the in-app message at ${this.where(step)}`,
        );
        const recommendations = step.content
          .filter((c): c is A.Recommendation => c.kind === "Recommendation")
          .map((r) => {
            const object = required(r.object, "the object of `recommend`").text;
            const objectScope = this.expressions.objectScope(object, this.scope);
            return {
              count: required(r.count, "the count of `recommend`"),
              object,
              ...(r.like ? { like: this.expressions.lower(r.like, this.scope) } : {}),
              ...(r.boost ? { boost: this.expressions.lower(r.boost, objectScope) } : {}),
              ...(r.where ? { where: this.expressions.lower(r.where, objectScope) } : {}),
            };
          });
        this.node({ ...this.base(step, text), kind: "show", channel: "in_app", ...this.message(step, "show in_app"), parts, recommendations });
        then();
        return;
      }
      case "WaitStep": {
        const spec = required(step.wait, "what `wait` waits for");
        this.node({ ...this.base(step, text), kind: "wait", wait: this.wait(spec) });
        if (spec.kind !== "WaitForEvent") {
          then();
          return;
        }
        const event = required(spec.event, "the event of `wait for`");
        this.edge({ kind: "event", from: id, to: next, text: oneLine(eventPatternText(event)) });
        if (spec.timeout) this.edge({ kind: "timeout", from: id, to: this.entryOf(spec.otherwise, next), text: `no ${event.event.text} in ${durationText(spec.timeout)}` });
        // With no `up to` (the checker warns), nothing leads into the `else`: its steps are left out with the unreachable ones.
        if (spec.otherwise) this.block(spec.otherwise.steps, next);
        return;
      }
      case "IfStep": {
        this.node({ ...this.base(step, text), kind: "if" });
        const bodies = step.branches.map((branch) => {
          const condition = required(branch.condition, "the condition of `if`");
          const body = required(branch.body, "the block of `if`");
          this.edge({ kind: "branch", from: id, to: this.entryOf(body, next), condition: this.expressions.lower(condition, this.scope), text: oneLine(printExpression(condition)) });
          return body;
        });
        this.edge({ kind: "else", from: id, to: this.entryOf(step.otherwise, next), text: "else" });
        for (const body of [...bodies, ...(step.otherwise ? [step.otherwise] : [])]) this.block(body.steps, next);
        return;
      }
      case "MatchStep": {
        const subject = required(step.subject, "the subject of `match`");
        this.node({ ...this.base(step, text), kind: "match", subject: this.expressions.lower(subject, this.scope) });
        const otherwise = step.cases.find((c) => c.isElse);
        for (const matchCase of step.cases) {
          if (matchCase.isElse) continue;
          const body = required(matchCase.body, "the block of a `match` case");
          const values = matchCase.values.map((v) => this.expressions.lower(v, this.scope) as LiteralExpr);
          if (values.length === 0) fail("a `match` case with no values");
          this.edge({ kind: "case", from: id, to: this.entryOf(body, next), values, text: oneLine(matchCase.values.map((v) => printExpression(v)).join(", ")) });
        }
        this.edge({ kind: "else", from: id, to: this.entryOf(otherwise?.body, next), text: "else" });
        for (const matchCase of step.cases) this.block(required(matchCase.body, "the block of a `match` case").steps, next);
        return;
      }
      case "SplitStep":
      case "ExperimentStep": {
        if (step.kind === "SplitStep") this.node({ ...this.base(step, text), kind: "split" });
        else {
          this.node({
            ...this.base(step, text),
            kind: "experiment",
            ...(step.name ? { name: step.name.text } : {}),
            ...(step.winner ? { winner: { by: "goal" as const, ...(step.winner.after ? { after: isoDuration(step.winner.after) } : {}) } } : {}),
          });
        }
        if (step.arms.length === 0) fail(`a ${step.kind === "SplitStep" ? "split" : "experiment"} with no arms`);
        for (const arm of step.arms) {
          this.edge({
            kind: "arm",
            from: id,
            to: this.entryOf(required(arm.body, "the block of an arm"), next),
            percent: arm.percent.value,
            ...(arm.name ? { name: arm.name.text } : {}),
            text: armText(arm),
          });
        }
        for (const arm of step.arms) this.block(required(arm.body, "the block of an arm").steps, next);
        return;
      }
      case "HoldoutStep": {
        const percent = required(step.percent, "the percentage of `holdout`");
        this.node({ ...this.base(step, text), kind: "holdout", percent: percent.value });
        then();
        this.edge({ kind: "control", from: id, to: END_ID, percent: percent.value, text: `holdout ${percent.text}` });
        return;
      }
      case "SetStep": {
        const target = this.expressions.lower(required(step.target, "what `set` changes"), this.scope);
        if (target.kind !== "field" || target.source !== "customer" || target.path.length === 0) fail("`set` of something other than a customer field");
        this.node({ ...this.base(step, text), kind: "set", field: target.path, value: this.expressions.lower(required(step.value, "the value of `set`"), this.scope) });
        then();
        return;
      }
      case "ListStep": {
        const list = required(step.list, "the list").text;
        if (!this.symbols.lists.has(list)) fail(`unknown list \`${list}\``);
        this.node({ ...this.base(step, text), kind: "list", operation: step.operation, list });
        then();
        return;
      }
      case "TrackStep": {
        const event = required(step.event, "the event of `track`").text;
        if (!this.symbols.events.has(event)) fail(`unknown event \`${event}\``);
        const properties = step.properties.map((p) => ({ name: p.name.text, value: this.expressions.lower(required(p.value, `the value of ${p.name.text}`), this.scope) }));
        this.node({ ...this.base(step, text), kind: "track", event, properties });
        then();
        return;
      }
      case "NotifyStep": {
        const template = required(step.target, "the template of `notify`").text;
        if (!this.symbols.templates.has(template)) fail(`unknown template \`${template}\``);
        this.node({ ...this.base(step, text), kind: "notify", template });
        then();
        return;
      }
      case "StartJourneyStep": {
        const journey = required(step.journey, "the journey to start").text;
        if (!this.symbols.journeys.has(journey)) fail(`unknown journey \`${journey}\``);
        this.node({ ...this.base(step, text), kind: "start_journey", journey });
        then();
        return;
      }
      case "ExitStep":
        this.node({ ...this.base(step, text), kind: "exit" });
        return;
      case "MissingStep":
        return fail(`a step that could not be read at ${this.where(step)}`);
      default: {
        const unknown: never = step;
        return unknown;
      }
    }
  }

  private where(step: A.Step): string {
    const range = this.sources.range(this.file, step.span);
    return `${range.file}:${range.start.line}:${range.start.column}`;
  }

  private message(step: A.SendStep | A.ShowStep, what: string): { template?: string; message?: { liquid: string } } {
    if (step.template) {
      if (!this.symbols.templates.has(step.template.text)) fail(`unknown template \`${step.template.text}\``);
      return { template: step.template.text };
    }
    if (step.text) return { message: this.templates.inline(step.text, `the text of \`${what}\` at ${this.where(step)}`) };
    if (step.kind === "SendStep") fail(`\`${what}\` with neither a template nor a text`);
    return {};
  }

  private wait(spec: A.WaitSpec): Wait {
    switch (spec.kind) {
      case "WaitDuration":
        return { kind: "duration", duration: isoDuration(spec.duration) };
      case "WaitUntilTime":
        return { kind: "until_time", time: timeOfDay(spec.time), zone: zone(spec.zone) };
      case "WaitUntilDate":
        return { kind: "until_date", field: this.expressions.lower(required(spec.field, "the date to wait until"), this.scope) };
      case "WaitForEvent": {
        const pattern = this.pattern(required(spec.event, "the event of `wait for`"));
        return {
          kind: "event",
          ...pattern,
          ...(spec.matching ? { matching: spec.matching.text } : {}),
          ...(spec.timeout ? { timeout: isoDuration(spec.timeout) } : {}),
        };
      }
      case "WaitBestTime":
        return { kind: "best_time" };
      default: {
        const unknown: never = spec;
        return unknown;
      }
    }
  }

  /** What identifies a step for its id: its kind, its head as printed, and its blocks with their keys. */
  private shape(step: A.Step): StepShape {
    const key = headText(step);
    switch (step.kind) {
      case "SendStep":
        return { kind: "send", key, blocks: [] };
      case "ShowStep":
        return { kind: "show", key, blocks: [] };
      case "WaitStep":
        return {
          kind: "wait",
          key,
          blocks: step.wait?.kind === "WaitForEvent" && step.wait.otherwise ? [{ key: "timeout", steps: step.wait.otherwise.steps }] : [],
        };
      case "IfStep":
        return {
          kind: "if",
          key,
          blocks: [
            ...step.branches.map((b) => ({ key: `if:${printExpression(b.condition)}`, steps: b.body?.steps ?? [] })),
            ...(step.otherwise ? [{ key: "else", steps: step.otherwise.steps }] : []),
          ],
        };
      case "MatchStep":
        return {
          kind: "match",
          key,
          blocks: step.cases.map((c) => ({ key: c.isElse ? "else" : `case:${c.values.map((v) => printExpression(v)).join(", ")}`, steps: c.body?.steps ?? [] })),
        };
      case "SplitStep":
      case "ExperimentStep": {
        const seen = new Map<string, number>();
        return {
          kind: step.kind === "SplitStep" ? "split" : "experiment",
          key,
          blocks: step.arms.map((arm) => {
            const armKey = arm.name ? arm.name.text : arm.percent.text;
            const occurrence = (seen.get(armKey) ?? 0) + 1;
            seen.set(armKey, occurrence);
            return { key: `arm:${armKey}#${occurrence}`, steps: arm.body?.steps ?? [] };
          }),
        };
      }
      case "HoldoutStep":
        return { kind: "holdout", key, blocks: [] };
      case "SetStep":
        return { kind: "set", key, blocks: [] };
      case "ListStep":
        return { kind: "list", key, blocks: [] };
      case "TrackStep":
        return { kind: "track", key, blocks: [] };
      case "NotifyStep":
        return { kind: "notify", key, blocks: [] };
      case "StartJourneyStep":
        return { kind: "start_journey", key, blocks: [] };
      case "ExitStep":
        return { kind: "exit", key, blocks: [] };
      case "MissingStep":
        return fail("a step that could not be read");
      default: {
        const unknown: never = step;
        return unknown;
      }
    }
  }
}

// ── Text: each step on one line, as `journey fmt` would write its head ─────

function durationText(d: A.DurationLiteral | undefined): string {
  return printExpression(d);
}

function zoneText(z: A.TimeZone | undefined): string {
  if (!z) return "";
  return z.kind === "CustomerTime" ? " customer time" : ` in ${z.zone?.raw ?? '""'}`;
}

function eventPatternText(pattern: A.EventPattern | undefined): string {
  if (!pattern) return "";
  return pattern.condition ? `${pattern.event.text} where ${printExpression(pattern.condition)}` : pattern.event.text;
}

function triggerText(trigger: A.Trigger): string {
  switch (trigger.kind) {
    case "EventTrigger":
      return `${eventPatternText(trigger.event)}${trigger.correlationKey ? ` per ${trigger.correlationKey.text}` : ""}`;
    case "SegmentTrigger":
      return `customer ${trigger.change} ${trigger.segment?.text ?? ""}`;
    case "DateTrigger":
      return `on ${printExpression(trigger.field)}${trigger.at ? ` at ${trigger.at.text}` : ""}${zoneText(trigger.zone)}`;
    case "ScheduleTrigger": {
      const every = trigger.every?.kind === "DurationLiteral" ? durationText(trigger.every) : (trigger.every?.text ?? "");
      return `every ${every}${trigger.at ? ` at ${trigger.at.text}` : ""}${zoneText(trigger.zone)}${trigger.audience ? ` for ${trigger.audience.text}` : ""}`;
    }
    case "ApiTrigger":
      return "api";
    default: {
      const unknown: never = trigger;
      return unknown;
    }
  }
}

function armText(arm: A.SplitArm): string {
  return `${arm.percent.text}${arm.name ? ` ${arm.name.text}` : ""}`;
}

function propText(prop: A.TemplateProp): string {
  return `${prop.name.text} ${prop.fromFile ? "file " : ""}${prop.value?.raw ?? '""'}`;
}

function recommendationText(r: A.Recommendation): string {
  let text = `recommend ${r.count ?? ""} ${r.object?.text ?? ""}`;
  if (r.like) text += ` like ${printExpression(r.like)}`;
  if (r.boost) text += ` boost ${printExpression(r.boost)}`;
  if (r.where) text += ` where ${printExpression(r.where)}`;
  return text;
}

/** What a node shows: the step's head, except that the conditions of an `if` and the arms of a split are on its edges. */
function nodeText(step: A.Step): string {
  switch (step.kind) {
    case "IfStep":
      return step.branches.length > 1 ? `if / else if${step.branches.length > 2 ? ` ×${step.branches.length - 1}` : ""}` : "if";
    case "SplitStep":
      return "split";
    case "ExperimentStep":
      return `experiment${step.name ? ` ${step.name.text}` : ""}${step.winner ? `, pick winner by goal${step.winner.after ? ` after ${durationText(step.winner.after)}` : ""}` : ""}`;
    default:
      return oneLine(stepHead(step));
  }
}

/** A step's head on one line, without its label and nested blocks: what identifies it (see ids.ts). */
function headText(step: A.Step): string {
  return oneLine(stepHead(step));
}

/** A `"""…"""` text spans lines; a node's text is one line. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}

function stepHead(step: A.Step): string {
  switch (step.kind) {
    case "SendStep":
      return `send ${step.channel?.text ?? ""} ${step.template?.text ?? step.text?.raw ?? ""}${step.alias ? ` as ${step.alias.text}` : ""}`;
    case "ShowStep": {
      const head = `show ${step.channel?.text ?? ""}${step.template ? ` ${step.template.text}` : step.text ? ` ${step.text.raw}` : ""}`;
      if (step.content.length === 0) return head;
      const items = step.content.map((item) => (item.kind === "Recommendation" ? recommendationText(item) : propText(item)));
      return `${head} { ${items.join("; ")} }`;
    }
    case "WaitStep": {
      const wait = step.wait;
      switch (wait?.kind) {
        case "WaitDuration":
          return `wait ${durationText(wait.duration)}`;
        case "WaitUntilTime":
          return `wait until ${wait.time?.text ?? ""}${zoneText(wait.zone)}`;
        case "WaitUntilDate":
          return `wait until ${printExpression(wait.field)}`;
        case "WaitForEvent":
          return `wait for ${eventPatternText(wait.event)}${wait.matching ? ` matching ${wait.matching.text}` : ""}${wait.timeout ? ` up to ${durationText(wait.timeout)}` : ""}`;
        case "WaitBestTime":
          return "wait for best send time";
        default:
          return "wait";
      }
    }
    case "IfStep":
      return `if ${printExpression(step.branches[0]?.condition)}`;
    case "MatchStep":
      return `match ${printExpression(step.subject)}`;
    case "SplitStep":
      return `split ${step.arms.map(armText).join(" / ")}`;
    case "ExperimentStep": {
      const arms = step.arms.map(armText).join(" / ");
      const winner = step.winner ? `, pick winner by goal${step.winner.after ? ` after ${durationText(step.winner.after)}` : ""}` : "";
      return `experiment${step.name ? ` ${step.name.text}` : ""} ${arms}${winner}`;
    }
    case "HoldoutStep":
      return `holdout ${step.percent?.text ?? ""}`;
    case "SetStep":
      return `set ${printExpression(step.target)} = ${printExpression(step.value)}`;
    case "ListStep":
      return `${step.operation === "add" ? "add to" : "remove from"} list ${step.list?.text ?? ""}`;
    case "TrackStep":
      return `track ${step.event?.text ?? ""}${step.properties.length > 0 ? ` { ${step.properties.map((p) => `${p.name.text} = ${printExpression(p.value)}`).join("; ")} }` : ""}`;
    case "NotifyStep":
      return `notify ${step.target?.text ?? ""}`;
    case "StartJourneyStep":
      return `start journey ${step.journey?.text ?? ""}`;
    case "ExitStep":
      return "exit";
    case "MissingStep":
      return "?";
    default: {
      const unknown: never = step;
      return unknown;
    }
  }
}

const settingKinds = new Set(["WhenClause", "EntryClause", "GoalClause", "ExitWhenClause", "VersionClause"]);

function isStep(item: A.JourneyItem): item is A.Step {
  return !settingKinds.has(item.kind);
}

function childSteps(step: A.Step): A.Step[][] {
  switch (step.kind) {
    case "IfStep":
      return [...step.branches.map((b) => b.body?.steps ?? []), step.otherwise?.steps ?? []];
    case "MatchStep":
      return step.cases.map((c) => c.body?.steps ?? []);
    case "SplitStep":
    case "ExperimentStep":
      return step.arms.map((a) => a.body?.steps ?? []);
    case "WaitStep":
      return step.wait?.kind === "WaitForEvent" && step.wait.otherwise ? [step.wait.otherwise.steps] : [];
    default:
      return [];
  }
}

function forEachStep(steps: A.Step[], visit: (step: A.Step) => void): void {
  for (const step of steps) {
    visit(step);
    for (const block of childSteps(step)) forEachStep(block, visit);
  }
}

/** Only what a customer can reach from the start (steps after an `exit` are left out, as the checker warned). */
function reachable(nodes: IrNode[], edges: IrEdge[]): { nodes: IrNode[]; edges: IrEdge[] } {
  const seen = new Set<string>([START_ID]);
  const queue = [START_ID];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const edge of edges) {
      if (edge.from === id && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return { nodes: nodes.filter((n) => seen.has(n.id)), edges: edges.filter((e) => seen.has(e.from)) };
}
