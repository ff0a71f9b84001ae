import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";

/** Reads a chevrotain CST (possibly partial, after error recovery) into the AST. Never throws on missing parts. */

type Children = Record<string, CstElement[] | undefined>;

function isToken(element: CstElement | undefined): element is IToken {
  return element !== undefined && (element as IToken).image !== undefined;
}

function real(token: IToken | undefined): IToken | undefined {
  if (!token || token.isInsertedInRecovery || Number.isNaN(token.startOffset)) return undefined;
  return token;
}

function tok(node: CstNode | undefined, key: string, index = 0): IToken | undefined {
  const element = node?.children[key]?.[index];
  return isToken(element) ? real(element) : undefined;
}

function toks(node: CstNode | undefined, key: string): IToken[] {
  const elements = node?.children[key] ?? [];
  const result: IToken[] = [];
  for (const element of elements) {
    if (isToken(element)) {
      const token = real(element);
      if (token) result.push(token);
    }
  }
  return result;
}

function sub(node: CstNode | undefined, key: string, index = 0): CstNode | undefined {
  const element = node?.children[key]?.[index];
  return element && !isToken(element) ? element : undefined;
}

function subs(node: CstNode | undefined, key: string): CstNode[] {
  return (node?.children[key] ?? []).filter((element): element is CstNode => !isToken(element));
}

function has(node: CstNode | undefined, key: string): boolean {
  return tok(node, key) !== undefined;
}

/** The end offset (exclusive) of a token: the lexer records only where tokens start. */
export function tokenEnd(token: IToken): number {
  return token.startOffset + token.image.length;
}

/** Where a node's first real token starts: only the first element of each child list can be first. */
function startOf(node: CstNode): number {
  const known = (node as CstNode & { span?: A.Span }).span;
  if (known) return known.end > known.start || known.start > 0 ? known.start : Number.POSITIVE_INFINITY;
  let start = Number.POSITIVE_INFINITY;
  const children = node.children as Children;
  for (const key in children) {
    for (const child of children[key] ?? []) {
      const childStart = isToken(child) ? (real(child)?.startOffset ?? Number.NaN) : startOf(child);
      if (Number.isNaN(childStart) || childStart === Number.POSITIVE_INFINITY) continue;
      if (childStart < start) start = childStart;
      break;
    }
  }
  return start;
}

/** Where a node's last real token ends: only the last element of each child list can be last. */
function endOf(node: CstNode): number {
  const known = (node as CstNode & { span?: A.Span }).span;
  if (known) return known.end > known.start || known.start > 0 ? known.end : Number.NEGATIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const children = node.children as Children;
  for (const key in children) {
    const list = children[key] ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const child = list[i] as CstElement;
      const token = isToken(child) ? real(child) : undefined;
      const childEnd = isToken(child) ? (token ? tokenEnd(token) : Number.NaN) : endOf(child);
      if (Number.isNaN(childEnd) || childEnd === Number.NEGATIVE_INFINITY) continue;
      if (childEnd > end) end = childEnd;
      break;
    }
  }
  return end;
}

/** The span of a CST node: from its first real token to the end of its last one (kept on the node). */
function spanOf(node: CstNode): A.Span {
  const location = node.location;
  if (location && !node.recoveredNode && location.startOffset >= 0 && (location.endOffset ?? -1) >= location.startOffset) {
    return { start: location.startOffset, end: (location.endOffset as number) + 1 };
  }
  const holder = node as CstNode & { span?: A.Span };
  if (holder.span) return holder.span;
  const start = startOf(node);
  const span = Number.isFinite(start) ? { start, end: endOf(node) } : { start: 0, end: 0 };
  holder.span = span;
  return span;
}

function tokenSpan(token: IToken): A.Span {
  return { start: token.startOffset, end: tokenEnd(token) };
}

function join(a: A.Span, b: A.Span | undefined): A.Span {
  return b ? { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) } : a;
}

function ident(token: IToken | undefined): A.Identifier | undefined {
  return token ? { kind: "Identifier", text: token.image, span: tokenSpan(token) } : undefined;
}

export function unquote(raw: string): string {
  let body: string;
  if (raw.startsWith('"""')) body = raw.slice(3, raw.endsWith('"""') && raw.length >= 6 ? -3 : undefined);
  else {
    const quote = raw[0] ?? '"';
    body = raw.slice(1, raw.length > 1 && raw.endsWith(quote) && !raw.endsWith(`\\${quote}`) ? -1 : undefined);
    return body.replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch === "t" ? "\t" : ch));
  }
  return body;
}

function stringLit(token: IToken | undefined): A.StringLiteral | undefined {
  if (!token) return undefined;
  return { kind: "StringLiteral", value: unquote(token.image), raw: token.image, span: tokenSpan(token) };
}

const unitNames: Record<string, A.DurationUnit> = {
  minute: "minute",
  hour: "hour",
  day: "day",
  week: "week",
  month: "month",
};

export function normalizeUnit(text: string): A.DurationUnit {
  return unitNames[text.replace(/s$/, "")] ?? "day";
}

function durationOf(node: CstNode | undefined): A.DurationLiteral | undefined {
  const amount = tok(node, "NumberLiteral");
  const unit = tok(node, "Unit");
  if (!node || !amount || !unit) return undefined;
  return {
    kind: "DurationLiteral",
    amount: Number(amount.image),
    unit: normalizeUnit(unit.image),
    unitText: unit.image,
    span: join(tokenSpan(amount), tokenSpan(unit)),
  };
}

function timeLit(token: IToken | undefined): A.TimeLiteral | undefined {
  if (!token) return undefined;
  const [h, m] = token.image.split(":");
  return { kind: "TimeLiteral", hour: Number(h), minute: Number(m), text: token.image, span: tokenSpan(token) };
}

function percentLit(token: IToken | undefined): A.PercentLiteral | undefined {
  if (!token) return undefined;
  return { kind: "PercentLiteral", value: Number(token.image.slice(0, -1)), text: token.image, span: tokenSpan(token) };
}

function numberLit(token: IToken, negative?: IToken): A.NumberLiteral {
  const span = negative ? join(tokenSpan(negative), tokenSpan(token)) : tokenSpan(token);
  const text = negative ? `-${token.image}` : token.image;
  return { kind: "NumberLiteral", value: Number(text), text, span };
}

// ── Declarations ───────────────────────────────────────────────────────────

/** Lines inside journeys that started no step (filled while building; reported by the caller). */
let strayLines: A.Span[] = [];
/** Fields written without a type (`phone` alone on its line): the grammar lets them through to report them here. */
let untypedFields: A.Identifier[] = [];
/** Expressions with more operators than MAX_OPERATORS: cut there (every tool walks expressions recursively). */
let longExpressions: A.Span[] = [];

/** More operators than this in one expression is reported, and the rest is not read. */
export const MAX_OPERATORS = 256;

export interface BuildResult {
  ast: A.SourceFile;
  strayLines: A.Span[];
  untypedFields: A.Identifier[];
  longExpressions: A.Span[];
}

export function buildSourceFile(cst: CstNode | undefined, textLength: number): BuildResult {
  strayLines = [];
  untypedFields = [];
  longExpressions = [];
  const declarations: A.Declaration[] = [];
  for (const decl of subs(cst, "declaration")) {
    const built = buildDeclaration(decl);
    if (built) declarations.push(built);
  }
  return { ast: { kind: "SourceFile", declarations, comments: [], span: { start: 0, end: textLength } }, strayLines, untypedFields, longExpressions };
}

function buildDeclaration(node: CstNode): A.Declaration | undefined {
  const inner = Object.values(node.children as Children)[0]?.[0];
  if (!inner || isToken(inner)) return undefined;
  const span = spanOf(inner);
  switch (inner.name) {
    case "customerDecl":
      return {
        kind: "CustomerDecl",
        members: subs(inner, "customerMember").flatMap((member): A.CustomerMember[] => {
          const identity = sub(member, "identityClause");
          if (identity) {
            return [{ kind: "IdentityClause", keys: identsOf(identity, "keys"), span: spanOf(identity) } as A.IdentityClause];
          }
          const field = buildField(sub(member, "fieldDecl"));
          return field ? [field] : [];
        }),
        span,
      };
    case "eventDecl":
      return { kind: "EventDecl", name: ident(tok(inner, "name")), fields: buildFields(inner, "fieldDecl"), span };
    case "objectDecl":
      return {
        kind: "ObjectDecl",
        name: ident(tok(inner, "name")),
        key: ident(tok(inner, "key")),
        fields: buildFields(inner, "fieldDecl"),
        span,
      };
    case "segmentDecl":
      return {
        kind: "SegmentDecl",
        name: ident(tok(inner, "name")),
        condition: buildExpression(sub(inner, "expression")),
        span,
      };
    case "listDecl":
      return { kind: "ListDecl", name: ident(tok(inner, "name")), span };
    case "scoreDecl":
      return { kind: "ScoreDecl", name: ident(tok(inner, "name")), rules: buildScoreRules(inner), span };
    case "templateDecl":
      return {
        kind: "TemplateDecl",
        name: ident(tok(inner, "name")),
        channel: ident(tok(inner, "channel")),
        props: subs(inner, "templateProp").flatMap((prop) => {
          const built = buildTemplateProp(prop);
          return built ? [built] : [];
        }),
        span,
      };
    case "policyDecl": {
      const policy: A.PolicyDecl = { kind: "PolicyDecl", rules: buildPolicyRules(inner), span };
      const name = ident(tok(inner, "name"));
      if (name) policy.name = name;
      return policy;
    }
    case "journeyDecl": {
      const journey: A.JourneyDecl = {
        kind: "JourneyDecl",
        name: ident(tok(inner, "name")),
        items: subs(inner, "journeyItem").flatMap((item) => {
          const built = buildJourneyItem(item);
          return built ? [built] : [];
        }),
        span,
      };
      const title = stringLit(tok(inner, "title"));
      if (title) journey.title = title;
      return journey;
    }
    default:
      return undefined;
  }
}

function identsOf(node: CstNode, key: string): A.Identifier[] {
  return toks(node, key).map((token) => ident(token) as A.Identifier);
}

function buildFields(node: CstNode, key: string): A.FieldDecl[] {
  return subs(node, key).flatMap((field) => {
    const built = buildField(field);
    return built ? [built] : [];
  });
}

function buildField(node: CstNode | undefined): A.FieldDecl | undefined {
  const name = ident(tok(node, "name"));
  if (!node || !name) return undefined;
  const field: A.FieldDecl = { kind: "FieldDecl", name, type: buildType(sub(node, "typeExpr")), span: spanOf(node) };
  if (!field.type) untypedFields.push(name);
  const defaultValue = buildLiteral(sub(node, "default"));
  if (defaultValue) field.defaultValue = defaultValue;
  return field;
}

function buildType(node: CstNode | undefined): A.TypeExpr | undefined {
  if (!node) return undefined;
  let type: A.TypeExpr | undefined;
  const span = spanOf(node);
  const question = tok(node, "Question");
  const baseSpan = question ? { start: span.start, end: question.startOffset } : span;
  if (node.children.options) {
    type = {
      kind: "UnionType",
      options: toks(node, "options").map((token) => stringLit(token) as A.StringLiteral),
      span: trimmed(baseSpan, node),
    };
  } else if (node.children.Ref) {
    type = { kind: "RefType", target: ident(tok(node, "target")), span: baseSpan };
  } else if (node.children.Of) {
    type = { kind: "ListType", element: buildType(sub(node, "element")), span: baseSpan };
  } else if (node.children.LCurly) {
    type = { kind: "RecordType", fields: buildFields(node, "fields"), span: baseSpan };
  } else {
    const name = ident(tok(node, "named"));
    if (name) type = { kind: "NamedType", name, span: name.span };
  }
  if (type && question) {
    return { kind: "OptionalType", inner: type, span: join(type.span, tokenSpan(question)) };
  }
  return type;
}

function trimmed(span: A.Span, _node: CstNode): A.Span {
  return span;
}

function buildLiteral(node: CstNode | undefined): A.Literal | undefined {
  if (!node) return undefined;
  const str = tok(node, "StringLiteral");
  if (str) return stringLit(str);
  const num = tok(node, "NumberLiteral");
  if (num) {
    const unit = tok(node, "Unit");
    if (unit) {
      return {
        kind: "DurationLiteral",
        amount: Number(num.image),
        unit: normalizeUnit(unit.image),
        unitText: unit.image,
        span: join(tokenSpan(num), tokenSpan(unit)),
      };
    }
    return numberLit(num, tok(node, "Minus"));
  }
  const percent = percentLit(tok(node, "Percent"));
  if (percent) return percent;
  const time = timeLit(tok(node, "TimeOfDay"));
  if (time) return time;
  const t = tok(node, "True") ?? tok(node, "False");
  if (t) return { kind: "BooleanLiteral", value: t.image === "true", span: tokenSpan(t) };
  return undefined;
}

function buildScoreRules(node: CstNode): A.ScoreRule[] {
  return subs(node, "scoreRule").flatMap((rule): A.ScoreRule[] => {
    const span = spanOf(rule);
    if (rule.children.Halves) return [{ kind: "ScoreDecay", halfLife: durationOf(sub(rule, "duration")), span }];
    const amount = tok(rule, "NumberLiteral");
    if (!amount) return [];
    const sign = tok(rule, "Minus") ? -1 : 1;
    return [{ kind: "ScorePoints", points: sign * Number(amount.image), event: buildEventPattern(sub(rule, "eventPattern")), span }];
  });
}

function buildTemplateProp(node: CstNode): A.TemplateProp | undefined {
  const name = ident(tok(node, "name"));
  if (!name) return undefined;
  return {
    kind: "TemplateProp",
    name,
    fromFile: has(node, "File"),
    value: stringLit(tok(node, "value")),
    span: spanOf(node),
  };
}

function buildTimeZone(node: CstNode | undefined): A.TimeZone | undefined {
  if (!node) return undefined;
  if (node.children.Customer) return { kind: "CustomerTime", span: spanOf(node) };
  return { kind: "FixedZone", zone: stringLit(tok(node, "zone")), span: spanOf(node) };
}

function buildPolicyRules(node: CstNode): A.PolicyRule[] {
  return subs(node, "policyRule").flatMap((rule): A.PolicyRule[] => {
    const span = spanOf(rule);
    if (rule.children.Respect) return [{ kind: "RespectConsent", span }];
    if (rule.children.Quiet) {
      const quiet: A.QuietHours = { kind: "QuietHours", from: timeLit(tok(rule, "from")), to: timeLit(tok(rule, "to")), span };
      const zone = buildTimeZone(sub(rule, "timeZone"));
      if (zone) quiet.zone = zone;
      return [quiet];
    }
    if (rule.children.Most) {
      const count = tok(rule, "count");
      let period = durationOf(sub(rule, "duration"));
      const unit = tok(rule, "unit");
      if (!period && unit) {
        period = { kind: "DurationLiteral", amount: 1, unit: normalizeUnit(unit.image), unitText: unit.image, span: tokenSpan(unit) };
      }
      return [
        {
          kind: "FrequencyCap",
          count: count ? Number(count.image) : undefined,
          channel: ident(tok(rule, "channel")),
          period,
          perUnit: !sub(rule, "duration") && unit !== undefined,
          span,
        },
      ];
    }
    return [];
  });
}

// ── Journeys ───────────────────────────────────────────────────────────────

function buildJourneyItem(node: CstNode): A.JourneyItem | undefined {
  const inner = Object.values(node.children as Children)[0]?.[0];
  if (!inner || isToken(inner)) return undefined;
  const span = spanOf(inner);
  switch (inner.name) {
    case "whenClause":
      return { kind: "WhenClause", trigger: buildTrigger(sub(inner, "trigger")), span };
    case "entryClause": {
      const rule = sub(inner, "entryRule");
      const entry: A.EntryClause = {
        kind: "EntryClause",
        rule: rule?.children.Once ? "once" : rule?.children.Always ? "always" : rule?.children.Every ? "every" : undefined,
        span,
      };
      const every = durationOf(sub(rule, "duration"));
      if (every) entry.every = every;
      return entry;
    }
    case "goalClause": {
      const goal: A.GoalClause = { kind: "GoalClause", event: buildEventPattern(sub(inner, "eventPattern")), span };
      const within = durationOf(sub(inner, "duration"));
      if (within) goal.within = within;
      return goal;
    }
    case "exitWhenClause":
      return { kind: "ExitWhenClause", event: buildEventPattern(sub(inner, "eventPattern")), span };
    case "versionClause": {
      const policy = sub(inner, "versionPolicy");
      return {
        kind: "VersionClause",
        policy: policy?.children.Drain ? "drain" : policy?.children.Restart ? "restart" : policy?.children.Migrate ? "migrate" : undefined,
        migrations: subs(policy, "migration").map((m) => ({
          kind: "Migration",
          from: ident(tok(m, "from")),
          to: ident(tok(m, "to")),
          span: spanOf(m),
        })),
        span,
      };
    }
    case "step":
      return buildStep(inner);
    default:
      return undefined;
  }
}

function buildTrigger(node: CstNode | undefined): A.Trigger | undefined {
  if (!node) return undefined;
  const span = spanOf(node);
  if (node.children.change) {
    const change = tok(node, "change");
    return {
      kind: "SegmentTrigger",
      change: change?.image === "leaves" ? "leaves" : "enters",
      segment: ident(tok(node, "segment")),
      span,
    };
  }
  if (node.children.On) {
    const trigger: A.DateTrigger = { kind: "DateTrigger", field: buildExpression(sub(node, "dateField")), span };
    const at = timeLit(tok(node, "TimeOfDay"));
    if (at) trigger.at = at;
    const zone = buildTimeZone(sub(node, "timeZone"));
    if (zone) trigger.zone = zone;
    return trigger;
  }
  if (node.children.Every) {
    const every = sub(node, "scheduleEvery");
    const trigger: A.ScheduleTrigger = {
      kind: "ScheduleTrigger",
      every: durationOf(sub(every, "duration")) ?? ident(tok(every, "period")),
      span,
    };
    const at = timeLit(tok(node, "TimeOfDay"));
    if (at) trigger.at = at;
    const zone = buildTimeZone(sub(node, "timeZone"));
    if (zone) trigger.zone = zone;
    const audience = ident(tok(node, "audience"));
    if (audience) trigger.audience = audience;
    return trigger;
  }
  if (node.children.Api) return { kind: "ApiTrigger", span };
  const event = buildEventPattern(sub(node, "eventPattern"));
  if (!event) return undefined;
  const trigger: A.EventTrigger = { kind: "EventTrigger", event, span };
  const key = ident(tok(node, "correlationKey"));
  if (key) trigger.correlationKey = key;
  return trigger;
}

function buildEventPattern(node: CstNode | undefined): A.EventPattern | undefined {
  const event = ident(tok(node, "event"));
  if (!node || !event) return undefined;
  const pattern: A.EventPattern = { kind: "EventPattern", event, span: spanOf(node) };
  const condition = buildExpression(sub(node, "condition"));
  if (condition) pattern.condition = condition;
  return pattern;
}

function buildBlock(node: CstNode | undefined): A.Block | undefined {
  if (!node) return undefined;
  return { kind: "Block", steps: subs(node, "step").map(buildStep), span: spanOf(node) };
}

function buildStep(node: CstNode): A.Step {
  const label = ident(tok(node, "label"));
  const step = buildStepBody(node);
  if (label) step.label = label;
  return step;
}

function buildStepBody(node: CstNode): A.Step {
  const span = spanOf(node);
  const children = node.children as Children;
  let inner: CstNode | undefined;
  for (const key in children) {
    if (key === "label" || key === "Colon") continue;
    const element = children[key]?.[0];
    if (element && !isToken(element)) inner = element;
  }
  if (!inner) return { kind: "MissingStep", span };
  switch (inner.name) {
    case "strayLine":
      strayLines.push(spanOf(inner));
      return { kind: "MissingStep", span };
    case "sendStep": {
      const send: A.SendStep = { kind: "SendStep", channel: ident(tok(inner, "channel")), span };
      const template = ident(tok(inner, "template"));
      if (template) send.template = template;
      const text = stringLit(tok(inner, "text"));
      if (text) send.text = text;
      const alias = ident(tok(inner, "alias"));
      if (alias) send.alias = alias;
      return send;
    }
    case "showStep": {
      const show: A.ShowStep = {
        kind: "ShowStep",
        channel: ident(tok(inner, "channel")),
        content: subs(inner, "inAppItem").flatMap((item): A.InAppItem[] => {
          const rec = sub(item, "recommendation");
          if (rec) {
            const count = tok(rec, "count");
            const recommendation: A.Recommendation = {
              kind: "Recommendation",
              count: count ? Number(count.image) : undefined,
              object: ident(tok(rec, "object")),
              span: spanOf(rec),
            };
            const like = buildExpression(sub(rec, "like"));
            if (like) recommendation.like = like;
            const boost = buildExpression(sub(rec, "boost"));
            if (boost) recommendation.boost = boost;
            const where = buildExpression(sub(rec, "where"));
            if (where) recommendation.where = where;
            return [recommendation];
          }
          const prop = sub(item, "templateProp");
          const built = prop ? buildTemplateProp(prop) : undefined;
          return built ? [built] : [];
        }),
        span,
      };
      const template = ident(tok(inner, "template"));
      if (template) show.template = template;
      const text = stringLit(tok(inner, "text"));
      if (text) show.text = text;
      return show;
    }
    case "waitStep":
      return { kind: "WaitStep", wait: buildWaitSpec(sub(inner, "waitSpec")), span };
    case "ifStep": {
      const conditions = subs(inner, "conditions");
      const bodies = subs(inner, "bodies");
      const branches: A.ConditionalBranch[] = [];
      const count = Math.max(conditions.length, bodies.length);
      for (let i = 0; i < count; i++) {
        const condition = buildExpression(conditions[i]);
        const body = buildBlock(bodies[i]);
        const parts = [condition?.span, body?.span].filter((s): s is A.Span => s !== undefined);
        const branchSpan = parts.length ? parts.reduce((a, b) => join(a, b)) : span;
        branches.push({ kind: "ConditionalBranch", condition, body, span: branchSpan });
      }
      const step: A.IfStep = { kind: "IfStep", branches, span };
      const otherwise = buildBlock(sub(inner, "otherwise"));
      if (otherwise) step.otherwise = otherwise;
      return step;
    }
    case "matchStep":
      return {
        kind: "MatchStep",
        subject: buildExpression(sub(inner, "subject")),
        cases: subs(inner, "matchCase").map((c) => ({
          kind: "MatchCase",
          values: subs(c, "values").flatMap((v) => {
            const lit = buildLiteral(v);
            return lit ? [lit] : [];
          }),
          isElse: has(c, "Else"),
          body: buildBlock(sub(c, "block")),
          span: spanOf(c),
        })),
        span,
      };
    case "splitStep":
      return { kind: "SplitStep", arms: buildArms(subs(inner, "splitArm")), span };
    case "holdoutStep":
      return { kind: "HoldoutStep", percent: percentLit(tok(inner, "Percent")), span };
    case "experimentStep": {
      const items = subs(inner, "experimentItem");
      const step: A.ExperimentStep = {
        kind: "ExperimentStep",
        arms: buildArms(items.flatMap((item) => subs(item, "splitArm"))),
        span,
      };
      const name = ident(tok(inner, "name"));
      if (name) step.name = name;
      const winner = items.flatMap((item) => subs(item, "winnerRule"))[0];
      if (winner) {
        const rule: A.WinnerRule = { kind: "WinnerRule", span: spanOf(winner) };
        const afterDuration = durationOf(sub(winner, "duration"));
        if (afterDuration) rule.after = afterDuration;
        step.winner = rule;
      }
      return step;
    }
    case "setStep":
      return {
        kind: "SetStep",
        target: buildExpression(sub(inner, "target")),
        value: buildExpression(sub(inner, "value")),
        span,
      };
    case "addStep":
    case "removeStep":
      return {
        kind: "ListStep",
        operation: inner.name === "addStep" ? "add" : "remove",
        listKeyword: has(inner, "List"),
        list: ident(tok(inner, "list")),
        span,
      };
    case "trackStep":
      return {
        kind: "TrackStep",
        event: ident(tok(inner, "event")),
        properties: subs(inner, "assignment").flatMap((a): A.Assignment[] => {
          const name = ident(tok(a, "name"));
          return name ? [{ kind: "Assignment", name, value: buildExpression(sub(a, "value")), span: spanOf(a) }] : [];
        }),
        span,
      };
    case "notifyStep":
      return { kind: "NotifyStep", target: ident(tok(inner, "target")), span };
    case "startStep":
      return { kind: "StartJourneyStep", journey: ident(tok(inner, "journey")), span };
    case "exitStep":
      return { kind: "ExitStep", span };
    default:
      return { kind: "MissingStep", span };
  }
}

function buildArms(nodes: CstNode[]): A.SplitArm[] {
  return nodes.flatMap((arm): A.SplitArm[] => {
    const percent = percentLit(tok(arm, "Percent"));
    if (!percent) return [];
    const built: A.SplitArm = { kind: "SplitArm", percent, body: buildBlock(sub(arm, "block")), span: spanOf(arm) };
    const name = ident(tok(arm, "name"));
    if (name) built.name = name;
    return [built];
  });
}

function buildWaitSpec(node: CstNode | undefined): A.WaitSpec | undefined {
  if (!node) return undefined;
  const span = spanOf(node);
  if (node.children.bestFor) return { kind: "WaitBestTime", span };
  if (node.children.For) {
    const wait: A.WaitForEvent = { kind: "WaitForEvent", event: buildEventPattern(sub(node, "eventPattern")), span };
    const matching = ident(tok(node, "matching"));
    if (matching) wait.matching = matching;
    const timeout = durationOf(sub(node, "timeout"));
    if (timeout) wait.timeout = timeout;
    const otherwise = buildBlock(sub(node, "otherwise"));
    if (otherwise) wait.otherwise = otherwise;
    return wait;
  }
  if (node.children.untilTime) {
    const wait: A.WaitUntilTime = { kind: "WaitUntilTime", time: timeLit(tok(node, "TimeOfDay")), span };
    const zone = buildTimeZone(sub(node, "timeZone"));
    if (zone) wait.zone = zone;
    return wait;
  }
  if (node.children.untilDate) return { kind: "WaitUntilDate", field: buildExpression(sub(node, "dateField")), span };
  const delay = durationOf(sub(node, "delay"));
  return delay ? { kind: "WaitDuration", duration: delay, span } : undefined;
}

// ── Expressions ────────────────────────────────────────────────────────────

/** Builds any expression-level CST node (`expression`, `operand`, `postfix`, `primary`, …). */
export function buildExpression(node: CstNode | undefined): A.Expression | undefined {
  if (!node) return undefined;
  switch (node.name) {
    case "expression":
      return new ExpressionBuilder(node).build();
    case "postfix":
      return buildPostfix(node);
    case "primary":
      return buildPrimary(node);
    case "callArg": {
      const window = sub(node, "window");
      if (window) return { kind: "WindowArg", window: buildWindow(window), span: spanOf(node) };
      const subject = buildExpression(sub(node, "expression"));
      const filter = sub(node, "filter");
      if (!subject || !node.children.Where) return subject;
      return { kind: "Filtered", subject, condition: buildExpression(filter), span: spanOf(node) };
    }
    case "listLiteral":
      return { kind: "ListLiteral", items: buildAll(subs(node, "items")), span: spanOf(node) };
    default:
      return undefined;
  }
}

function buildAll(nodes: CstNode[]): A.Expression[] {
  return nodes.flatMap((n) => {
    const built = buildExpression(n);
    return built ? [built] : [];
  });
}

/** How tightly each operator binds: `or` < `and` < `not` < comparisons < `+ -` < `* /`. */
const precedence: Record<string, number> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  contains: 4,
  in: 4,
  is: 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
};
const NOT_PRECEDENCE = 3;

/** Precedence climbing over the flat list of operands and operator tails the grammar read. */
class ExpressionBuilder {
  private readonly operands: CstNode[];
  private readonly tails: CstNode[];
  /** Index of the next tail to consume; operand i+1 is the right side of tail i. */
  private next = 0;

  constructor(node: CstNode) {
    this.operands = subs(node, "operands");
    const tails = subs(node, "tails");
    if (tails.length > MAX_OPERATORS) {
      const cut = tails[MAX_OPERATORS] as CstNode;
      longExpressions.push({ start: spanOf(cut).start, end: spanOf(tails[tails.length - 1] as CstNode).end });
    }
    this.tails = tails.slice(0, MAX_OPERATORS);
  }

  build(): A.Expression | undefined {
    const first = this.operands[0];
    return first ? this.climb(this.operand(first), 0) : undefined;
  }

  /** An operand with its prefixes: `-` binds tightest; `not` takes comparisons and arithmetic after it. */
  private operand(node: CstNode): A.Expression | undefined {
    const prefixes = toks(node, "prefix");
    let result = buildPostfix(sub(node, "postfix"));
    for (let i = prefixes.length - 1; i >= 0; i--) {
      const prefix = prefixes[i] as IToken;
      if (prefix.image === "not") {
        // `not a == b` is `not (a == b)`: gather what binds tighter than `not` first.
        result = this.climb(result, NOT_PRECEDENCE + 1);
        result = { kind: "Unary", operator: "not", operand: result, span: { start: prefix.startOffset, end: result?.span.end ?? tokenEnd(prefix) } };
      } else {
        result = { kind: "Unary", operator: "-", operand: result, span: { start: prefix.startOffset, end: result?.span.end ?? tokenEnd(prefix) } };
      }
    }
    return result;
  }

  private climb(left: A.Expression | undefined, minPrecedence: number): A.Expression | undefined {
    while (this.next < this.tails.length) {
      const tail = this.tails[this.next] as CstNode;
      const op = tok(tail, "op");
      const level = op ? (precedence[op.image] ?? 0) : 0;
      if (!op || level < minPrecedence) return left;
      this.next++;
      const tailSpan = spanOf(tail);
      if (op.image === "is") {
        if (left) left = { kind: "IsSet", subject: left, negated: has(tail, "Not"), span: join(left.span, tailSpan) };
        continue;
      }
      if (op.image === "in") {
        const list = sub(tail, "list");
        const listName = ident(tok(tail, "listName"));
        const collection: A.ListLiteral | A.NameRef | undefined = list
          ? (buildExpression(list) as A.ListLiteral)
          : listName
            ? { kind: "NameRef", name: listName, span: listName.span }
            : undefined;
        if (left) left = { kind: "Membership", subject: left, collection, span: join(left.span, tailSpan) };
        continue;
      }
      const rightNode = sub(tail, "right");
      let right = rightNode ? this.operand(rightNode) : undefined;
      // Operators that bind tighter than this one take the right side first (left-associative).
      right = this.climb(right, level + 1);
      if (!left) {
        left = right;
        continue;
      }
      left = { kind: "Binary", operator: op.image as A.BinaryOperator, left, right, span: join(left.span, right?.span ?? tailSpan) };
    }
    return left;
  }
}

function buildPostfix(node: CstNode | undefined): A.Expression | undefined {
  if (!node) return undefined;
  let result = buildExpression(sub(node, "primary"));
  for (const member of toks(node, "members")) {
    if (!result) return undefined;
    const name = ident(member) as A.Identifier;
    result = { kind: "MemberAccess", object: result, member: name, span: join(result.span, name.span) };
  }
  return result;
}

function buildPrimary(node: CstNode): A.Expression | undefined {
  const span = spanOf(node);
  const num = tok(node, "NumberLiteral");
  if (num) {
    const unit = tok(node, "Unit");
    if (unit) {
      return { kind: "DurationLiteral", amount: Number(num.image), unit: normalizeUnit(unit.image), unitText: unit.image, span };
    }
    return numberLit(num);
  }
  const percent = percentLit(tok(node, "Percent"));
  if (percent) return percent;
  const time = timeLit(tok(node, "TimeOfDay"));
  if (time) return time;
  const str = stringLit(tok(node, "StringLiteral"));
  if (str) return str;
  const bool = tok(node, "True") ?? tok(node, "False");
  if (bool) return { kind: "BooleanLiteral", value: bool.image === "true", span };
  if (node.children.LParen && !node.children.callee) {
    return { kind: "Parenthesized", inner: buildExpression(sub(node, "inner")), span };
  }
  const list = sub(node, "listLiteral");
  if (list) return buildExpression(list);
  const absent = sub(node, "absent");
  if (absent) return buildEventReference(absent, true, span);
  const occurrence = tok(node, "occurrence");
  if (occurrence) {
    const result: A.Occurrence = {
      kind: "Occurrence",
      which: occurrence.image === "first" ? "first" : "last",
      event: ident(tok(node, "occurrenceOf")),
      span,
    };
    const within = durationOf(sub(node, "within"));
    if (within) result.within = within;
    return result;
  }
  const callee = ident(tok(node, "callee"));
  if (callee) return { kind: "Call", callee, args: buildAll(subs(node, "args")), span };
  const reference = sub(node, "reference");
  if (reference) return buildEventReference(reference, false, span);
  return undefined;
}

function buildEventReference(node: CstNode, negated: boolean, span: A.Span): A.Expression | undefined {
  const name = ident(tok(node, "Name"));
  if (!name) return undefined;
  const conditionNode = sub(node, "condition");
  const windowNode = sub(node, "window");
  if (!negated && !windowNode && !node.children.Where) return { kind: "NameRef", name, span: name.span };
  if (!negated && !windowNode) {
    return { kind: "Filtered", subject: { kind: "NameRef", name, span: name.span }, condition: buildExpression(conditionNode), span };
  }
  const query: A.EventQuery = { kind: "EventQuery", negated, event: name, span };
  const condition = buildExpression(conditionNode);
  if (condition) query.condition = condition;
  if (windowNode) query.window = buildWindow(windowNode);
  return query;
}

function buildWindow(node: CstNode): A.Window {
  const span = spanOf(node);
  if (node.children.Ever) return { kind: "Ever", span };
  if (node.children.Since) return { kind: "Since", event: ident(tok(node, "since")), span };
  return { kind: "InLast", duration: durationOf(sub(node, "duration")), written: has(node, "In") ? "in last" : "last", span };
}
