import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type * as A from "../syntax/ast.js";
import { parse } from "../syntax/parse.js";

/**
 * The canonical layout of `.journey` files: two-space indentation, one item per line, at most one
 * blank line kept where the author put one, comments kept where they were, field types aligned.
 * It prints from the syntax tree, so the output parses to the same tree (spans aside).
 */

export interface FormatResult {
  /** The formatted text, or `undefined` when the file has syntax errors (it is then left untouched). */
  output: string | undefined;
  diagnostics: Diagnostic[];
}

export function format(text: string, file = "<input>"): FormatResult {
  const parsed = parse(text, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { output: undefined, diagnostics: parsed.diagnostics };
  return { output: printSourceFile(parsed.ast, text), diagnostics: parsed.diagnostics };
}

const INDENT = "  ";

interface Item {
  span: A.Span;
  /** Prints the item at `depth`; multi-line items call back into the printer for their bodies. */
  print(depth: number): void;
}

class Printer {
  readonly lines: string[] = [];
  private nextComment = 0;
  private lastEnd = -1;
  private afterOpen = true;

  constructor(
    readonly text: string,
    readonly comments: A.Comment[],
  ) {}

  /** Emits an item's first line (with any comments before it), then its trailing comment. */
  line(depth: number, content: string, span: A.Span, trailing = true): void {
    this.leadingComments(depth, span.start);
    this.blankLineBefore(span.start);
    this.lines.push(INDENT.repeat(depth) + content);
    this.afterOpen = content.endsWith("{");
    this.lastEnd = span.end;
    if (trailing && !this.afterOpen) this.trailingComment(span.end);
  }

  /** Emits a block's closing line: comments still pending inside the block come first. */
  close(depth: number, content: string, blockEnd: number, trailingFrom?: number): void {
    this.leadingComments(depth + 1, blockEnd - 1);
    this.lines.push(INDENT.repeat(depth) + content);
    this.afterOpen = false;
    this.lastEnd = blockEnd;
    this.trailingComment(trailingFrom ?? blockEnd);
  }

  /** Comments that start before `offset`, each on its own line. */
  leadingComments(depth: number, offset: number): void {
    for (;;) {
      const comment = this.comments[this.nextComment];
      if (!comment || comment.span.start >= offset) return;
      this.blankLineBefore(comment.span.start);
      this.lines.push(INDENT.repeat(depth) + comment.text.trimEnd());
      this.afterOpen = false;
      this.lastEnd = comment.span.end;
      this.nextComment++;
    }
  }

  /** The rest of the file's comments, at the end. */
  finish(): void {
    this.leadingComments(0, Number.POSITIVE_INFINITY);
  }

  private trailingComment(end: number): void {
    const comment = this.comments[this.nextComment];
    if (!comment || comment.span.start < end) return;
    const between = this.text.slice(end, comment.span.start);
    if (/[\r\n]/.test(between)) return;
    this.lines[this.lines.length - 1] += `  ${comment.text.trimEnd()}`;
    this.lastEnd = comment.span.end;
    this.nextComment++;
  }

  private blankLineBefore(start: number): void {
    if (this.afterOpen || this.lastEnd < 0 || this.lines.length === 0) return;
    const gap = this.text.slice(this.lastEnd, start);
    if (/\n[ \t]*\r?\n/.test(gap) || /\r[ \t]*\r/.test(gap)) this.lines.push("");
  }

  /** Whether a comment line or a blank line sits between two offsets (breaks an alignment run). */
  interrupted(from: number, to: number): boolean {
    const ownLine = this.comments.find(
      (c) => c.span.start >= from && c.span.start < to && /[\r\n]/.test(this.text.slice(from, c.span.start)),
    );
    return ownLine !== undefined || /\n[ \t]*\r?\n/.test(this.text.slice(from, to));
  }
}

export function printSourceFile(ast: A.SourceFile, text: string): string {
  const printer = new Printer(text, ast.comments);
  for (const decl of ast.declarations) printDeclaration(printer, decl);
  printer.finish();
  return `${printer.lines.join("\n").replace(/\s+$/, "")}\n`;
}

function name(id: A.Identifier | undefined): string {
  return id?.text ?? "";
}

function printBody(printer: Printer, depth: number, header: string, span: A.Span, items: Item[], emptyInline = true): void {
  if (items.length === 0 && emptyInline && !hasCommentInside(printer, span)) {
    printer.line(depth, `${header} {}`, span);
    return;
  }
  printer.line(depth, `${header} {`, span);
  for (const item of items) item.print(depth + 1);
  printer.close(depth, "}", span.end);
}

function hasCommentInside(printer: Printer, span: A.Span): boolean {
  return printer.comments.some((c) => c.span.start > span.start && c.span.start < span.end);
}

function printDeclaration(printer: Printer, decl: A.Declaration): void {
  switch (decl.kind) {
    case "CustomerDecl":
      printBody(printer, 0, "customer", decl.span, fieldItems(printer, decl.members));
      return;
    case "EventDecl":
      printBody(printer, 0, `event ${name(decl.name)}`, decl.span, fieldItems(printer, decl.fields));
      return;
    case "ObjectDecl":
      printBody(printer, 0, `object ${name(decl.name)} key ${name(decl.key)}`, decl.span, fieldItems(printer, decl.fields));
      return;
    case "SegmentDecl":
      printer.line(0, `segment ${name(decl.name)} = ${expr(decl.condition)}`, decl.span);
      return;
    case "ListDecl":
      printer.line(0, `list ${name(decl.name)}`, decl.span);
      return;
    case "ScoreDecl":
      printBody(
        printer,
        0,
        `score ${name(decl.name)}`,
        decl.span,
        decl.rules.map((rule) => ({
          span: rule.span,
          print: (depth) => {
            const content =
              rule.kind === "ScoreDecay"
                ? `halves every ${duration(rule.halfLife)}`
                : `${rule.points < 0 ? "-" : "+"}${Math.abs(rule.points)} on ${eventPattern(rule.event)}`;
            printer.line(depth, content, rule.span);
          },
        })),
      );
      return;
    case "TemplateDecl":
      printBody(printer, 0, `template ${name(decl.name)} ${name(decl.channel)}`, decl.span, propItems(printer, decl.props));
      return;
    case "PolicyDecl":
      printBody(
        printer,
        0,
        decl.name ? `policy ${decl.name.text}` : "policy",
        decl.span,
        decl.rules.map((rule) => ({ span: rule.span, print: (depth) => printer.line(depth, policyRule(rule), rule.span) })),
      );
      return;
    case "JourneyDecl":
      printBody(
        printer,
        0,
        `journey ${name(decl.name)}${decl.title ? ` ${decl.title.raw}` : ""}`,
        decl.span,
        decl.items.map((item) => journeyItem(printer, item)),
      );
      return;
    default: {
      const unknown: never = decl;
      throw new Error(`unhandled declaration ${(unknown as A.Declaration).kind}`);
    }
  }
}

/** Consecutive simple fields form a run whose types line up in one column. */
function fieldItems(printer: Printer, members: A.CustomerMember[]): Item[] {
  const widths = new Map<A.FieldDecl, number>();
  let run: A.FieldDecl[] = [];
  const endRun = () => {
    const width = Math.max(0, ...run.map((f) => f.name.text.length));
    for (const field of run) widths.set(field, width);
    run = [];
  };
  let previous: A.CustomerMember | undefined;
  for (const member of members) {
    const breaks =
      member.kind !== "FieldDecl" ||
      isRecord(member.type) ||
      (previous !== undefined && printer.interrupted(previous.span.end, member.span.start));
    if (breaks || previous?.kind !== "FieldDecl" || isRecord(previous.type)) endRun();
    if (member.kind === "FieldDecl" && !isRecord(member.type)) run.push(member);
    previous = member;
  }
  endRun();
  return members.map((member) => ({
    span: member.span,
    print: (depth) => {
      if (member.kind === "IdentityClause") {
        printer.line(depth, `identified by ${member.keys.map((k) => k.text).join(", ")}`, member.span);
        return;
      }
      printField(printer, depth, member, widths.get(member) ?? 0);
    },
  }));
}

function isRecord(type: A.TypeExpr | undefined): boolean {
  if (!type) return false;
  if (type.kind === "RecordType") return true;
  if (type.kind === "OptionalType") return isRecord(type.inner);
  if (type.kind === "ListType") return isRecord(type.element);
  return false;
}

function printField(printer: Printer, depth: number, field: A.FieldDecl, width: number): void {
  const defaultText = field.defaultValue ? ` = ${expr(field.defaultValue)}` : "";
  if (!isRecord(field.type)) {
    printer.line(depth, `${field.name.text.padEnd(width)} ${typeText(field.type)}${defaultText}`, field.span);
    return;
  }
  // A record type prints as a block: `consent {` … `}` (or `items list of {` … `}` / `} ?`).
  let prefix = "";
  let suffix = "";
  let record = field.type as A.TypeExpr;
  for (;;) {
    if (record.kind === "ListType" && record.element) {
      prefix += "list of ";
      record = record.element;
    } else if (record.kind === "OptionalType") {
      suffix = `?${suffix}`;
      record = record.inner;
    } else break;
  }
  const fields = (record as A.RecordType).fields;
  const header = `${field.name.text} ${prefix}`.trimEnd();
  const recordSpan = record.span;
  printer.line(depth, `${header} {`, { start: field.span.start, end: recordSpan.start + 1 });
  for (const item of fieldItems(printer, fields)) item.print(depth + 1);
  printer.close(depth, `}${suffix}${defaultText}`, recordSpan.end, field.span.end);
}

function typeText(type: A.TypeExpr | undefined): string {
  if (!type) return "";
  switch (type.kind) {
    case "NamedType":
      return type.name.text;
    case "RefType":
      return `ref ${name(type.target)}`;
    case "ListType":
      return `list of ${typeText(type.element)}`;
    case "UnionType":
      return type.options.map((o) => o.raw).join(" | ");
    case "OptionalType":
      return `${typeText(type.inner)}?`;
    case "RecordType":
      // Only reached for a record nested inside a record's field list printed on one line.
      return `{ ${type.fields.map((f) => `${f.name.text} ${typeText(f.type)}`).join(" ")} }`;
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}

function propItems(printer: Printer, props: A.TemplateProp[]): Item[] {
  const width = Math.max(0, ...props.map((p) => p.name.text.length));
  return props.map((prop) => ({
    span: prop.span,
    print: (depth) => printer.line(depth, templateProp(prop, width), prop.span),
  }));
}

function templateProp(prop: A.TemplateProp, width: number): string {
  return `${prop.name.text.padEnd(width)} ${prop.fromFile ? "file " : ""}${prop.value?.raw ?? '""'}`;
}

function policyRule(rule: A.PolicyRule): string {
  switch (rule.kind) {
    case "RespectConsent":
      return "respect consent";
    case "QuietHours":
      return `quiet hours ${rule.from?.text ?? ""} - ${rule.to?.text ?? ""}${zone(rule.zone)}`;
    case "FrequencyCap": {
      const per = rule.perUnit ? (rule.period?.unitText ?? "") : duration(rule.period);
      return `at most ${rule.count ?? ""} ${name(rule.channel)} per ${per}`;
    }
    default: {
      const unknown: never = rule;
      return unknown;
    }
  }
}

function zone(z: A.TimeZone | undefined): string {
  if (!z) return "";
  return z.kind === "CustomerTime" ? " customer time" : ` in ${z.zone?.raw ?? '""'}`;
}

function duration(d: A.DurationLiteral | undefined): string {
  return d ? `${formatNumber(d.amount)} ${d.unitText}` : "";
}

function formatNumber(n: number): string {
  return String(n);
}

function eventPattern(p: A.EventPattern | undefined): string {
  if (!p) return "";
  return p.condition ? `${p.event.text} where ${expr(p.condition)}` : p.event.text;
}

// ── Journeys ───────────────────────────────────────────────────────────────

function journeyItem(printer: Printer, item: A.JourneyItem): Item {
  return {
    span: item.span,
    print: (depth) => {
      switch (item.kind) {
        case "WhenClause":
          printer.line(depth, `when ${trigger(item.trigger)}`, item.span);
          return;
        case "EntryClause":
          printer.line(depth, `entry ${item.rule === "every" ? `every ${duration(item.every)}` : (item.rule ?? "")}`, item.span);
          return;
        case "GoalClause":
          printer.line(depth, `goal ${eventPattern(item.event)}${item.within ? ` within ${duration(item.within)}` : ""}`, item.span);
          return;
        case "ExitWhenClause":
          printer.line(depth, `exit when ${eventPattern(item.event)}`, item.span);
          return;
        case "VersionClause": {
          if (item.policy !== "migrate") {
            printer.line(depth, `on new version: ${item.policy ?? ""}`, item.span);
            return;
          }
          if (item.migrations.length <= 1) {
            const only = item.migrations[0];
            const body = only ? ` ${name(only.from)} -> ${name(only.to)} ` : "";
            printer.line(depth, `on new version: migrate {${body}}`, item.span);
            return;
          }
          printBody(
            printer,
            depth,
            "on new version: migrate",
            item.span,
            item.migrations.map((m) => ({ span: m.span, print: (d) => printer.line(d, `${name(m.from)} -> ${name(m.to)}`, m.span) })),
          );
          return;
        }
        default:
          printStep(printer, depth, item);
      }
    },
  };
}

function trigger(t: A.Trigger | undefined): string {
  if (!t) return "";
  switch (t.kind) {
    case "EventTrigger":
      return `${eventPattern(t.event)}${t.correlationKey ? ` per ${t.correlationKey.text}` : ""}`;
    case "SegmentTrigger":
      return `customer ${t.change} ${name(t.segment)}`;
    case "DateTrigger":
      return `on ${expr(t.field)}${t.at ? ` at ${t.at.text}` : ""}${zone(t.zone)}`;
    case "ScheduleTrigger": {
      const every = t.every?.kind === "DurationLiteral" ? duration(t.every) : name(t.every);
      return `every ${every}${t.at ? ` at ${t.at.text}` : ""}${zone(t.zone)}${t.audience ? ` for ${t.audience.text}` : ""}`;
    }
    case "ApiTrigger":
      return "api";
    default: {
      const unknown: never = t;
      return unknown;
    }
  }
}

function blockItems(printer: Printer, block: A.Block | undefined): Item[] {
  return (block?.steps ?? []).map((step) => ({ span: step.span, print: (depth) => printStep(printer, depth, step) }));
}

/** `header {` + steps + `}`; returns nothing, prints the closing brace with `closing` (for `} else {`). */
function printBlock(printer: Printer, depth: number, header: string, headerSpan: A.Span, block: A.Block | undefined, closing = "}", closeEnd?: number): void {
  printer.line(depth, `${header} {`, headerSpan);
  for (const item of blockItems(printer, block)) item.print(depth + 1);
  printer.close(depth, closing, block?.span.end ?? headerSpan.end, closeEnd);
}

function printStep(printer: Printer, depth: number, step: A.Step): void {
  const label = step.label ? `${step.label.text}: ` : "";
  const span = step.span;
  switch (step.kind) {
    case "SendStep":
      printer.line(depth, `${label}send ${name(step.channel)} ${step.text?.raw ?? name(step.template)}${step.alias ? ` as ${step.alias.text}` : ""}`, span);
      return;
    case "ShowStep": {
      const what = step.text?.raw ?? step.template?.text;
      const header = `${label}show ${name(step.channel)}${what ? ` ${what}` : ""}`;
      if (step.content.length === 0) {
        printer.line(depth, header, span);
        return;
      }
      const width = Math.max(0, ...step.content.map((c) => (c.kind === "TemplateProp" ? c.name.text.length : 0)));
      printBody(
        printer,
        depth,
        header,
        span,
        step.content.map((c) => ({
          span: c.span,
          print: (d) => printer.line(d, c.kind === "TemplateProp" ? templateProp(c, width) : recommendation(c), c.span),
        })),
      );
      return;
    }
    case "WaitStep":
      printWait(printer, depth, label, step);
      return;
    case "IfStep": {
      let previousEnd = span.start;
      step.branches.forEach((branch, i) => {
        const header = `if ${expr(branch.condition)} {`;
        const bodyStart = branch.body?.span.start ?? span.start;
        if (i === 0) printer.line(depth, `${label}${header}`, { start: span.start, end: bodyStart });
        else printer.close(depth, `} else ${header}`, previousEnd);
        for (const item of blockItems(printer, branch.body)) item.print(depth + 1);
        previousEnd = branch.body?.span.end ?? previousEnd;
      });
      if (step.otherwise) {
        printer.close(depth, "} else {", previousEnd);
        for (const item of blockItems(printer, step.otherwise)) item.print(depth + 1);
        previousEnd = step.otherwise.span.end;
      }
      printer.close(depth, "}", previousEnd, span.end);
      return;
    }
    case "MatchStep":
      printBody(
        printer,
        depth,
        `${label}match ${expr(step.subject)}`,
        span,
        step.cases.map((c) => ({
          span: c.span,
          print: (d) =>
            printBlock(printer, d, c.isElse ? "else" : c.values.map((v) => expr(v)).join(", "), { start: c.span.start, end: c.body?.span.start ?? c.span.end }, c.body),
        })),
        false,
      );
      return;
    case "SplitStep":
      printBody(printer, depth, `${label}split`, span, armItems(printer, step.arms), false);
      return;
    case "HoldoutStep":
      printer.line(depth, `${label}holdout ${step.percent?.text ?? ""}`, span);
      return;
    case "ExperimentStep": {
      const items = armItems(printer, step.arms);
      const winner = step.winner;
      if (winner) {
        items.push({
          span: winner.span,
          print: (d) => printer.line(d, `pick winner by goal${winner.after ? ` after ${duration(winner.after)}` : ""}`, winner.span),
        });
        items.sort((a, b) => a.span.start - b.span.start);
      }
      printBody(printer, depth, `${label}experiment${step.name ? ` ${step.name.text}` : ""}`, span, items, false);
      return;
    }
    case "SetStep":
      printer.line(depth, `${label}set ${expr(step.target)} = ${expr(step.value)}`, span);
      return;
    case "ListStep":
      printer.line(depth, `${label}${step.operation === "add" ? "add to" : "remove from"} ${step.listKeyword ? "list " : ""}${name(step.list)}`, span);
      return;
    case "TrackStep": {
      const header = `${label}track ${name(step.event)}`;
      if (step.properties.length === 0) {
        printer.line(depth, header, span);
        return;
      }
      printBody(
        printer,
        depth,
        header,
        span,
        step.properties.map((p) => ({ span: p.span, print: (d) => printer.line(d, `${p.name.text} = ${expr(p.value)}`, p.span) })),
      );
      return;
    }
    case "NotifyStep":
      printer.line(depth, `${label}notify ${name(step.target)}`, span);
      return;
    case "StartJourneyStep":
      printer.line(depth, `${label}start journey ${name(step.journey)}`, span);
      return;
    case "ExitStep":
      printer.line(depth, `${label}exit`, span);
      return;
    case "MissingStep":
      printer.line(depth, printer.text.slice(span.start, span.end), span);
      return;
    default: {
      const unknown: never = step;
      throw new Error(`unhandled step ${(unknown as A.Step).kind}`);
    }
  }
}

function armItems(printer: Printer, arms: A.SplitArm[]): Item[] {
  return arms.map((arm) => ({
    span: arm.span,
    print: (d) =>
      printBlock(printer, d, `${arm.percent.text}${arm.name ? ` ${arm.name.text}` : ""}`, { start: arm.span.start, end: arm.body?.span.start ?? arm.span.end }, arm.body),
  }));
}

function recommendation(r: A.Recommendation): string {
  let text = `recommend ${r.count ?? ""} ${name(r.object)}`;
  if (r.like) text += ` like ${expr(r.like)}`;
  if (r.boost) text += ` boost ${expr(r.boost)}`;
  if (r.where) text += ` where ${expr(r.where)}`;
  return text;
}

function printWait(printer: Printer, depth: number, label: string, step: A.WaitStep): void {
  const wait = step.wait;
  const span = step.span;
  if (!wait) {
    printer.line(depth, `${label}wait`, span);
    return;
  }
  switch (wait.kind) {
    case "WaitDuration":
      printer.line(depth, `${label}wait ${duration(wait.duration)}`, span);
      return;
    case "WaitUntilTime":
      printer.line(depth, `${label}wait until ${wait.time?.text ?? ""}${zone(wait.zone)}`, span);
      return;
    case "WaitUntilDate":
      printer.line(depth, `${label}wait until ${expr(wait.field)}`, span);
      return;
    case "WaitBestTime":
      printer.line(depth, `${label}wait for best send time`, span);
      return;
    case "WaitForEvent": {
      let header = `${label}wait for ${eventPattern(wait.event)}`;
      if (wait.matching) header += ` matching ${wait.matching.text}`;
      if (wait.timeout) header += ` up to ${duration(wait.timeout)}`;
      if (!wait.otherwise) {
        printer.line(depth, header, span);
        return;
      }
      printBlock(printer, depth, `${header} else`, { start: span.start, end: wait.otherwise.span.start }, wait.otherwise, "}", span.end);
      return;
    }
    default: {
      const unknown: never = wait;
      throw new Error(`unhandled wait ${(unknown as A.WaitSpec).kind}`);
    }
  }
}

// ── Expressions ────────────────────────────────────────────────────────────

function windowText(w: A.Window): string {
  switch (w.kind) {
    case "Ever":
      return "ever";
    case "Since":
      return `since ${name(w.event)}`;
    case "InLast":
      return `${w.written} ${duration(w.duration)}`;
    default: {
      const unknown: never = w;
      return unknown;
    }
  }
}

/** Prints an expression as written: the tree keeps explicit parentheses, so no precedence work is needed. */
export function expr(e: A.Expression | undefined): string {
  if (!e) return "";
  switch (e.kind) {
    case "NumberLiteral":
      return e.text;
    case "StringLiteral":
      return e.raw;
    case "BooleanLiteral":
      return String(e.value);
    case "DurationLiteral":
      return duration(e);
    case "TimeLiteral":
      return e.text;
    case "PercentLiteral":
      return e.text;
    case "ListLiteral":
      return `[${e.items.map(expr).join(", ")}]`;
    case "NameRef":
      return e.name.text;
    case "MemberAccess":
      return `${expr(e.object)}.${e.member.text}`;
    case "Call":
      return `${e.callee.text}(${e.args.map(expr).join(", ")})`;
    case "Binary":
      return `${expr(e.left)} ${e.operator} ${expr(e.right)}`;
    case "Unary":
      return e.operator === "not" ? `not ${expr(e.operand)}` : `-${expr(e.operand)}`;
    case "IsSet":
      return `${expr(e.subject)} is ${e.negated ? "not " : ""}set`;
    case "Membership":
      return `${expr(e.subject)} in ${expr(e.collection)}`;
    case "EventQuery": {
      let text = `${e.negated ? "no " : ""}${e.event.text}`;
      if (e.condition) text += ` where ${expr(e.condition)}`;
      if (e.window) text += ` ${windowText(e.window)}`;
      return text;
    }
    case "Occurrence":
      return `${e.which} ${name(e.event)}${e.within ? ` within ${duration(e.within)}` : ""}`;
    case "Filtered":
      return `${expr(e.subject)} where ${expr(e.condition)}`;
    case "WindowArg":
      return windowText(e.window);
    case "Parenthesized":
      return `(${expr(e.inner)})`;
    default: {
      const unknown: never = e;
      throw new Error(`unhandled expression ${(unknown as A.Expression).kind}`);
    }
  }
}
