import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LineIndex } from "../diagnostics/lineIndex.js";
import { expr as printExpression } from "../format/printer.js";
import type * as A from "../syntax/ast.js";
import { parse, type ParseResult } from "../syntax/parse.js";
import { ExpressionChecker, type JourneyContext, type Scope } from "./expressions.js";
import { didYouMean, Reporter } from "./report.js";
import { closestName } from "./suggest.js";
import { type Reference, ReferenceIndex } from "./references.js";
import { bind, channels, emptySymbols, fieldSymbol, type Symbols } from "./symbols.js";
import { checkTemplateParts, checkTemplateString, checkTemplates, templateScope } from "./templateCheck.js";
import { assignable, describeType, type FieldInfo, isBool, isTemporal, type Type } from "./types.js";

export interface SourceInput {
  file: string;
  text: string;
}

export interface CheckOptions {
  /**
   * Reads a file a `.journey` file refers to (`body file "templates/promo.liquid"`), by its path
   * relative to the project root; `undefined` when it does not exist. Without it, template files are not checked.
   */
  readFile?: (path: string) => string | undefined;
}

/** The checked project: every file's tree, the symbols, and all diagnostics (syntax first, per file). */
export interface Program {
  files: ParseResult[];
  symbols: Symbols;
  diagnostics: Diagnostic[];
  /** Every resolved name (declarations included): for definition, references, rename and hover. */
  references: Reference[];
}

/** Parses and checks a whole project (all files share one namespace). Never throws on any input. */
export function checkProgram(sources: SourceInput[], options: CheckOptions = {}): Program {
  const files = [...sources].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)).map((s) => parse(s.text, s.file));
  return checkParsed(files, options);
}

/** Checks files that are already parsed (the language server re-parses only what changed). */
export function checkParsed(files: ParseResult[], options: CheckOptions = {}): Program {
  const lineIndexes = new Map<string, LineIndex>(files.map((f) => [f.file, f.lineIndex]));
  const reporter = new Reporter(lineIndexes);
  const refs = new ReferenceIndex();
  let symbols: Symbols = emptySymbols();
  try {
    symbols = bind(files, reporter, refs);
    new ProjectChecker(symbols, reporter, options, refs).run(files);
  } catch (error) {
    const first = files[0];
    reporter.report(
      "J9002",
      { file: first?.file ?? "<project>", span: { start: 0, end: 0 } },
      `the checker failed (${error instanceof Error ? error.message : String(error)}); please report this as a bug with the project attached`,
    );
  }
  const syntax = files.flatMap((f) => f.diagnostics);
  // A line with a syntax error holds a half-read tree: what the checker says about it is noise.
  const brokenLines = new Set(syntax.filter((d) => d.severity === "error").map((d) => `${d.file}:${d.range.start.line}`));
  const semantic = reporter.diagnostics.filter((d) => !brokenLines.has(`${d.file}:${d.range.start.line}`));
  return { files, symbols, diagnostics: sortDiagnostics(dedupe([...syntax, ...semantic])), references: refs.references };
}

/** The same finding reached twice (a template file shared by two templates) is reported once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}|${d.file}|${d.range.start.offset}|${d.range.end.offset}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.range.start.offset - b.range.start.offset ||
      a.range.end.offset - b.range.end.offset ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

class ProjectChecker {
  private readonly expressions: ExpressionChecker;
  private readonly respectsConsent: boolean;

  constructor(
    private readonly symbols: Symbols,
    private readonly reporter: Reporter,
    private readonly options: CheckOptions,
    private readonly refs: ReferenceIndex,
  ) {
    this.expressions = new ExpressionChecker(symbols, reporter, refs);
    this.respectsConsent = symbols.policies.some((p) => p.node.rules.some((r) => r.kind === "RespectConsent"));
  }

  private texts = new Map<string, string>();

  run(files: ParseResult[]): void {
    this.texts = new Map(files.map((f) => [f.file, f.text]));
    const segmentRefs = new Map<string, { name: string; span: A.Span }[]>();
    for (const { file, ast } of files) {
      for (const decl of ast.declarations) {
        switch (decl.kind) {
          case "SegmentDecl": {
            const refs: { name: string; span: A.Span }[] = [];
            this.expressions.condition(decl.condition, { file, segmentRefs: refs });
            if (decl.name && this.symbols.segments.get(decl.name.text)?.node === decl) segmentRefs.set(decl.name.text, refs);
            break;
          }
          case "ScoreDecl":
            this.score(decl, file);
            break;
          case "PolicyDecl":
            this.policy(decl, file);
            break;
          case "TemplateDecl":
            this.templateDecl(decl, file);
            break;
          case "JourneyDecl":
            this.journey(decl, file);
            break;
          default:
            break;
        }
      }
    }
    this.segmentCycles(segmentRefs);
    checkTemplates(this.symbols, this.reporter, this.options.readFile);
  }

  private place(file: string, span: A.Span) {
    return { file, span };
  }

  private channel(id: A.Identifier | undefined, file: string, allowed: readonly string[] = channels): string | undefined {
    if (!id) return undefined;
    if (allowed.includes(id.text)) return id.text;
    const suggestion = closestName(id.text, allowed);
    const place = this.place(file, id.span);
    this.reporter.report("J2014", place, `unknown channel \`${id.text}\`${didYouMean(suggestion)}; the channels are ${allowed.join(", ")}`, {
      fixes: Reporter.rename(place, suggestion),
    });
    return undefined;
  }

  private score(decl: A.ScoreDecl, file: string): void {
    const decays = decl.rules.filter((r) => r.kind === "ScoreDecay");
    for (const extra of decays.slice(1)) {
      this.reporter.report("J4008", this.place(file, extra.span), `score \`${decl.name?.text ?? ""}\` already says how fast it halves: keep one \`halves every …\``, {
        related: decays[0] ? [{ file, span: decays[0].span, message: "the first one is here" }] : [],
      });
    }
    for (const rule of decl.rules) {
      if (rule.kind === "ScorePoints" && rule.event) this.eventPattern(rule.event, { file });
    }
  }

  private policy(decl: A.PolicyDecl, file: string): void {
    for (const rule of decl.rules) {
      if (rule.kind === "FrequencyCap") this.channel(rule.channel, file);
    }
  }

  private templateDecl(decl: A.TemplateDecl, file: string): void {
    this.channel(decl.channel, file);
  }

  /** `purchase where total > 50`: the event exists and the condition reads its fields. */
  private eventPattern(pattern: A.EventPattern, scope: Scope): Map<string, FieldInfo> | undefined {
    const fields = this.expressions.event(pattern.event, scope);
    if (fields && pattern.condition) {
      this.expressions.condition(pattern.condition, { ...scope, local: { owner: pattern.event.text, fields } });
    }
    return fields;
  }

  private segmentCycles(refs: Map<string, { name: string; span: A.Span }[]>): void {
    const state = new Map<string, "visiting" | "done">();
    const reported = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === "done") return;
      if (state.get(name) === "visiting") {
        const cycle = path.slice(path.indexOf(name));
        const first = cycle[0] as string;
        if (reported.has(first)) return;
        for (const member of cycle) reported.add(member);
        const segment = this.symbols.segments.get(first);
        if (!segment?.node.name) return;
        const loop = [...cycle, first].map((n) => `\`${n}\``).join(" → ");
        this.reporter.report(
          "J4006",
          this.place(segment.file, segment.node.name.span),
          cycle.length === 1
            ? `segment \`${first}\` is defined by itself, so it can never be decided: define it from customer data and events`
            : `segments depend on each other in a loop (${loop}), so none of them can be decided: break the loop`,
        );
        return;
      }
      state.set(name, "visiting");
      for (const ref of refs.get(name) ?? []) visit(ref.name, [...path, name]);
      state.set(name, "done");
    };
    for (const name of [...refs.keys()].sort()) visit(name, []);
  }

  // ── Journeys ─────────────────────────────────────────────────────────────

  private journey(decl: A.JourneyDecl, file: string): void {
    const name = decl.name?.text ?? "journey";
    const whens = decl.items.filter((i): i is A.WhenClause => i.kind === "WhenClause");
    const trigger = whens[0]?.trigger;
    const headerSpan = { start: decl.span.start, end: decl.name?.span.end ?? decl.span.start + "journey".length };
    if (whens.length === 0) {
      this.reporter.report("J4005", this.place(file, headerSpan), `journey \`${name}\` has no trigger: add a \`when …\` line, e.g. \`when signed_up\` or \`when customer enters <segment>\``);
    }
    for (const extra of whens.slice(1)) {
      this.reporter.report("J4005", this.place(file, extra.span), `journey \`${name}\` already has a trigger; a journey starts one way: remove this \`when\` or make a second journey`, {
        related: whens[0] ? [{ file, span: whens[0].span, message: "the first trigger is here" }] : [],
      });
    }
    for (const kind of ["EntryClause", "GoalClause", "VersionClause"] as const) {
      const clauses = decl.items.filter((i) => i.kind === kind);
      for (const extra of clauses.slice(1)) {
        const word = kind === "EntryClause" ? "entry" : kind === "GoalClause" ? "goal" : "on new version";
        this.reporter.report("J4008", this.place(file, extra.span), `journey \`${name}\` already says \`${word}\`: keep one`, {
          related: clauses[0] ? [{ file, span: clauses[0].span, message: "the first one is here" }] : [],
        });
      }
    }

    const context: JourneyContext = {
      name,
      triggerEvent: trigger?.kind === "EventTrigger" ? trigger.event.event.text : undefined,
      triggerDescription: describeTrigger(trigger),
      aliases: new Map(),
    };
    const steps = decl.items.filter((i): i is A.Step => isStep(i));
    collectAliases(steps, context.aliases);
    const scope: Scope = { file, journey: context };

    if (trigger) this.trigger(trigger, scope);
    const labels = new Map<string, { step: A.Step; label: A.Identifier }>();
    forEachStep(steps, (step) => {
      if (!step.label) return;
      const previous = labels.get(step.label.text);
      if (previous) {
        this.reporter.report("J2011", this.place(file, step.label.span), `journey \`${name}\` already has a step labelled \`${step.label.text}\`: labels name one step each`, {
          related: [{ file, span: previous.label.span, message: "the first one is here" }],
        });
        return;
      }
      labels.set(step.label.text, { step, label: step.label });
      this.refs.add(file, step.label.span, { kind: "label", name: step.label.text, owner: name, file, span: step.label.span }, true);
    });

    let goal = false;
    for (const item of decl.items) {
      switch (item.kind) {
        case "GoalClause":
          goal = true;
          if (item.event) this.eventPattern(item.event, scope);
          break;
        case "ExitWhenClause":
          if (item.event) this.eventPattern(item.event, scope);
          break;
        case "VersionClause":
          this.versionPolicy(item, labels, steps, scope);
          break;
        default:
          break;
      }
    }
    this.steps(steps, scope);
    this.unreachable(decl.items, file);
    if (!goal) {
      this.reporter.report(
        "J4004",
        this.place(file, headerSpan),
        `journey \`${name}\` has no goal, so its conversions cannot be counted: add e.g. \`goal purchase within 7 days\``,
      );
    }
  }

  private trigger(trigger: A.Trigger, scope: Scope): void {
    const file = scope.file;
    switch (trigger.kind) {
      case "EventTrigger": {
        const fields = this.eventPattern(trigger.event, scope);
        const key = trigger.correlationKey;
        const keyField = key ? fields?.get(key.text) : undefined;
        if (key && keyField) this.refs.add(file, key.span, fieldSymbol(keyField));
        if (fields && key && !fields.has(key.text)) {
          const suggestion = closestName(key.text, fields.keys());
          const place = this.place(file, key.span);
          this.reporter.report(
            "J3008",
            place,
            `\`per ${key.text}\`: ${trigger.event.event.text} has no field \`${key.text}\`${didYouMean(suggestion)}; the correlation key must be a field of the trigger event`,
            { fixes: Reporter.rename(place, suggestion) },
          );
        }
        return;
      }
      case "SegmentTrigger":
        if (trigger.segment) this.segmentName(trigger.segment, file);
        return;
      case "DateTrigger":
        if (trigger.field) this.dateField(trigger.field, scope);
        return;
      case "ScheduleTrigger": {
        const every = trigger.every;
        if (every?.kind === "Identifier" && !scheduleWords.includes(every.text)) {
          const suggestion = closestName(every.text, scheduleWords);
          const place = this.place(file, every.span);
          this.reporter.report("J3019", place, `\`every ${every.text}\` is not a schedule${didYouMean(suggestion)}; write a weekday, \`day\`, or a duration such as \`7 days\``, {
            fixes: Reporter.rename(place, suggestion),
          });
        }
        if (trigger.audience) this.segmentName(trigger.audience, file);
        return;
      }
      case "ApiTrigger":
        return;
      default: {
        const unknown: never = trigger;
        return unknown;
      }
    }
  }

  private segmentName(id: A.Identifier, file: string): void {
    const segment = this.symbols.segments.get(id.text);
    if (segment) {
      this.refs.add(file, id.span, { kind: "segment", name: id.text, file: segment.file, span: segment.node.name?.span });
      return;
    }
    const place = this.place(file, id.span);
    if (this.symbols.lists.has(id.text)) {
      this.reporter.report("J2013", place, `\`${id.text}\` is a list, not a segment: journeys start when customers enter segments; define \`segment in_${id.text} = customer in ${id.text}\``);
      return;
    }
    const suggestion = closestName(id.text, this.symbols.segments.keys());
    this.reporter.report("J2013", place, `unknown segment \`${id.text}\`${didYouMean(suggestion)}${suggestion ? "" : `; declare it with \`segment ${id.text} = …\``}`, {
      fixes: Reporter.rename(place, suggestion),
    });
  }

  private dateField(field: A.Expression, scope: Scope): void {
    const type = this.expressions.check(field, scope);
    if (!isTemporal(type)) {
      this.reporter.report("J3014", this.place(scope.file, field.span), `\`${printExpression(field)}\` is ${describeType(type)}, not a date: name a \`date\` or \`datetime\` field such as \`customer.birthday\``);
    }
  }

  private steps(steps: A.Step[], scope: Scope): void {
    for (const step of steps) this.step(step, scope);
  }

  private block(block: A.Block | undefined, scope: Scope): void {
    if (block) this.steps(block.steps, scope);
  }

  private step(step: A.Step, scope: Scope): void {
    const file = scope.file;
    switch (step.kind) {
      case "SendStep":
        this.send(step, scope);
        return;
      case "ShowStep": {
        this.channel(step.channel, file, ["in_app"]);
        if (step.template) this.template(step.template, "in_app", file);
        if (step.text) this.inlineText(step.text, scope);
        const parts = step.content.filter((c): c is A.TemplateProp => c.kind === "TemplateProp");
        checkTemplateParts(parts, file, this.journeyTemplateScope(scope), this.reporter, this.options.readFile);
        for (const item of step.content) {
          if (item.kind !== "Recommendation") {
            continue;
          }
          const object = item.object ? this.symbols.objects.get(item.object.text) : undefined;
          if (item.object && object) this.refs.add(file, item.object.span, { kind: "object", name: item.object.text, file: object.file, span: object.node.name?.span });
          if (item.object && !object) {
            const suggestion = closestName(item.object.text, this.symbols.objects.keys());
            const place = this.place(file, item.object.span);
            this.reporter.report("J2006", place, `unknown object \`${item.object.text}\`${didYouMean(suggestion)}`, { fixes: Reporter.rename(place, suggestion) });
          }
          if (item.like) {
            const like = this.expressions.check(item.like, scope);
            if (!["list", "ref", "event", "error"].includes(like.kind)) {
              this.reporter.report("J3019", this.place(file, item.like.span), `\`like\` needs products to be like — a \`ref\`, a list of them, or an event such as \`last purchase.items\` — but \`${printExpression(item.like)}\` is ${describeType(like)}`);
            }
          }
          // Without a known object, `boost` and `where` (which read its fields) cannot be checked.
          if (!object || !item.object) continue;
          const objectScope: Scope = { ...scope, local: { owner: item.object.text, fields: object.fields } };
          if (item.boost) this.expressions.condition(item.boost, objectScope);
          if (item.where) this.expressions.condition(item.where, objectScope);
        }
        return;
      }
      case "WaitStep":
        this.wait(step, scope);
        return;
      case "IfStep":
        for (const branch of step.branches) {
          this.expressions.condition(branch.condition, scope);
          this.block(branch.body, scope);
        }
        this.block(step.otherwise, scope);
        return;
      case "MatchStep":
        this.match(step, scope);
        return;
      case "SplitStep":
        this.percentages(step.arms, step, file, "split");
        for (const arm of step.arms) this.block(arm.body, scope);
        return;
      case "ExperimentStep":
        this.percentages(step.arms, step, file, "experiment");
        for (const arm of step.arms) this.block(arm.body, scope);
        return;
      case "HoldoutStep":
        if (step.percent && (step.percent.value <= 0 || step.percent.value >= 100)) {
          this.reporter.report("J4009", this.place(file, step.percent.span), `a holdout keeps back between 0% and 100% of customers (not ${step.percent.text}), e.g. \`holdout 10%\``);
        }
        return;
      case "SetStep":
        this.set(step, scope);
        return;
      case "ListStep": {
        const list = step.list ? this.symbols.lists.get(step.list.text) : undefined;
        if (step.list && list) this.refs.add(file, step.list.span, { kind: "list", name: step.list.text, file: list.file, span: list.node.name?.span });
        if (step.list && !list && this.symbols.segments.has(step.list.text)) {
          this.reporter.report("J2008", this.place(file, step.list.span), `\`${step.list.text}\` is a segment, which follows the data by itself: only a \`list\` can be added to or removed from; declare one, e.g. \`list ${step.list.text}_list\``);
        } else if (step.list && !list) {
          const suggestion = closestName(step.list.text, this.symbols.lists.keys());
          const place = this.place(file, step.list.span);
          this.reporter.report("J2008", place, `unknown list \`${step.list.text}\`${didYouMean(suggestion)}${suggestion ? "" : `; declare it with \`list ${step.list.text}\``}`, {
            fixes: Reporter.rename(place, suggestion),
          });
        }
        return;
      }
      case "TrackStep":
        this.track(step, scope);
        return;
      case "NotifyStep":
        if (step.target) this.template(step.target, "webhook", file);
        return;
      case "StartJourneyStep": {
        const target = step.journey;
        if (!target) return;
        const journey = this.symbols.journeys.get(target.text);
        const place = this.place(file, target.span);
        if (!journey) {
          const suggestion = closestName(target.text, this.symbols.journeys.keys());
          this.reporter.report("J2007", place, `unknown journey \`${target.text}\`${didYouMean(suggestion)}`, { fixes: Reporter.rename(place, suggestion) });
          return;
        }
        this.refs.add(file, target.span, { kind: "journey", name: target.text, file: journey.file, span: journey.node.name?.span });
        const starts = journey.node.items.find((i): i is A.WhenClause => i.kind === "WhenClause")?.trigger;
        // A journey that starts on an event reads `trigger`; started from here, there would be none.
        if (starts?.kind === "EventTrigger") {
          this.reporter.report("J4011", place, `journey \`${target.text}\` starts ${describeTrigger(starts)} and reads that event, so it cannot be started from another journey: give it \`when api\` or another trigger`, {
            related: [{ file: journey.file, span: starts.span, message: "its trigger is here" }],
          });
        }
        return;
      }
      case "ExitStep":
      case "MissingStep":
        return;
      default: {
        const unknown: never = step;
        return unknown;
      }
    }
  }

  private send(step: A.SendStep, scope: Scope): void {
    const file = scope.file;
    const channel = this.channel(step.channel, file, ["email", "sms", "push", "webhook"]);
    if (step.template && channel) this.template(step.template, channel, file);
    if (step.text) this.inlineText(step.text, scope);
    if (!channel || !step.channel) return;
    const customer = this.symbols.customer;
    if (!customer) return;
    const address: Record<string, string> = { email: "email", sms: "phone" };
    const needed = address[channel];
    if (needed && ![...customer.fields.values()].some((f) => f.type.kind === "scalar" && f.type.name === needed)) {
      this.reporter.report(
        "J3010",
        this.place(file, step.channel.span),
        `\`send ${channel}\` needs the customer's ${needed === "phone" ? "phone number" : "email address"}, but the customer schema has no \`${needed}\` field: add e.g. \`${needed} ${needed}?\` to \`customer { … }\``,
        { related: [{ file: customer.file, span: { start: customer.node.span.start, end: customer.node.span.start + "customer".length }, message: "the customer schema" }] },
      );
    }
    if (this.respectsConsent && channel !== "webhook") {
      const consent = customer.fields.get("consent");
      const flag = consent?.type.kind === "record" ? consent.type.fields.get(channel) : undefined;
      if (!flag || !isBool(flag.type)) {
        this.reporter.report(
          "J3011",
          this.place(file, step.channel.span),
          `the policy says \`respect consent\`, but the customer schema has no \`consent.${channel}\` flag, so no ${channel} could ever be sent: add \`${channel} bool = false\` inside \`consent { … }\``,
        );
      }
    }
  }

  /** A message written in the journey: checked with this journey's trigger event and sent messages. */
  private inlineText(text: A.StringLiteral, scope: Scope): void {
    checkTemplateString(text, scope.file, this.journeyTemplateScope(scope), this.reporter);
  }

  private journeyTemplateScope(scope: Scope) {
    const journey = scope.journey;
    const trigger = journey?.triggerEvent ? { event: journey.triggerEvent } : "none";
    return templateScope(this.symbols, trigger, journey?.aliases.keys() ?? []);
  }

  private template(id: A.Identifier, channel: string, file: string): void {
    const template = this.symbols.templates.get(id.text);
    const place = this.place(file, id.span);
    if (!template) {
      const suggestion = closestName(id.text, this.symbols.templates.keys());
      this.reporter.report("J2004", place, `unknown template \`${id.text}\`${didYouMean(suggestion)}${suggestion ? "" : `; declare it with \`template ${id.text} ${channel} { … }\``}`, {
        fixes: Reporter.rename(place, suggestion),
      });
      return;
    }
    this.refs.add(file, id.span, { kind: "template", name: id.text, file: template.file, span: template.node.name?.span });
    const declared = template.node.channel?.text;
    if (declared && declared !== channel && (channels as readonly string[]).includes(declared)) {
      this.reporter.report("J3012", place, `template \`${id.text}\` is written for ${declared}, but it is sent by ${channel}: use ${/^[aeiou]/.test(channel) ? "an" : "a"} ${channel} template`, {
        related: [{ file: template.file, span: template.node.channel?.span ?? template.node.span, message: `declared as a ${declared} template here` }],
      });
    }
  }

  private wait(step: A.WaitStep, scope: Scope): void {
    const wait = step.wait;
    const file = scope.file;
    if (!wait) return;
    switch (wait.kind) {
      case "WaitDuration":
        if (wait.duration.amount <= 0) this.reporter.report("J3019", this.place(file, wait.duration.span), "a wait must last longer than nothing: remove it, or wait e.g. `1 hour`");
        return;
      case "WaitUntilDate":
        if (wait.field) this.dateField(wait.field, scope);
        return;
      case "WaitForEvent": {
        if (!wait.event) return;
        const fields = this.eventPattern(wait.event, scope);
        const key = wait.matching;
        const matchedField = key ? fields?.get(key.text) : undefined;
        if (key && matchedField) this.refs.add(file, key.span, fieldSymbol(matchedField));
        // `matching cart_id` names the trigger event's field too: renaming either must reach it.
        const triggerField = key && scope.journey?.triggerEvent ? this.symbols.events.get(scope.journey.triggerEvent)?.fields.get(key.text) : undefined;
        if (key && triggerField && triggerField !== matchedField) this.refs.add(file, key.span, fieldSymbol(triggerField));
        if (key && fields) {
          const triggerFields = scope.journey?.triggerEvent ? this.symbols.events.get(scope.journey.triggerEvent)?.fields : undefined;
          if (!fields.has(key.text)) {
            const suggestion = closestName(key.text, fields.keys());
            const place = this.place(file, key.span);
            this.reporter.report("J3009", place, `\`matching ${key.text}\`: ${wait.event.event.text} has no field \`${key.text}\`${didYouMean(suggestion)}`, {
              fixes: Reporter.rename(place, suggestion),
            });
          } else if (!scope.journey?.triggerEvent) {
            this.reporter.report("J3007", this.place(file, key.span), `\`matching ${key.text}\` compares with the trigger event, but journey \`${scope.journey?.name}\` starts ${scope.journey?.triggerDescription}`);
          } else if (triggerFields && !triggerFields.has(key.text)) {
            this.reporter.report(
              "J3009",
              this.place(file, key.span),
              `\`matching ${key.text}\`: the trigger event ${scope.journey.triggerEvent} has no field \`${key.text}\`, so there is nothing to match`,
            );
          }
        }
        if (!wait.timeout) {
          const end = wait.matching?.span.end ?? wait.event.span.end;
          this.reporter.report(
            "J4003",
            this.place(file, wait.event.span),
            `customers for whom no \`${wait.event.event.text}\` comes wait here forever: add a limit such as \`up to 7 days\`${wait.otherwise ? "" : " (and an `else { … }` for them)"}`,
            { fixes: [{ title: "add `up to 7 days`", edits: [{ file, span: { start: end, end }, newText: " up to 7 days" }] }] },
          );
        }
        this.block(wait.otherwise, scope);
        return;
      }
      case "WaitUntilTime":
      case "WaitBestTime":
        return;
      default: {
        const unknown: never = wait;
        return unknown;
      }
    }
  }

  private match(step: A.MatchStep, scope: Scope): void {
    const file = scope.file;
    const subject = step.subject ? this.expressions.check(step.subject, scope) : ({ kind: "error" } as Type);
    const seen = new Map<string, A.Literal>();
    let elseCase: A.MatchCase | undefined;
    for (const matchCase of step.cases) {
      if (matchCase.isElse) {
        if (elseCase) {
          this.reporter.report("J4010", this.place(file, { start: matchCase.span.start, end: matchCase.span.start + "else".length }), "this `match` already has an `else`, so this one never runs: remove it", {
            related: [{ file, span: { start: elseCase.span.start, end: elseCase.span.start + "else".length }, message: "the first `else` is here" }],
          });
        }
        elseCase ??= matchCase;
      }
      for (const value of matchCase.values) {
        const key = JSON.stringify(value.kind === "StringLiteral" ? value.value : printExpression(value));
        const previous = seen.get(key);
        if (previous) {
          this.reporter.report("J4010", this.place(file, value.span), `${printExpression(value)} is already handled by an earlier case, so this one never runs: remove it`, {
            related: [{ file, span: previous.span, message: "handled here first" }],
          });
        } else seen.set(key, value);
        if (subject.kind === "enum" && value.kind === "StringLiteral" && !subject.options.includes(value.value)) {
          const suggestion = closestName(value.value, subject.options);
          const place = this.place(file, value.span);
          this.reporter.report("J3002", place, `"${value.value}" is not one of the choices ${subject.options.map((o) => `"${o}"`).join(", ")}${didYouMean(suggestion ? `"${suggestion}"` : undefined)}`, {
            fixes: Reporter.rename(place, suggestion ? `"${suggestion}"` : undefined),
          });
        } else {
          const valueType = this.expressions.check(value, scope);
          if (subject.kind !== "enum" && !assignable(valueType, subject) && !assignable(subject, valueType)) {
            this.reporter.report("J3001", this.place(file, value.span), `${printExpression(value)} (${describeType(valueType)}) can never equal \`${printExpression(step.subject)}\` (${describeType(subject)})`);
          }
        }
      }
      this.block(matchCase.body, scope);
    }
  }

  private percentages(arms: A.SplitArm[], step: A.SplitStep | A.ExperimentStep, file: string, word: string): void {
    if (arms.length === 0) return;
    const total = arms.reduce((sum, arm) => sum + arm.percent.value, 0);
    if (Math.abs(total - 100) < 1e-9) return;
    const parts = arms.map((a) => a.percent.text).join(" + ");
    // The label names the step when there is one; otherwise the keyword, which then starts the step.
    let at = { start: step.span.start, end: step.span.start + word.length };
    if (step.label) {
      // From the label to the end of the keyword, whatever the spacing after the colon.
      const text = this.texts.get(file) ?? "";
      const keyword = text.indexOf(word, step.label.span.end);
      at = { start: step.label.span.start, end: keyword >= 0 ? keyword + word.length : step.label.span.end };
    }
    this.reporter.report(
      "J4001",
      this.place(file, at),
      `the branches of this ${word} add up to ${formatPercent(total)} (${parts}), not 100%: every customer must land in exactly one branch`,
      { related: arms.map((a) => ({ file, span: a.percent.span, message: a.percent.text })) },
    );
  }

  private set(step: A.SetStep, scope: Scope): void {
    const file = scope.file;
    const target = step.target;
    if (!target) return;
    const isCustomerField =
      (target.kind === "MemberAccess" && target.object.kind === "NameRef" && target.object.name.text === "customer") ||
      (target.kind === "NameRef" && this.symbols.customer?.fields.has(target.name.text));
    const targetType = this.expressions.check(target, scope);
    if (!isCustomerField && targetType.kind !== "error") {
      this.reporter.report("J3016", this.place(file, target.span), `only customer fields can be set: write \`set customer.<field> = …\``);
      return;
    }
    if (!step.value) return;
    if (targetType.kind === "enum" && step.value.kind === "StringLiteral") {
      if (!targetType.options.includes(step.value.value)) {
        const suggestion = closestName(step.value.value, targetType.options);
        const place = this.place(file, step.value.span);
        this.reporter.report("J3002", place, `"${step.value.value}" is not one of the choices ${targetType.options.map((o) => `"${o}"`).join(", ")}${didYouMean(suggestion ? `"${suggestion}"` : undefined)}`, {
          fixes: Reporter.rename(place, suggestion ? `"${suggestion}"` : undefined),
        });
      }
      return;
    }
    const valueType = this.expressions.check(step.value, scope);
    if (!assignable(valueType, targetType)) {
      this.reporter.report("J3016", this.place(file, step.value.span), `\`${printExpression(target)}\` holds ${describeType(targetType)}, but \`${printExpression(step.value)}\` is ${describeType(valueType)}`);
    }
  }

  private track(step: A.TrackStep, scope: Scope): void {
    const file = scope.file;
    if (!step.event) return;
    const fields = this.expressions.event(step.event, scope);
    for (const property of step.properties) {
      const valueType = property.value ? this.expressions.check(property.value, scope) : undefined;
      if (!fields) continue;
      const field = fields.get(property.name.text);
      if (field) this.refs.add(file, property.name.span, fieldSymbol(field));
      const place = this.place(file, property.name.span);
      if (!field) {
        const suggestion = closestName(property.name.text, fields.keys());
        this.reporter.report("J2002", place, `${step.event.text} has no field \`${property.name.text}\`${didYouMean(suggestion)}`, { fixes: Reporter.rename(place, suggestion) });
        continue;
      }
      if (valueType && property.value && !assignable(valueType, field.type) && !(field.type.kind === "enum" && property.value.kind === "StringLiteral" && field.type.options.includes(property.value.value))) {
        this.reporter.report("J3016", this.place(file, property.value.span), `\`${property.name.text}\` holds ${describeType(field.type)}, but \`${printExpression(property.value)}\` is ${describeType(valueType)}`);
      }
    }
  }

  private versionPolicy(clause: A.VersionClause, labels: Map<string, { step: A.Step; label: A.Identifier }>, steps: A.Step[], scope: Scope): void {
    if (clause.policy !== "migrate") return;
    const file = scope.file;
    const targets = new Set<string>();
    for (const migration of clause.migrations) {
      const to = migration.to;
      if (!to) continue;
      targets.add(to.text);
      const target = labels.get(to.text);
      if (target) this.refs.add(file, to.span, { kind: "label", name: to.text, owner: scope.journey?.name, file, span: target.label.span });
      const place = this.place(file, to.span);
      if (!target) {
        const suggestion = closestName(to.text, labels.keys());
        this.reporter.report("J2009", place, `no step is labelled \`${to.text}\` in this journey${suggestion ? didYouMean(suggestion) : `; label the step: \`${to.text}: wait …\``}`, {
          fixes: Reporter.rename(place, suggestion),
        });
      } else if (!canWait(target.step)) {
        this.reporter.report("J4007", place, `\`${to.text}\` is not a step where customers wait, so nobody can be moved onto it: map to a \`wait\` step`);
      }
    }
    // Every step where a customer can be waiting needs a stable name to be mapped onto.
    forEachStep(steps, (step) => {
      if (!canWait(step) || step.label) return;
      this.reporter.report(
        "J4007",
        this.place(file, step.span),
        "customers can be waiting at this step when a new version is published, but it has no label, so `migrate` cannot map them: label it, e.g. `reminder: wait …`",
        { fixes: [{ title: "add a label", edits: [{ file, span: { start: step.span.start, end: step.span.start }, newText: `${suggestLabel(step)}: ` }] }] },
      );
    });
  }

  /** Steps after an `exit` in the same block never run. */
  private unreachable(items: A.JourneyItem[], file: string): void {
    const visit = (list: A.JourneyItem[]) => {
      const exitIndex = list.findIndex((i) => i.kind === "ExitStep");
      const after = exitIndex >= 0 ? list.slice(exitIndex + 1).filter(isStep) : [];
      const first = after[0];
      const last = after[after.length - 1];
      if (first && last) {
        this.reporter.report("J4002", this.place(file, { start: first.span.start, end: last.span.end }), "these steps come after `exit`, so no customer ever reaches them: remove them or move the `exit`", {
          related: [{ file, span: (list[exitIndex] as A.Step).span, message: "the journey ends here" }],
        });
      }
      for (const item of list) for (const block of childBlocks(item)) visit(block.steps);
    };
    visit(items);
  }
}

const scheduleWords = ["day", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

function formatPercent(value: number): string {
  return `${Math.round(value * 100) / 100}%`;
}

function describeTrigger(trigger: A.Trigger | undefined): string {
  switch (trigger?.kind) {
    case "EventTrigger":
      return `on ${trigger.event.event.text}`;
    case "SegmentTrigger":
      return `when a customer ${trigger.change} ${trigger.segment?.text ?? "a segment"}`;
    case "DateTrigger":
      return `on a date (${printExpression(trigger.field)})`;
    case "ScheduleTrigger":
      return "on a schedule";
    case "ApiTrigger":
      return "through the API";
    default:
      return "with no trigger";
  }
}

export function isStep(item: A.JourneyItem): item is A.Step {
  return !["WhenClause", "EntryClause", "GoalClause", "ExitWhenClause", "VersionClause"].includes(item.kind);
}

/** The blocks directly inside a step. */
export function childBlocks(item: A.JourneyItem): A.Block[] {
  switch (item.kind) {
    case "IfStep":
      return [...item.branches.flatMap((b) => (b.body ? [b.body] : [])), ...(item.otherwise ? [item.otherwise] : [])];
    case "MatchStep":
      return item.cases.flatMap((c) => (c.body ? [c.body] : []));
    case "SplitStep":
    case "ExperimentStep":
      return item.arms.flatMap((a) => (a.body ? [a.body] : []));
    case "WaitStep":
      return item.wait?.kind === "WaitForEvent" && item.wait.otherwise ? [item.wait.otherwise] : [];
    default:
      return [];
  }
}

export function forEachStep(steps: A.Step[], visit: (step: A.Step) => void): void {
  for (const step of steps) {
    visit(step);
    for (const block of childBlocks(step)) forEachStep(block.steps, visit);
  }
}

function collectAliases(steps: A.Step[], aliases: Map<string, { channel: string }>): void {
  forEachStep(steps, (step) => {
    if (step.kind === "SendStep" && step.alias) aliases.set(step.alias.text, { channel: step.channel?.text ?? "message" });
  });
}

function canWait(step: A.Step): boolean {
  return step.kind === "WaitStep";
}

function suggestLabel(step: A.Step): string {
  if (step.kind === "WaitStep" && step.wait?.kind === "WaitForEvent" && step.wait.event) return `wait_${step.wait.event.event.text}`;
  return "waiting";
}
