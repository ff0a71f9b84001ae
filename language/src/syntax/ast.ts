/**
 * The syntax tree of a `.journey` file. Every node has a `kind` tag and a source `span`
 * (offsets into the file's text; `end` is exclusive). A part that was missing from broken
 * input is `undefined`: the tree is always there, complete or not.
 */

export interface Span {
  start: number;
  end: number;
}

interface Node {
  span: Span;
}

export interface Identifier extends Node {
  kind: "Identifier";
  text: string;
}

export interface DocComment extends Node {
  /** The comment text without the leading `///` and one space, lines joined with "\n". */
  text: string;
}

export interface Comment extends Node {
  kind: "line" | "doc";
  /** The comment as written, including the slashes. */
  text: string;
}

export interface SourceFile extends Node {
  kind: "SourceFile";
  declarations: Declaration[];
  comments: Comment[];
}

export type Declaration =
  | CustomerDecl
  | EventDecl
  | ObjectDecl
  | SegmentDecl
  | ListDecl
  | ScoreDecl
  | TemplateDecl
  | JourneyDecl
  | PolicyDecl;

interface Documented {
  doc?: DocComment;
}

// ── Schema ──────────────────────────────────────────────────────────────────

export interface CustomerDecl extends Node, Documented {
  kind: "CustomerDecl";
  members: CustomerMember[];
}

export type CustomerMember = IdentityClause | FieldDecl;

export interface IdentityClause extends Node {
  kind: "IdentityClause";
  keys: Identifier[];
}

export interface FieldDecl extends Node, Documented {
  kind: "FieldDecl";
  name: Identifier;
  type: TypeExpr | undefined;
  defaultValue?: Literal;
}

export type TypeExpr = NamedType | RefType | ListType | RecordType | UnionType | OptionalType;

export interface NamedType extends Node {
  kind: "NamedType";
  name: Identifier;
}
export interface RefType extends Node {
  kind: "RefType";
  target: Identifier | undefined;
}
export interface ListType extends Node {
  kind: "ListType";
  element: TypeExpr | undefined;
}
export interface RecordType extends Node {
  kind: "RecordType";
  fields: FieldDecl[];
}
export interface UnionType extends Node {
  kind: "UnionType";
  options: StringLiteral[];
}
export interface OptionalType extends Node {
  kind: "OptionalType";
  inner: TypeExpr;
}

export interface EventDecl extends Node, Documented {
  kind: "EventDecl";
  name: Identifier | undefined;
  fields: FieldDecl[];
}

export interface ObjectDecl extends Node, Documented {
  kind: "ObjectDecl";
  name: Identifier | undefined;
  key: Identifier | undefined;
  fields: FieldDecl[];
}

// ── Segments, lists, scores, templates, policies ────────────────────────────

export interface SegmentDecl extends Node, Documented {
  kind: "SegmentDecl";
  name: Identifier | undefined;
  condition: Expression | undefined;
}

export interface ListDecl extends Node, Documented {
  kind: "ListDecl";
  name: Identifier | undefined;
}

export interface ScoreDecl extends Node, Documented {
  kind: "ScoreDecl";
  name: Identifier | undefined;
  rules: ScoreRule[];
}

export type ScoreRule = ScorePoints | ScoreDecay;

export interface ScorePoints extends Node {
  kind: "ScorePoints";
  /** Signed: `-20 on unsubscribed` is -20. */
  points: number;
  event: EventPattern | undefined;
}

export interface ScoreDecay extends Node {
  kind: "ScoreDecay";
  halfLife: DurationLiteral | undefined;
}

export interface TemplateDecl extends Node, Documented {
  kind: "TemplateDecl";
  name: Identifier | undefined;
  channel: Identifier | undefined;
  props: TemplateProp[];
}

export interface TemplateProp extends Node {
  kind: "TemplateProp";
  name: Identifier;
  /** `body file "templates/promo.liquid"`: the value is a path, not the text. */
  fromFile: boolean;
  value: StringLiteral | undefined;
}

export interface PolicyDecl extends Node, Documented {
  kind: "PolicyDecl";
  name?: Identifier;
  rules: PolicyRule[];
}

export type PolicyRule = RespectConsent | QuietHours | FrequencyCap;

export interface RespectConsent extends Node {
  kind: "RespectConsent";
}

export interface QuietHours extends Node {
  kind: "QuietHours";
  from: TimeLiteral | undefined;
  to: TimeLiteral | undefined;
  zone?: TimeZone;
}

/** `customer time` (the customer's own zone) or `in "Europe/Rome"`. */
export type TimeZone = { kind: "CustomerTime"; span: Span } | { kind: "FixedZone"; span: Span; zone: StringLiteral | undefined };

export interface FrequencyCap extends Node {
  kind: "FrequencyCap";
  count: number | undefined;
  channel: Identifier | undefined;
  period: DurationLiteral | undefined;
  /** `per day` (a bare unit: one of it) rather than `per 1 day`. */
  perUnit: boolean;
}

// ── Journeys ────────────────────────────────────────────────────────────────

export interface JourneyDecl extends Node, Documented {
  kind: "JourneyDecl";
  name: Identifier | undefined;
  title?: StringLiteral;
  /** Settings (`when`, `entry`, `goal`, `exit when`, `on new version`) and steps, in source order. */
  items: JourneyItem[];
}

export type JourneyItem = WhenClause | EntryClause | GoalClause | ExitWhenClause | VersionClause | Step;

export interface WhenClause extends Node {
  kind: "WhenClause";
  trigger: Trigger | undefined;
}

export type Trigger = EventTrigger | SegmentTrigger | DateTrigger | ScheduleTrigger | ApiTrigger;

export interface EventTrigger extends Node {
  kind: "EventTrigger";
  event: EventPattern;
  /** `per cart_id`: one enrollment per value of this trigger field. */
  correlationKey?: Identifier;
}

export interface SegmentTrigger extends Node {
  kind: "SegmentTrigger";
  change: "enters" | "leaves";
  segment: Identifier | undefined;
}

export interface DateTrigger extends Node {
  kind: "DateTrigger";
  field: Expression | undefined;
  at?: TimeLiteral;
  zone?: TimeZone;
}

export interface ScheduleTrigger extends Node {
  kind: "ScheduleTrigger";
  /** `every monday` / `every day` (a name) or `every 7 days` (a duration). */
  every: Identifier | DurationLiteral | undefined;
  at?: TimeLiteral;
  zone?: TimeZone;
  audience?: Identifier;
}

export interface ApiTrigger extends Node {
  kind: "ApiTrigger";
}

export interface EventPattern extends Node {
  kind: "EventPattern";
  event: Identifier;
  condition?: Expression;
}

export interface EntryClause extends Node {
  kind: "EntryClause";
  rule: "once" | "always" | "every" | undefined;
  every?: DurationLiteral;
}

export interface GoalClause extends Node {
  kind: "GoalClause";
  event: EventPattern | undefined;
  within?: DurationLiteral;
}

export interface ExitWhenClause extends Node {
  kind: "ExitWhenClause";
  event: EventPattern | undefined;
}

export interface VersionClause extends Node {
  kind: "VersionClause";
  policy: "drain" | "restart" | "migrate" | undefined;
  migrations: Migration[];
}

export interface Migration extends Node {
  kind: "Migration";
  from: Identifier | undefined;
  to: Identifier | undefined;
}

// ── Steps ───────────────────────────────────────────────────────────────────

interface StepNode extends Node {
  /** `reminder: send email …`: keeps the step's identity stable across edits. */
  label?: Identifier;
}

export type Step =
  | SendStep
  | ShowStep
  | WaitStep
  | IfStep
  | MatchStep
  | SplitStep
  | HoldoutStep
  | ExperimentStep
  | SetStep
  | ListStep
  | TrackStep
  | NotifyStep
  | StartJourneyStep
  | ExitStep
  | MissingStep;

export interface Block extends Node {
  kind: "Block";
  steps: Step[];
}

export interface SendStep extends StepNode {
  kind: "SendStep";
  channel: Identifier | undefined;
  /** Either a template name or inline message text. */
  template?: Identifier;
  text?: StringLiteral;
  alias?: Identifier;
}

export interface ShowStep extends StepNode {
  kind: "ShowStep";
  channel: Identifier | undefined;
  template?: Identifier;
  text?: StringLiteral;
  content: InAppItem[];
}

export type InAppItem = Recommendation | TemplateProp;

export interface Recommendation extends Node {
  kind: "Recommendation";
  count: number | undefined;
  object: Identifier | undefined;
  like?: Expression;
  boost?: Expression;
  where?: Expression;
}

export interface WaitStep extends StepNode {
  kind: "WaitStep";
  wait: WaitSpec | undefined;
}

export type WaitSpec = WaitDuration | WaitUntilTime | WaitUntilDate | WaitForEvent | WaitBestTime;

export interface WaitDuration extends Node {
  kind: "WaitDuration";
  duration: DurationLiteral;
}
export interface WaitUntilTime extends Node {
  kind: "WaitUntilTime";
  time: TimeLiteral | undefined;
  zone?: TimeZone;
}
export interface WaitUntilDate extends Node {
  kind: "WaitUntilDate";
  field: Expression | undefined;
}
export interface WaitForEvent extends Node {
  kind: "WaitForEvent";
  event: EventPattern | undefined;
  matching?: Identifier;
  timeout?: DurationLiteral;
  otherwise?: Block;
}
export interface WaitBestTime extends Node {
  kind: "WaitBestTime";
}

export interface IfStep extends StepNode {
  kind: "IfStep";
  branches: ConditionalBranch[];
  otherwise?: Block;
}

export interface ConditionalBranch extends Node {
  kind: "ConditionalBranch";
  condition: Expression | undefined;
  body: Block | undefined;
}

export interface MatchStep extends StepNode {
  kind: "MatchStep";
  subject: Expression | undefined;
  cases: MatchCase[];
}

export interface MatchCase extends Node {
  kind: "MatchCase";
  /** Empty for `else`. */
  values: Literal[];
  isElse: boolean;
  body: Block | undefined;
}

export interface SplitStep extends StepNode {
  kind: "SplitStep";
  arms: SplitArm[];
}

export interface SplitArm extends Node {
  kind: "SplitArm";
  percent: PercentLiteral;
  name?: Identifier;
  body: Block | undefined;
}

export interface HoldoutStep extends StepNode {
  kind: "HoldoutStep";
  percent: PercentLiteral | undefined;
}

export interface ExperimentStep extends StepNode {
  kind: "ExperimentStep";
  name?: Identifier;
  arms: SplitArm[];
  winner?: WinnerRule;
}

export interface WinnerRule extends Node {
  kind: "WinnerRule";
  after?: DurationLiteral;
}

export interface SetStep extends StepNode {
  kind: "SetStep";
  target: Expression | undefined;
  value: Expression | undefined;
}

export interface ListStep extends StepNode {
  kind: "ListStep";
  operation: "add" | "remove";
  /** Whether the optional word `list` was written (`add to list vip`). */
  listKeyword: boolean;
  list: Identifier | undefined;
}

export interface TrackStep extends StepNode {
  kind: "TrackStep";
  event: Identifier | undefined;
  properties: Assignment[];
}

export interface Assignment extends Node {
  kind: "Assignment";
  name: Identifier;
  value: Expression | undefined;
}

export interface NotifyStep extends StepNode {
  kind: "NotifyStep";
  target: Identifier | undefined;
}

export interface StartJourneyStep extends StepNode {
  kind: "StartJourneyStep";
  journey: Identifier | undefined;
}

export interface ExitStep extends StepNode {
  kind: "ExitStep";
}

/** A step that could not be read at all: only its label (if any) survives. */
export interface MissingStep extends StepNode {
  kind: "MissingStep";
}

// ── Expressions ─────────────────────────────────────────────────────────────

export type Expression =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | DurationLiteral
  | TimeLiteral
  | PercentLiteral
  | ListLiteral
  | NameRef
  | MemberAccess
  | Call
  | Binary
  | Unary
  | IsSet
  | Membership
  | EventQuery
  | Occurrence
  | Filtered
  | WindowArg
  | Parenthesized;

export type Literal = NumberLiteral | StringLiteral | BooleanLiteral | DurationLiteral | TimeLiteral | PercentLiteral;

export interface NumberLiteral extends Node {
  kind: "NumberLiteral";
  value: number;
  text: string;
}
export interface StringLiteral extends Node {
  kind: "StringLiteral";
  value: string;
  /** The literal as written, quotes included. */
  raw: string;
}
export interface BooleanLiteral extends Node {
  kind: "BooleanLiteral";
  value: boolean;
}
export type DurationUnit = "minute" | "hour" | "day" | "week" | "month";
export interface DurationLiteral extends Node {
  kind: "DurationLiteral";
  amount: number;
  unit: DurationUnit;
  /** The unit as written (`day` or `days`). */
  unitText: string;
}
export interface TimeLiteral extends Node {
  kind: "TimeLiteral";
  hour: number;
  minute: number;
  text: string;
}
export interface PercentLiteral extends Node {
  kind: "PercentLiteral";
  value: number;
  text: string;
}
export interface ListLiteral extends Node {
  kind: "ListLiteral";
  items: Expression[];
}
export interface NameRef extends Node {
  kind: "NameRef";
  name: Identifier;
}
export interface MemberAccess extends Node {
  kind: "MemberAccess";
  object: Expression;
  member: Identifier;
}
export interface Call extends Node {
  kind: "Call";
  callee: Identifier;
  args: Expression[];
}
export type BinaryOperator = "or" | "and" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "+" | "-" | "*" | "/";
export interface Binary extends Node {
  kind: "Binary";
  operator: BinaryOperator;
  left: Expression;
  right: Expression | undefined;
}
export interface Unary extends Node {
  kind: "Unary";
  operator: "not" | "-";
  operand: Expression | undefined;
}
/** `customer.phone is set` / `is not set`. */
export interface IsSet extends Node {
  kind: "IsSet";
  subject: Expression;
  negated: boolean;
}
/** `country in ["IT", "FR"]` or `in vip_manual`. */
export interface Membership extends Node {
  kind: "Membership";
  subject: Expression;
  collection: ListLiteral | NameRef | undefined;
}
export type Window =
  | { kind: "Ever"; span: Span }
  | { kind: "InLast"; span: Span; duration: DurationLiteral | undefined; written: "in last" | "last" }
  | { kind: "Since"; span: Span; event: Identifier | undefined };
/** `purchase ever`, `purchase in last 30 days`, `no purchase since landing_visited`. */
export interface EventQuery extends Node {
  kind: "EventQuery";
  negated: boolean;
  event: Identifier;
  condition?: Expression;
  window?: Window;
}
/** `last purchase` (its fields follow with `.`), `last purchase within 30 days`. */
export interface Occurrence extends Node {
  kind: "Occurrence";
  which: "last" | "first";
  event: Identifier | undefined;
  within?: DurationLiteral;
}
/** `page_view where url contains "/pricing"` as an aggregate's argument. */
export interface Filtered extends Node {
  kind: "Filtered";
  /** An event (`page_view`) or an event's field (`purchase.total`). */
  subject: Expression;
  condition: Expression | undefined;
}
/** `last 90 days`, `ever`, `since signup` as an aggregate's argument. */
export interface WindowArg extends Node {
  kind: "WindowArg";
  window: Window;
}
export interface Parenthesized extends Node {
  kind: "Parenthesized";
  inner: Expression | undefined;
}
