import { CstParser, EMPTY_ALT, EOF, type IParserErrorMessageProvider, type IToken, type TokenType, tokenMatcher } from "chevrotain";
import * as T from "./tokens.js";

/** What each grammar rule means, in words a marketer reads in an error message. */
export const ruleDescriptions: Record<string, string> = {
  sourceFile: "a declaration such as `journey`, `segment`, `event` or `customer`",
  declaration: "a declaration such as `journey`, `segment`, `event` or `customer`",
  customerMember: "a field such as `first_name text?` or `identified by customer_id`",
  fieldDecl: "a field such as `total money`",
  typeExpr: "a type such as `text`, `money`, `date?`, `list of text` or `\"a\" | \"b\"`",
  literal: "a value such as `\"text\"`, `42`, `true` or `2 days`",
  scoreRule: "a score rule such as `+5 on email_opened` or `halves every 30 days`",
  templateProp: "a template part such as `subject \"…\"` or `body file \"templates/x.liquid\"`",
  policyRule: "a policy such as `respect consent`, `quiet hours 21:00 - 08:00` or `at most 3 email per 7 days`",
  journeyItem: "a journey step such as `send email …`, `wait 2 days` or `if … { … }`",
  trigger: "a trigger such as an event name",
  scheduleEvery: "a schedule such as `monday`, `day` or `7 days`",
  entryRule: "`once`, `always` or `every 30 days`",
  versionPolicy: "`drain`, `restart` or `migrate { old -> new }`",
  step: "a journey step such as `send email …`, `wait 2 days` or `if … { … }`",
  waitSpec: "a duration such as `2 days`",
  duration: "a duration such as `2 days`",
  block: "a block `{ … }` of steps",
  matchCase: "a case such as `\"gold\" { … }` or `else { … }`",
  splitArm: "a branch such as `50% { … }`",
  experimentItem: "a variant such as `50% a { … }` or `pick winner by goal after 3 days`",
  inAppItem: "`recommend 4 Product …` or a part such as `title \"…\"`",
  expression: "a condition or a value",
  operand: "a value",
  postfix: "a value",
  primary: "a value such as a field name, `\"text\"`, `42` or `2 days`",
  window: "a time window such as `ever`, `in last 30 days` or `since <event>`",
  callArg: "an argument such as `purchase.total` or `last 90 days`",
  eventPattern: "an event name",
};

/** Extra words for a message, after what was found: the other forms a rule accepts. */
export const ruleHints: Record<string, string> = {
  waitSpec: "a wait can also be `wait until 09:00`, `wait until customer.birthday` or `wait for email_opened up to 2 days`",
  trigger: "a trigger is an event name, `customer enters <segment>`, `on customer.birthday`, `every monday at 10:00` or `api`",
};

function withHint(message: string, ruleName: string): string {
  const hint = ruleHints[ruleName];
  return hint ? `${message}; ${hint}` : message;
}

function describeToken(type: TokenType): string {
  const label = (type as { LABEL?: string }).LABEL;
  return label ?? type.name;
}

function shown(token: IToken): string {
  if (tokenMatcher(token, EOF)) return "the end of the file";
  const image = token.image.length > 30 ? `${token.image.slice(0, 30)}…` : token.image;
  return `\`${image}\``;
}

function after(previous: IToken | undefined): string {
  if (!previous || previous.image === undefined || Number.isNaN(previous.startOffset)) return "";
  return ` after \`${previous.image.length > 30 ? `${previous.image.slice(0, 30)}…` : previous.image}\``;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous }) {
    const compare = actual.image === "=" && expected !== T.Equals ? "; to compare two values, write `==`" : "";
    return `expected ${describeToken(expected)}${after(previous)}, but found ${shown(actual)}${compare}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${shown(firstRedundant)}: expected a declaration such as \`journey\`, \`segment\`, \`event\` or \`customer\``;
  },
  buildNoViableAltMessage({ actual, previous, customUserDescription, ruleName }) {
    const what = customUserDescription ?? ruleDescriptions[ruleName] ?? ruleName;
    const first = actual[0];
    return withHint(`expected ${what}${after(previous)}, but found ${first ? shown(first) : "the end of the file"}`, ruleName);
  },
  buildEarlyExitMessage({ actual, previous, customUserDescription, ruleName }) {
    const what = customUserDescription ?? ruleDescriptions[ruleName] ?? ruleName;
    const first = actual[0];
    return `expected ${what}${after(previous)}, but found ${first ? shown(first) : "the end of the file"}`;
  },
};

/**
 * The grammar of `.journey` files. Error recovery is on: a broken file still yields a CST
 * (with `recoveredNode` marks) that the AST builder turns into a partial tree.
 */
export class JourneyParser extends CstParser {
  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: "onlyOffset",
      errorMessageProvider: messages,
      maxLookahead: 2,
    });
    this.performSelfAnalysis();
  }

  /** The text being parsed: the grammar looks at line breaks in one place (see `expression`). */
  public sourceText = "";

  /** Whether a line break separates the next token from the one before it. */
  private nextStartsLine(): boolean {
    const previous = this.LA(0);
    const next = this.LA(1);
    if (!previous || Number.isNaN(previous.startOffset) || Number.isNaN(next.startOffset)) return false;
    const between = this.sourceText.slice(previous.startOffset + previous.image.length, next.startOffset);
    return between.includes("\n") || between.includes("\r");
  }

  /** A token that cannot start a declaration: consumed one at a time after a syntax error at top level. */
  private isJunk(): boolean {
    const next = this.LA(1);
    if (tokenMatcher(next, EOF)) return false;
    return !T.declarationStarts.some((start) => tokenMatcher(next, start));
  }

  public sourceFile = this.RULE("sourceFile", () => {
    this.MANY(() => {
      this.OR({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          { GATE: () => !this.isJunk(), ALT: () => this.SUBRULE(this.declaration) },
          { GATE: () => this.isJunk(), ALT: () => this.SUBRULE(this.junk) },
        ],
      });
    });
  });

  /** Tokens at top level that start no declaration; reported once per run (J1006). */
  public junk = this.RULE("junk", () => {
    this.AT_LEAST_ONE({
      GATE: () => this.isJunk(),
      DEF: () => this.anyToken(),
    });
  });

  /** Consumes one token of any kind (used only to skip what cannot be read). */
  private anyToken(): void {
    this.CONSUME(T.AnyToken);
  }

  /** A line inside a journey that starts no step: skipped to the end of its line, so the steps after it still count. */
  public strayLine = this.RULE("strayLine", () => {
    const line = this.LA(1);
    this.AT_LEAST_ONE({
      GATE: () => {
        const next = this.LA(1);
        if (tokenMatcher(next, EOF) || tokenMatcher(next, T.RCurly) || tokenMatcher(next, T.LCurly)) return false;
        return next === line || !this.nextStartsLine();
      },
      DEF: () => this.anyToken(),
    });
  });

  public declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.customerDecl) },
      { ALT: () => this.SUBRULE(this.eventDecl) },
      { ALT: () => this.SUBRULE(this.objectDecl) },
      { ALT: () => this.SUBRULE(this.segmentDecl) },
      { ALT: () => this.SUBRULE(this.listDecl) },
      { ALT: () => this.SUBRULE(this.scoreDecl) },
      { ALT: () => this.SUBRULE(this.templateDecl) },
      { ALT: () => this.SUBRULE(this.journeyDecl) },
      { ALT: () => this.SUBRULE(this.policyDecl) },
    ]);
  });

  // ── Schema ────────────────────────────────────────────────────────────────

  public customerDecl = this.RULE("customerDecl", () => {
    this.CONSUME(T.Customer);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.customerMember));
    this.CONSUME(T.RCurly);
  });

  public customerMember = this.RULE("customerMember", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      MAX_LOOKAHEAD: 1,
      DEF: [
        {
          GATE: () => tokenMatcher(this.LA(1), T.Identified) && tokenMatcher(this.LA(2), T.By),
          ALT: () => this.SUBRULE(this.identityClause),
        },
        { ALT: () => this.SUBRULE(this.fieldDecl) },
      ],
    });
  });

  public identityClause = this.RULE("identityClause", () => {
    this.CONSUME(T.Identified);
    this.CONSUME(T.By);
    this.CONSUME(T.Name, { LABEL: "keys" });
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.Name, { LABEL: "keys" });
    });
  });

  public fieldDecl = this.RULE("fieldDecl", () => {
    this.CONSUME(T.Name, { LABEL: "name" });
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.literal, { LABEL: "default" });
    });
  });

  public typeExpr = this.RULE("typeExpr", () => {
    // A field's type is on the field's line: `phone⏎  country country` is a field missing its type.
    this.OR({
      IGNORE_AMBIGUITIES: true,
      ERR_MSG: "a type such as `text`, `money`, `date?`, `list of text` or `\"a\" | \"b\"`",
      DEF: [
        {
          GATE: () => !this.nextStartsLine(),
          ALT: () => {
            this.CONSUME(T.StringLiteral, { LABEL: "options" });
            this.MANY(() => {
              this.CONSUME(T.Pipe);
              this.CONSUME2(T.StringLiteral, { LABEL: "options" });
            });
          },
        },
        {
          GATE: () => !this.nextStartsLine(),
          ALT: () => {
            this.CONSUME(T.Ref);
            this.CONSUME(T.Name, { LABEL: "target" });
          },
        },
        {
          GATE: () => !this.nextStartsLine() && tokenMatcher(this.LA(2), T.Of),
          ALT: () => {
            this.CONSUME(T.List);
            this.CONSUME(T.Of);
            this.SUBRULE(this.typeExpr, { LABEL: "element" });
          },
        },
        {
          GATE: () => !this.nextStartsLine(),
          ALT: () => {
            this.CONSUME(T.LCurly);
            this.MANY2(() => this.SUBRULE(this.fieldDecl, { LABEL: "fields" }));
            this.CONSUME(T.RCurly);
          },
        },
        { GATE: () => !this.nextStartsLine(), ALT: () => this.CONSUME2(T.Name, { LABEL: "named" }) },
        // No type at all: read on, and let the AST builder report the field (the next line is the next field).
        { ALT: EMPTY_ALT() },
      ],
    });
    this.OPTION(() => this.CONSUME(T.Question));
  });

  public literal = this.RULE("literal", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus));
          this.CONSUME(T.NumberLiteral);
          this.OPTION2(() => this.CONSUME(T.Unit));
        },
      },
      { ALT: () => this.CONSUME(T.Percent) },
      { ALT: () => this.CONSUME(T.TimeOfDay) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
    ]);
  });

  public eventDecl = this.RULE("eventDecl", () => {
    this.CONSUME(T.Event);
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.fieldDecl));
    this.CONSUME(T.RCurly);
  });

  public objectDecl = this.RULE("objectDecl", () => {
    this.CONSUME(T.ObjectKw);
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.Key);
    this.CONSUME2(T.Name, { LABEL: "key" });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.fieldDecl));
    this.CONSUME(T.RCurly);
  });

  // ── Segments, lists, scores, templates, policies ─────────────────────────

  public segmentDecl = this.RULE("segmentDecl", () => {
    this.CONSUME(T.Segment);
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  public listDecl = this.RULE("listDecl", () => {
    this.CONSUME(T.List);
    this.CONSUME(T.Name, { LABEL: "name" });
  });

  public scoreDecl = this.RULE("scoreDecl", () => {
    this.CONSUME(T.Score);
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.scoreRule));
    this.CONSUME(T.RCurly);
  });

  public scoreRule = this.RULE("scoreRule", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
          this.CONSUME(T.NumberLiteral);
          this.CONSUME(T.On);
          this.SUBRULE(this.eventPattern);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Halves);
          this.CONSUME(T.Every);
          this.SUBRULE(this.duration);
        },
      },
    ]);
  });

  public templateDecl = this.RULE("templateDecl", () => {
    this.CONSUME(T.Template);
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME2(T.Name, { LABEL: "channel" });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.templateProp));
    this.CONSUME(T.RCurly);
  });

  public templateProp = this.RULE("templateProp", () => {
    this.CONSUME(T.Name, { LABEL: "name" });
    this.OPTION(() => this.CONSUME(T.File));
    this.CONSUME(T.StringLiteral, { LABEL: "value" });
  });

  public policyDecl = this.RULE("policyDecl", () => {
    this.CONSUME(T.Policy);
    this.OPTION(() => this.CONSUME(T.Name, { LABEL: "name" }));
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.policyRule));
    this.CONSUME(T.RCurly);
  });

  public policyRule = this.RULE("policyRule", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Respect);
          this.CONSUME(T.Consent);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Quiet);
          this.CONSUME(T.Unit, { LABEL: "hours" });
          this.CONSUME(T.TimeOfDay, { LABEL: "from" });
          this.CONSUME(T.Minus);
          this.CONSUME2(T.TimeOfDay, { LABEL: "to" });
          this.OPTION(() => this.SUBRULE(this.timeZone));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.At);
          this.CONSUME(T.Most);
          this.CONSUME(T.NumberLiteral, { LABEL: "count" });
          this.CONSUME(T.Name, { LABEL: "channel" });
          this.CONSUME(T.Per);
          this.OR2([
            { ALT: () => this.SUBRULE(this.duration) },
            { ALT: () => this.CONSUME2(T.Unit, { LABEL: "unit" }) },
          ]);
        },
      },
    ]);
  });

  /** `customer time` or `in "Europe/Rome"`. */
  public timeZone = this.RULE("timeZone", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Customer);
          this.CONSUME(T.Time);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.In);
          this.CONSUME(T.StringLiteral, { LABEL: "zone" });
        },
      },
    ]);
  });

  public duration = this.RULE("duration", () => {
    this.CONSUME(T.NumberLiteral);
    this.CONSUME(T.Unit);
  });

  // ── Journeys ──────────────────────────────────────────────────────────────

  public journeyDecl = this.RULE("journeyDecl", () => {
    this.CONSUME(T.Journey);
    this.CONSUME(T.Name, { LABEL: "name" });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: "title" }));
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: () => this.beforeBlockEnd(), DEF: () => this.SUBRULE(this.journeyItem) });
    this.CONSUME(T.RCurly);
  });

  /** Not at a `}` or the end of the file: a block's steps go on. */
  private beforeBlockEnd(): boolean {
    const next = this.LA(1);
    if (tokenMatcher(next, T.RCurly) || tokenMatcher(next, EOF)) return false;
    // A declaration keyword starting a line means the block's `}` is missing: stop, so the declaration survives.
    return !(this.nextStartsLine() && T.declarationStarts.some((t) => tokenMatcher(next, t)) && !tokenMatcher(this.LA(2), T.Colon) && !tokenMatcher(this.LA(2), T.Dot));
  }

  /**
   * Whether the next word starts a new statement on its own line (a step, a setting or a declaration):
   * then it is not the name or value a half-typed line above was missing (`send email⏎  wait 2 days`).
   */
  private atNewStatement(): boolean {
    if (!this.nextStartsLine()) return false;
    const next = this.LA(1);
    const second = this.LA(2);
    if (tokenMatcher(second, T.Colon) || tokenMatcher(second, T.Dot) || tokenMatcher(second, T.LParen)) return false;
    return T.statementStarts.some((t) => tokenMatcher(next, t));
  }

  /** A word followed by `:` is a step label, whatever the word. */
  private notLabel(): boolean {
    return !tokenMatcher(this.LA(2), T.Colon);
  }

  public journeyItem = this.RULE("journeyItem", () => {
    // Chosen by the first word alone, so `entry twice` is reported as a bad entry rule, not as a bad step.
    this.OR({
      IGNORE_AMBIGUITIES: true,
      MAX_LOOKAHEAD: 1,
      DEF: [
        { GATE: () => this.notLabel(), ALT: () => this.SUBRULE(this.whenClause) },
        { GATE: () => this.notLabel(), ALT: () => this.SUBRULE(this.entryClause) },
        { GATE: () => this.notLabel(), ALT: () => this.SUBRULE(this.goalClause) },
        {
          GATE: () => tokenMatcher(this.LA(2), T.When),
          ALT: () => this.SUBRULE(this.exitWhenClause),
        },
        {
          GATE: () => tokenMatcher(this.LA(2), T.New),
          ALT: () => this.SUBRULE(this.versionClause),
        },
        { ALT: () => this.SUBRULE(this.step) },
      ],
    });
  });

  public whenClause = this.RULE("whenClause", () => {
    this.CONSUME(T.When);
    this.SUBRULE(this.trigger);
  });

  public trigger = this.RULE("trigger", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      MAX_LOOKAHEAD: 1,
      DEF: [
        {
          GATE: () => !tokenMatcher(this.LA(2), T.Where),
          ALT: () => {
            this.CONSUME(T.Customer);
            this.OR2({
              ERR_MSG: "`enters` or `leaves` (a segment)",
              DEF: [
                { ALT: () => this.CONSUME(T.Enters, { LABEL: "change" }) },
                { ALT: () => this.CONSUME(T.Leaves, { LABEL: "change" }) },
              ],
            });
            this.CONSUME(T.Name, { LABEL: "segment" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.On);
            this.SUBRULE(this.postfix, { LABEL: "dateField" });
            this.OPTION(() => {
              this.CONSUME(T.At);
              this.CONSUME(T.TimeOfDay);
              this.OPTION2(() => this.SUBRULE(this.timeZone));
            });
          },
        },
        {
          GATE: () => !tokenMatcher(this.LA(2), T.Where),
          ALT: () => {
            this.CONSUME(T.Every);
            this.SUBRULE(this.scheduleEvery);
            this.OPTION3(() => {
              this.CONSUME2(T.At);
              this.CONSUME2(T.TimeOfDay);
              this.OPTION4(() => this.SUBRULE2(this.timeZone));
            });
            this.OPTION5(() => {
              this.CONSUME(T.For);
              this.CONSUME2(T.Name, { LABEL: "audience" });
            });
          },
        },
        {
          GATE: () => !tokenMatcher(this.LA(2), T.Where),
          ALT: () => this.CONSUME(T.Api),
        },
        {
          GATE: () => !this.atNewStatement(),
          ALT: () => {
            this.SUBRULE(this.eventPattern);
            this.OPTION6(() => {
              this.CONSUME(T.Per);
              this.CONSUME3(T.Name, { LABEL: "correlationKey" });
            });
          },
        },
      ],
    });
  });

  public scheduleEvery = this.RULE("scheduleEvery", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.SUBRULE(this.duration) },
        { ALT: () => this.CONSUME(T.Name, { LABEL: "period" }) },
      ],
    });
  });

  public entryClause = this.RULE("entryClause", () => {
    this.CONSUME(T.Entry);
    this.SUBRULE(this.entryRule);
  });

  public entryRule = this.RULE("entryRule", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Once) },
      { ALT: () => this.CONSUME(T.Always) },
      {
        ALT: () => {
          this.CONSUME(T.Every);
          this.SUBRULE(this.duration);
        },
      },
    ]);
  });

  public goalClause = this.RULE("goalClause", () => {
    this.CONSUME(T.Goal);
    this.SUBRULE(this.eventPattern);
    this.OPTION(() => {
      this.CONSUME(T.Within);
      this.SUBRULE(this.duration);
    });
  });

  public exitWhenClause = this.RULE("exitWhenClause", () => {
    this.CONSUME(T.Exit);
    this.CONSUME(T.When);
    this.SUBRULE(this.eventPattern);
  });

  public versionClause = this.RULE("versionClause", () => {
    this.CONSUME(T.On);
    this.CONSUME(T.New);
    this.CONSUME(T.Version);
    this.OPTION(() => this.CONSUME(T.Colon));
    this.SUBRULE(this.versionPolicy);
  });

  public versionPolicy = this.RULE("versionPolicy", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Drain) },
      { ALT: () => this.CONSUME(T.Restart) },
      {
        ALT: () => {
          this.CONSUME(T.Migrate);
          this.CONSUME(T.LCurly);
          this.MANY(() => this.SUBRULE(this.migration));
          this.CONSUME(T.RCurly);
        },
      },
    ]);
  });

  public migration = this.RULE("migration", () => {
    this.CONSUME(T.Name, { LABEL: "from" });
    this.CONSUME(T.Arrow);
    this.CONSUME2(T.Name, { LABEL: "to" });
  });

  public eventPattern = this.RULE("eventPattern", () => {
    this.CONSUME(T.Name, { LABEL: "event" });
    this.OPTION(() => {
      this.CONSUME(T.Where);
      this.SUBRULE(this.expression, { LABEL: "condition" });
    });
  });

  public block = this.RULE("block", () => {
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: () => this.beforeBlockEnd(), DEF: () => this.SUBRULE(this.step) });
    this.CONSUME(T.RCurly);
  });

  public step = this.RULE("step", () => {
    this.OPTION({
      GATE: () => tokenMatcher(this.LA(2), T.Colon),
      DEF: () => {
        this.CONSUME(T.Name, { LABEL: "label" });
        this.CONSUME(T.Colon);
      },
    });
    this.OR({
      ERR_MSG: ruleDescriptions.step,
      IGNORE_AMBIGUITIES: true,
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.SUBRULE(this.sendStep) },
        { ALT: () => this.SUBRULE(this.showStep) },
        { ALT: () => this.SUBRULE(this.waitStep) },
        { ALT: () => this.SUBRULE(this.ifStep) },
        { ALT: () => this.SUBRULE(this.matchStep) },
        { ALT: () => this.SUBRULE(this.splitStep) },
        { ALT: () => this.SUBRULE(this.holdoutStep) },
        { ALT: () => this.SUBRULE(this.experimentStep) },
        { ALT: () => this.SUBRULE(this.setStep) },
        { ALT: () => this.SUBRULE(this.addStep) },
        { ALT: () => this.SUBRULE(this.removeStep) },
        { ALT: () => this.SUBRULE(this.trackStep) },
        { ALT: () => this.SUBRULE(this.notifyStep) },
        { ALT: () => this.SUBRULE(this.startStep) },
        { ALT: () => this.SUBRULE(this.exitStep) },
        {
          GATE: () => !tokenMatcher(this.LA(1), T.RCurly) && !tokenMatcher(this.LA(1), T.LCurly) && !tokenMatcher(this.LA(1), EOF),
          ALT: () => this.SUBRULE(this.strayLine),
        },
      ],
    });
  });

  public sendStep = this.RULE("sendStep", () => {
    this.CONSUME(T.Send);
    this.CONSUME(T.Name, { LABEL: "channel" });
    this.OR({
      ERR_MSG: "a template name or a message in quotes",
      DEF: [
        { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "text" }) },
        { GATE: () => !this.atNewStatement(), ALT: () => this.CONSUME2(T.Name, { LABEL: "template" }) },
      ],
    });
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME3(T.Name, { LABEL: "alias" });
    });
  });

  public showStep = this.RULE("showStep", () => {
    this.CONSUME(T.Show);
    this.CONSUME(T.Name, { LABEL: "channel" });
    // `show in_app` alone on its line: the next line's first word is the next step, not a template.
    this.OPTION({
      GATE: () => !this.nextStartsLine(),
      DEF: () =>
        this.OR([
          { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "text" }) },
          { ALT: () => this.CONSUME2(T.Name, { LABEL: "template" }) },
        ]),
    });
    this.OPTION2(() => {
      this.CONSUME(T.LCurly);
      this.MANY(() => this.SUBRULE(this.inAppItem));
      this.CONSUME(T.RCurly);
    });
  });

  public inAppItem = this.RULE("inAppItem", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => tokenMatcher(this.LA(2), T.NumberLiteral),
          ALT: () => this.SUBRULE(this.recommendation),
        },
        { ALT: () => this.SUBRULE(this.templateProp) },
      ],
    });
  });

  public recommendation = this.RULE("recommendation", () => {
    this.CONSUME(T.Recommend);
    this.CONSUME(T.NumberLiteral, { LABEL: "count" });
    this.CONSUME(T.Name, { LABEL: "object" });
    this.OPTION(() => {
      this.CONSUME(T.Like);
      this.SUBRULE(this.expression, { LABEL: "like" });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Boost);
      this.SUBRULE2(this.expression, { LABEL: "boost" });
    });
    this.OPTION3(() => {
      this.CONSUME(T.Where);
      this.SUBRULE3(this.expression, { LABEL: "where" });
    });
  });

  public waitStep = this.RULE("waitStep", () => {
    this.CONSUME(T.Wait);
    this.SUBRULE(this.waitSpec);
  });

  public waitSpec = this.RULE("waitSpec", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      ERR_MSG: ruleDescriptions.waitSpec,
      DEF: [
        {
          GATE: () => tokenMatcher(this.LA(2), T.Best),
          ALT: () => {
            this.CONSUME(T.For, { LABEL: "bestFor" });
            this.CONSUME(T.Best);
            this.CONSUME(T.Send);
            this.CONSUME(T.Time);
          },
        },
        {
          ALT: () => {
            this.CONSUME2(T.For);
            this.SUBRULE(this.eventPattern);
            this.OPTION(() => {
              this.CONSUME(T.Matching);
              this.CONSUME(T.Name, { LABEL: "matching" });
            });
            this.OPTION2(() => {
              this.CONSUME(T.Up);
              this.CONSUME(T.To);
              this.SUBRULE(this.duration, { LABEL: "timeout" });
            });
            this.OPTION3(() => {
              this.CONSUME(T.Else);
              this.SUBRULE(this.block, { LABEL: "otherwise" });
            });
          },
        },
        {
          GATE: () => tokenMatcher(this.LA(2), T.TimeOfDay),
          ALT: () => {
            this.CONSUME(T.Until, { LABEL: "untilTime" });
            this.CONSUME(T.TimeOfDay);
            this.OPTION4(() => this.SUBRULE(this.timeZone));
          },
        },
        {
          ALT: () => {
            this.CONSUME2(T.Until, { LABEL: "untilDate" });
            this.SUBRULE(this.postfix, { LABEL: "dateField" });
          },
        },
        { ALT: () => this.SUBRULE2(this.duration, { LABEL: "delay" }) },
      ],
    });
  });

  public ifStep = this.RULE("ifStep", () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression, { LABEL: "conditions" });
    this.SUBRULE(this.block, { LABEL: "bodies" });
    this.MANY({
      GATE: () => tokenMatcher(this.LA(2), T.If),
      DEF: () => {
        this.CONSUME(T.Else, { LABEL: "elseIf" });
        this.CONSUME2(T.If);
        this.SUBRULE2(this.expression, { LABEL: "conditions" });
        this.SUBRULE2(this.block, { LABEL: "bodies" });
      },
    });
    this.OPTION(() => {
      this.CONSUME2(T.Else);
      this.SUBRULE3(this.block, { LABEL: "otherwise" });
    });
  });

  public matchStep = this.RULE("matchStep", () => {
    this.CONSUME(T.Match);
    this.SUBRULE(this.expression, { LABEL: "subject" });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.matchCase));
    this.CONSUME(T.RCurly);
  });

  public matchCase = this.RULE("matchCase", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Else) },
      {
        ALT: () => {
          this.SUBRULE(this.literal, { LABEL: "values" });
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.literal, { LABEL: "values" });
          });
        },
      },
    ]);
    this.SUBRULE(this.block);
  });

  public splitStep = this.RULE("splitStep", () => {
    this.CONSUME(T.Split);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.splitArm));
    this.CONSUME(T.RCurly);
  });

  public splitArm = this.RULE("splitArm", () => {
    this.CONSUME(T.Percent);
    this.OPTION(() => this.CONSUME(T.Name, { LABEL: "name" }));
    this.SUBRULE(this.block);
  });

  public holdoutStep = this.RULE("holdoutStep", () => {
    this.CONSUME(T.Holdout);
    this.CONSUME(T.Percent);
  });

  public experimentStep = this.RULE("experimentStep", () => {
    this.CONSUME(T.Experiment);
    this.OPTION(() => this.CONSUME(T.Name, { LABEL: "name" }));
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.experimentItem));
    this.CONSUME(T.RCurly);
  });

  public experimentItem = this.RULE("experimentItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.splitArm) },
      { ALT: () => this.SUBRULE(this.winnerRule) },
    ]);
  });

  public winnerRule = this.RULE("winnerRule", () => {
    this.CONSUME(T.Pick);
    this.CONSUME(T.Winner);
    this.CONSUME(T.By);
    this.CONSUME(T.Goal);
    this.OPTION(() => {
      this.CONSUME(T.After);
      this.SUBRULE(this.duration);
    });
  });

  public setStep = this.RULE("setStep", () => {
    this.CONSUME(T.Set);
    this.SUBRULE(this.postfix, { LABEL: "target" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  public addStep = this.RULE("addStep", () => {
    this.CONSUME(T.Add);
    this.CONSUME(T.To);
    this.OPTION({
      GATE: () => tokenMatcher(this.LA(2), T.Name),
      DEF: () => this.CONSUME(T.List),
    });
    this.CONSUME(T.Name, { LABEL: "list" });
  });

  public removeStep = this.RULE("removeStep", () => {
    this.CONSUME(T.Remove);
    this.CONSUME(T.From);
    this.OPTION({
      GATE: () => tokenMatcher(this.LA(2), T.Name),
      DEF: () => this.CONSUME(T.List),
    });
    this.CONSUME(T.Name, { LABEL: "list" });
  });

  public trackStep = this.RULE("trackStep", () => {
    this.CONSUME(T.Track);
    this.CONSUME(T.Name, { LABEL: "event" });
    this.OPTION(() => {
      this.CONSUME(T.LCurly);
      this.MANY(() => this.SUBRULE(this.assignment));
      this.CONSUME(T.RCurly);
    });
  });

  public assignment = this.RULE("assignment", () => {
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  public notifyStep = this.RULE("notifyStep", () => {
    this.CONSUME(T.Notify);
    this.CONSUME(T.Name, { LABEL: "target" });
  });

  public startStep = this.RULE("startStep", () => {
    this.CONSUME(T.Start);
    this.CONSUME(T.Journey);
    this.CONSUME(T.Name, { LABEL: "journey" });
  });

  public exitStep = this.RULE("exitStep", () => {
    this.CONSUME(T.Exit);
  });

  // ── Expressions ───────────────────────────────────────────────────────────

  /**
   * An expression is read flat — operands and operators in order — and the AST builder applies
   * precedence (`or` < `and` < `not` < comparisons < `+ -` < `* /`). Far fewer tree nodes per value
   * than one grammar rule per precedence level.
   */
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.operand, { LABEL: "operands" });
    this.MANY({
      // `-20 on unsubscribed` on a new line starts a new rule; it does not subtract from the line above.
      // And `purchase where total > 50 in last 30 days`: `in last` is the event's window, not a list.
      GATE: () =>
        !(this.nextStartsLine() && (tokenMatcher(this.LA(1), T.Minus) || tokenMatcher(this.LA(1), T.Plus))) &&
        !(tokenMatcher(this.LA(1), T.In) && tokenMatcher(this.LA(2), T.Last)),
      DEF: () => this.SUBRULE(this.expressionTail, { LABEL: "tails" }),
    });
  });

  public expressionTail = this.RULE("expressionTail", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Or, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.And, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.EqEq, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.NotEq, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.LessEq, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.GreaterEq, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Less, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Greater, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Contains, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Plus, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Minus, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Star, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Slash, { LABEL: "op" }) },
          ]);
          this.SUBRULE(this.operand, { LABEL: "right" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.In, { LABEL: "op" });
          this.OPTION({
            GATE: () => tokenMatcher(this.LA(2), T.Identifier),
            DEF: () => this.CONSUME(T.List),
          });
          this.OR3([
            { ALT: () => this.SUBRULE(this.listLiteral, { LABEL: "list" }) },
            { ALT: () => this.CONSUME(T.Identifier, { LABEL: "listName" }) },
          ]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Is, { LABEL: "op" });
          this.OPTION2(() => this.CONSUME(T.Not));
          this.CONSUME(T.Set);
        },
      },
    ]);
  });

  /** A value with its prefix operators: `not`, `-`. */
  public operand = this.RULE("operand", () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.CONSUME(T.Not, { LABEL: "prefix" }) },
        { ALT: () => this.CONSUME(T.Minus, { LABEL: "prefix" }) },
      ]),
    );
    this.SUBRULE(this.postfix);
  });

  public postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Name, { LABEL: "members" });
    });
  });

  public primary = this.RULE("primary", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.NumberLiteral);
            this.OPTION(() => this.CONSUME(T.Unit));
          },
        },
        { ALT: () => this.CONSUME(T.Percent) },
        { ALT: () => this.CONSUME(T.TimeOfDay) },
        { ALT: () => this.CONSUME(T.StringLiteral) },
        { ALT: () => this.CONSUME(T.True) },
        { ALT: () => this.CONSUME(T.False) },
        {
          ALT: () => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.expression, { LABEL: "inner" });
            this.CONSUME(T.RParen);
          },
        },
        { ALT: () => this.SUBRULE(this.listLiteral) },
        {
          GATE: () => !this.atNewStatement() && tokenMatcher(this.LA(2), T.Name),
          ALT: () => {
            this.CONSUME(T.No);
            this.SUBRULE(this.eventReference, { LABEL: "absent" });
          },
        },
        {
          GATE: () => !this.atNewStatement() && tokenMatcher(this.LA(2), T.Name) && !tokenMatcher(this.LA(2), T.Within),
          ALT: () => {
            this.OR2([
              { ALT: () => this.CONSUME(T.Last, { LABEL: "occurrence" }) },
              { ALT: () => this.CONSUME(T.First, { LABEL: "occurrence" }) },
            ]);
            this.CONSUME2(T.Name, { LABEL: "occurrenceOf" });
            this.OPTION2(() => {
              this.CONSUME(T.Within);
              this.SUBRULE(this.duration, { LABEL: "within" });
            });
          },
        },
        {
          GATE: () => tokenMatcher(this.LA(2), T.LParen),
          ALT: () => {
            this.CONSUME3(T.Name, { LABEL: "callee" });
            this.CONSUME2(T.LParen);
            this.OPTION3(() => {
              this.SUBRULE(this.callArg, { LABEL: "args" });
              this.MANY(() => {
                this.CONSUME(T.Comma);
                this.SUBRULE2(this.callArg, { LABEL: "args" });
              });
            });
            this.CONSUME2(T.RParen);
          },
        },
        { GATE: () => !this.atNewStatement(), ALT: () => this.SUBRULE2(this.eventReference, { LABEL: "reference" }) },
      ],
    });
  });

  /** A name, optionally filtered (`purchase where total > 50`) and windowed (`purchase in last 30 days`). */
  public eventReference = this.RULE("eventReference", () => {
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.CONSUME(T.Where);
      this.SUBRULE(this.expression, { LABEL: "condition" });
    });
    this.OPTION2({
      GATE: () => this.atWindow(true),
      DEF: () => this.SUBRULE(this.window),
    });
  });

  /** At `ever`, `since x`, `in last 30 days` (or, where `bareLast`, `last 30 days`). */
  private atWindow(bareLast: boolean): boolean {
    const next = this.LA(1);
    if (tokenMatcher(next, T.Ever)) return true;
    if (tokenMatcher(next, T.Since)) return true;
    if (tokenMatcher(next, T.In) && tokenMatcher(this.LA(2), T.Last)) return true;
    return bareLast && tokenMatcher(next, T.Last) && tokenMatcher(this.LA(2), T.NumberLiteral);
  }

  public window = this.RULE("window", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.CONSUME(T.Ever) },
        {
          ALT: () => {
            this.CONSUME(T.Since);
            this.CONSUME(T.Name, { LABEL: "since" });
          },
        },
        {
          ALT: () => {
            this.OPTION(() => this.CONSUME(T.In));
            this.CONSUME(T.Last);
            this.SUBRULE(this.duration);
          },
        },
      ],
    });
  });

  public callArg = this.RULE("callArg", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => this.atWindow(true),
          ALT: () => this.SUBRULE(this.window),
        },
        {
          ALT: () => {
            this.SUBRULE(this.expression);
            this.OPTION(() => {
              this.CONSUME(T.Where);
              this.SUBRULE2(this.expression, { LABEL: "filter" });
            });
          },
        },
      ],
    });
  });

  public listLiteral = this.RULE("listLiteral", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: "items" });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression, { LABEL: "items" });
      });
    });
    this.CONSUME(T.RBracket);
  });
}
