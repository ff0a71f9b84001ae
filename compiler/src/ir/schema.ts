/**
 * The graph IR: the contract between the compiler and the runtime, described once in zod. The
 * runtime validates what it loads with these schemas; docs/ir.schema.json is generated from them.
 *
 * A build is three kinds of JSON file, told apart by `kind`: the `manifest`, the `project` (the
 * data schema, segments, lists, scores, templates and policies) and one `journey` file per journey.
 * Every file carries `format: "journey-ir/1"`. See docs/ir.md.
 */
import { z } from "zod";

export const IR_FORMAT = "journey-ir/1";

// ── Shared values ───────────────────────────────────────────────────────────

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

/** ISO-8601, one unit, as written: `PT30M`, `PT1H`, `P2D`, `P1W`, `P3M`. Months are calendar months. */
export const durationSchema = z
  .string()
  .regex(/^P(?:\d+[DWM]|T\d+[HM])$/)
  .meta({ id: "Duration", description: "An ISO-8601 duration with one unit: PT30M, PT1H, P2D, P1W, P3M (calendar months)." });

export const timeOfDaySchema = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/)
  .meta({ id: "TimeOfDay", description: "A time of day on the 24-hour clock, HH:MM." });

const position = z.strictObject({
  line: z.int().min(1),
  column: z.int().min(1),
});

export const sourceRangeSchema = z
  .strictObject({
    file: z.string(),
    start: position,
    end: position,
  })
  .meta({
    id: "SourceRange",
    description: "Where a declaration or step is written: the file relative to the project root; 1-based lines and UTF-16 columns; end exclusive.",
  });

export const zoneSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("customer") }),
    z.strictObject({ kind: z.literal("fixed"), name: z.string().min(1) }),
    z.strictObject({ kind: z.literal("utc") }),
  ])
  .meta({ id: "Zone", description: "The time zone of a time of day: the customer's own (`customer time`), a fixed IANA zone, or UTC when none is written." });

const scalarValue = z.union([z.string(), z.number(), z.boolean()]);

export const valueTypeSchema = z
  .enum(["text", "number", "bool", "date", "datetime", "duration", "time", "list", "record"])
  .meta({ id: "ValueType", description: "What a value read from data is: texts of every kind (enums, emails, refs…) are text; int, number, money and percent are number." });

// ── Expressions (conditions are data) ───────────────────────────────────────

export type ValueType = z.infer<typeof valueTypeSchema>;
export type Duration = string;

export type Window = { kind: "ever" } | { kind: "last"; duration: Duration } | { kind: "since"; event: string };

export type LiteralExpr =
  | { kind: "text"; value: string }
  | { kind: "number"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "duration"; value: Duration }
  | { kind: "time"; value: string }
  | { kind: "percent"; value: number };

/** A field of a record in scope: the customer's profile, the event being filtered, the trigger event, or a recommended object. */
export type FieldSource = "customer" | "event" | "trigger" | "object";

export type Expr =
  | LiteralExpr
  | { kind: "list"; items: Expr[] }
  | { kind: "field"; source: FieldSource; path: string[]; type: ValueType; element?: ValueType; default?: string | number | boolean }
  | { kind: "message"; alias: string; field: "id" | "channel" | "template" }
  | { kind: "occurrence"; which: "last" | "first"; event: string; path: string[]; type: ValueType; element?: ValueType; default?: string | number | boolean }
  | { kind: "get"; of: Expr; path: string[]; type: ValueType; element?: ValueType; default?: string | number | boolean }
  | { kind: "lookup"; object: string; key: Expr }
  | { kind: "list_op"; op: "size" | "first" | "last"; of: Expr; type: ValueType }
  | { kind: "segment"; name: string }
  | { kind: "score"; name: string }
  | { kind: "in_list"; list: string }
  | { kind: "happened"; event: string; where?: Expr; window: Window }
  | { kind: "occurred_within"; which: "last" | "first"; event: string; within: Duration }
  /** `value` reads the summed (averaged…) field of each event, `{ kind: "field", source: "event" }`; absent for count. */
  | { kind: "aggregate"; fn: "count" | "sum" | "avg" | "min" | "max"; event: string; value?: Expr; where?: Expr; window: Window; type: ValueType }
  | { kind: "rfm"; event: string; value: Expr; where?: Expr; dimension: "recency" | "frequency" | "monetary" }
  | { kind: "and"; operands: Expr[] }
  | { kind: "or"; operands: Expr[] }
  | { kind: "not"; operand: Expr }
  | { kind: "compare"; op: "==" | "!=" | "<" | "<=" | ">" | ">="; left: Expr; right: Expr }
  | { kind: "contains"; left: Expr; right: Expr }
  | { kind: "in"; subject: Expr; items: Expr[] }
  | { kind: "is_set"; subject: Expr }
  | { kind: "arithmetic"; op: "+" | "-" | "*" | "/"; left: Expr; right: Expr }
  | { kind: "negate"; operand: Expr };

export type ExprKind = Expr["kind"];

export const windowSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("ever") }),
    z.strictObject({ kind: z.literal("last"), duration: durationSchema }),
    z.strictObject({ kind: z.literal("since"), event: name }),
  ])
  .meta({ id: "Window", description: "Which of a customer's events count: all up to now, the last duration up to now, or those after the customer's most recent `event`." });

const literalSchemas = [
  z.strictObject({ kind: z.literal("text"), value: z.string() }),
  z.strictObject({ kind: z.literal("number"), value: z.number() }),
  z.strictObject({ kind: z.literal("bool"), value: z.boolean() }),
  z.strictObject({ kind: z.literal("duration"), value: durationSchema }),
  z.strictObject({ kind: z.literal("time"), value: timeOfDaySchema }),
  z.strictObject({ kind: z.literal("percent"), value: z.number() }),
] as const;

export const literalSchema: z.ZodType<LiteralExpr> = z.discriminatedUnion("kind", literalSchemas).meta({ id: "Literal" });

export const exprSchema: z.ZodType<Expr> = z
  .lazy(() =>
    z.discriminatedUnion("kind", [
      ...literalSchemas,
      z.strictObject({ kind: z.literal("list"), items: z.array(exprSchema) }),
      z.strictObject({
        kind: z.literal("field"),
        source: z.enum(["customer", "event", "trigger", "object"]),
        path: z.array(name),
        type: valueTypeSchema,
        element: valueTypeSchema.optional(),
        default: scalarValue.optional(),
      }),
      z.strictObject({ kind: z.literal("message"), alias: name, field: z.enum(["id", "channel", "template"]) }),
      z.strictObject({
        kind: z.literal("occurrence"),
        which: z.enum(["last", "first"]),
        event: name,
        path: z.array(name),
        type: valueTypeSchema,
        element: valueTypeSchema.optional(),
        default: scalarValue.optional(),
      }),
      z.strictObject({
        kind: z.literal("get"),
        of: exprSchema,
        path: z.array(name).min(1),
        type: valueTypeSchema,
        element: valueTypeSchema.optional(),
        default: scalarValue.optional(),
      }),
      z.strictObject({ kind: z.literal("lookup"), object: name, key: exprSchema }),
      z.strictObject({ kind: z.literal("list_op"), op: z.enum(["size", "first", "last"]), of: exprSchema, type: valueTypeSchema }),
      z.strictObject({ kind: z.literal("segment"), name }),
      z.strictObject({ kind: z.literal("score"), name }),
      z.strictObject({ kind: z.literal("in_list"), list: name }),
      z.strictObject({ kind: z.literal("happened"), event: name, where: exprSchema.optional(), window: windowSchema }),
      z.strictObject({ kind: z.literal("occurred_within"), which: z.enum(["last", "first"]), event: name, within: durationSchema }),
      z.strictObject({
        kind: z.literal("aggregate"),
        fn: z.enum(["count", "sum", "avg", "min", "max"]),
        event: name,
        value: exprSchema.optional(),
        where: exprSchema.optional(),
        window: windowSchema,
        type: valueTypeSchema,
      }),
      z.strictObject({ kind: z.literal("rfm"), event: name, value: exprSchema, where: exprSchema.optional(), dimension: z.enum(["recency", "frequency", "monetary"]) }),
      z.strictObject({ kind: z.literal("and"), operands: z.array(exprSchema).min(2) }),
      z.strictObject({ kind: z.literal("or"), operands: z.array(exprSchema).min(2) }),
      z.strictObject({ kind: z.literal("not"), operand: exprSchema }),
      z.strictObject({ kind: z.literal("compare"), op: z.enum(["==", "!=", "<", "<=", ">", ">="]), left: exprSchema, right: exprSchema }),
      z.strictObject({ kind: z.literal("contains"), left: exprSchema, right: exprSchema }),
      z.strictObject({ kind: z.literal("in"), subject: exprSchema, items: z.array(exprSchema) }),
      z.strictObject({ kind: z.literal("is_set"), subject: exprSchema }),
      z.strictObject({ kind: z.literal("arithmetic"), op: z.enum(["+", "-", "*", "/"]), left: exprSchema, right: exprSchema }),
      z.strictObject({ kind: z.literal("negate"), operand: exprSchema }),
    ]),
  )
  .meta({ id: "Expr", description: "A condition or value as a tree (never code to evaluate); see docs/ir.md for each kind's meaning." });

// ── The data schema ─────────────────────────────────────────────────────────

export const scalarNames = ["text", "email", "phone", "url", "country", "timezone", "int", "number", "money", "bool", "date", "datetime", "duration", "time", "percent"] as const;

export type FieldType =
  | { kind: "scalar"; name: (typeof scalarNames)[number] }
  | { kind: "enum"; options: string[] }
  | { kind: "list"; element: FieldType }
  | { kind: "record"; fields: Field[] }
  | { kind: "ref"; object: string };

export interface Field {
  name: string;
  type: FieldType;
  optional: boolean;
  default?: string | number | boolean;
  /** A field every customer has whatever the schema says (`anonymous_id`). */
  builtin?: boolean;
  doc?: string;
}

export const fieldTypeSchema: z.ZodType<FieldType> = z
  .lazy(() =>
    z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("scalar"), name: z.enum(scalarNames) }),
      z.strictObject({ kind: z.literal("enum"), options: z.array(z.string()).min(1) }),
      z.strictObject({ kind: z.literal("list"), element: fieldTypeSchema }),
      z.strictObject({ kind: z.literal("record"), fields: z.array(fieldSchema) }),
      z.strictObject({ kind: z.literal("ref"), object: name }),
    ]),
  )
  .meta({ id: "FieldType" });

export const fieldSchema: z.ZodType<Field> = z
  .lazy(() =>
    z.strictObject({
      name,
      type: fieldTypeSchema,
      optional: z.boolean(),
      default: scalarValue.optional(),
      builtin: z.literal(true).optional(),
      doc: z.string().optional(),
    }),
  )
  .meta({ id: "Field" });

export const dataSchemaSchema = z
  .strictObject({
    customer: z.strictObject({
      /** In the order declared. */
      identity: z.array(name),
      fields: z.array(fieldSchema),
    }),
    events: z.array(z.strictObject({ name, doc: z.string().optional(), fields: z.array(fieldSchema), source: sourceRangeSchema })),
    objects: z.array(z.strictObject({ name, key: name, doc: z.string().optional(), fields: z.array(fieldSchema), source: sourceRangeSchema })),
  })
  .meta({ id: "DataSchema" });

// ── Segments, lists, scores, templates, policies ────────────────────────────

export const sqlParamSchema = z
  .discriminatedUnion("kind", [z.strictObject({ kind: z.literal("now") }), z.strictObject({ kind: z.literal("value"), value: scalarValue })])
  .meta({ id: "SqlParam", description: "`now`: the evaluation time (an ISO-8601 timestamp the caller injects); `value`: a constant from the source." });

export const segmentSchema = z
  .strictObject({
    name,
    doc: z.string().optional(),
    /** The condition for one customer. */
    predicate: exprSchema,
    /** The same condition for the whole audience, in PostgreSQL: `query` returns the members' `customer_id`s. */
    sql: z.strictObject({ query: z.string(), params: z.array(sqlParamSchema) }),
    dependsOn: z.strictObject({
      segments: z.array(name),
      events: z.array(name),
      lists: z.array(name),
      scores: z.array(name),
      clock: z.boolean(),
      population: z.boolean(),
    }),
    source: sourceRangeSchema,
  })
  .meta({ id: "Segment" });

export const listSchema = z.strictObject({ name, doc: z.string().optional(), source: sourceRangeSchema }).meta({ id: "List" });

export const scoreSchema = z
  .strictObject({
    name,
    doc: z.string().optional(),
    rules: z.array(z.strictObject({ points: z.number(), event: name, where: exprSchema.optional() })),
    halfLife: durationSchema.optional(),
    source: sourceRangeSchema,
  })
  .meta({ id: "Score" });

export const channelSchema = z.enum(["email", "sms", "push", "webhook", "in_app"]);

export const liquidSchema = z
  .strictObject({ liquid: z.string(), file: z.string().optional() })
  .meta({ id: "Liquid", description: "Liquid source, parsed at build time; `file` says which project file it was read from." });

export const templateSchema = z
  .strictObject({
    name,
    channel: channelSchema,
    doc: z.string().optional(),
    parts: z.record(name, liquidSchema),
    source: sourceRangeSchema,
  })
  .meta({ id: "Template" });

export const policyRuleSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("respect_consent") }),
    z.strictObject({ kind: z.literal("quiet_hours"), from: timeOfDaySchema, to: timeOfDaySchema, zone: zoneSchema }),
    z.strictObject({ kind: z.literal("frequency_cap"), channel: channelSchema, count: z.int().min(0), period: durationSchema }),
  ])
  .meta({ id: "PolicyRule" });

export const policySchema = z
  .strictObject({ name: name.optional(), doc: z.string().optional(), rules: z.array(policyRuleSchema), source: sourceRangeSchema })
  .meta({ id: "Policy" });

// ── Journeys ────────────────────────────────────────────────────────────────

export const triggerSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("event"), event: name, where: exprSchema.optional() }),
    z.strictObject({ kind: z.literal("segment"), change: z.enum(["enters", "leaves"]), segment: name }),
    z.strictObject({ kind: z.literal("date"), field: exprSchema, at: timeOfDaySchema.optional(), zone: zoneSchema }),
    z.strictObject({
      kind: z.literal("schedule"),
      every: z.discriminatedUnion("kind", [
        z.strictObject({ kind: z.literal("day") }),
        z.strictObject({ kind: z.literal("weekday"), day: z.enum(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]) }),
        z.strictObject({ kind: z.literal("period"), period: durationSchema }),
      ]),
      at: timeOfDaySchema.optional(),
      zone: zoneSchema,
      audience: name.optional(),
    }),
    z.strictObject({ kind: z.literal("api") }),
  ])
  .meta({ id: "Trigger" });

const eventPatternSchema = z.strictObject({ event: name, where: exprSchema.optional() });

export const nodeIdSchema = z
  .string()
  .regex(/^(?:[A-Za-z_][A-Za-z0-9_]*|[a-z_]+-[0-9a-f]{8,16}|journey-(?:start|end))$/)
  .meta({ id: "NodeId", description: "A step's label, or `<kind>-<hash>` derived from the step (see docs/ir.md), or journey-start / journey-end." });

const nodeBase = {
  id: nodeIdSchema,
  /** The step's label, when it has one (then it is also the id). */
  label: name.optional(),
  /** The step as a person reads it, on one line: `wait for purchase matching cart_id up to 1 day`. */
  text: z.string(),
  source: sourceRangeSchema,
};

export const recommendationSchema = z.strictObject({
  count: z.int().min(1),
  object: name,
  like: exprSchema.optional(),
  boost: exprSchema.optional(),
  where: exprSchema.optional(),
});

export const waitSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("duration"), duration: durationSchema }),
    z.strictObject({ kind: z.literal("until_time"), time: timeOfDaySchema, zone: zoneSchema }),
    z.strictObject({ kind: z.literal("until_date"), field: exprSchema }),
    z.strictObject({ kind: z.literal("event"), event: name, where: exprSchema.optional(), matching: name.optional(), timeout: durationSchema.optional() }),
    z.strictObject({ kind: z.literal("best_time") }),
  ])
  .meta({ id: "Wait" });

export const nodeSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ ...nodeBase, kind: z.literal("start") }),
    z.strictObject({ ...nodeBase, kind: z.literal("end") }),
    z.strictObject({
      ...nodeBase,
      kind: z.literal("send"),
      channel: z.enum(["email", "sms", "push", "webhook"]),
      template: name.optional(),
      message: liquidSchema.optional(),
      alias: name.optional(),
    }),
    z.strictObject({
      ...nodeBase,
      kind: z.literal("show"),
      channel: z.literal("in_app"),
      template: name.optional(),
      message: liquidSchema.optional(),
      parts: z.record(name, liquidSchema),
      recommendations: z.array(recommendationSchema),
    }),
    z.strictObject({ ...nodeBase, kind: z.literal("wait"), wait: waitSchema }),
    z.strictObject({ ...nodeBase, kind: z.literal("if") }),
    z.strictObject({ ...nodeBase, kind: z.literal("match"), subject: exprSchema }),
    z.strictObject({ ...nodeBase, kind: z.literal("split") }),
    z.strictObject({ ...nodeBase, kind: z.literal("holdout"), percent: z.number().gt(0).lt(100) }),
    z.strictObject({
      ...nodeBase,
      kind: z.literal("experiment"),
      name: name.optional(),
      winner: z.strictObject({ by: z.literal("goal"), after: durationSchema.optional() }).optional(),
    }),
    z.strictObject({ ...nodeBase, kind: z.literal("set"), field: z.array(name).min(1), value: exprSchema }),
    z.strictObject({ ...nodeBase, kind: z.literal("list"), operation: z.enum(["add", "remove"]), list: name }),
    z.strictObject({ ...nodeBase, kind: z.literal("track"), event: name, properties: z.array(z.strictObject({ name, value: exprSchema })) }),
    z.strictObject({ ...nodeBase, kind: z.literal("notify"), template: name }),
    z.strictObject({ ...nodeBase, kind: z.literal("start_journey"), journey: name }),
    z.strictObject({ ...nodeBase, kind: z.literal("exit") }),
  ])
  .meta({ id: "Node" });

const edgeBase = { from: nodeIdSchema, to: nodeIdSchema };

export const edgeSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ ...edgeBase, kind: z.literal("next") }),
    z.strictObject({ ...edgeBase, kind: z.literal("event"), text: z.string() }),
    z.strictObject({ ...edgeBase, kind: z.literal("timeout"), text: z.string() }),
    z.strictObject({ ...edgeBase, kind: z.literal("branch"), condition: exprSchema, text: z.string() }),
    z.strictObject({ ...edgeBase, kind: z.literal("case"), values: z.array(literalSchema).min(1), text: z.string() }),
    z.strictObject({ ...edgeBase, kind: z.literal("else"), text: z.string() }),
    z.strictObject({ ...edgeBase, kind: z.literal("arm"), percent: z.number().gt(0).max(100), name: name.optional(), text: z.string() }),
    z.strictObject({ ...edgeBase, kind: z.literal("control"), percent: z.number().gt(0).lt(100), text: z.string() }),
  ])
  .meta({ id: "Edge" });

export const journeyFileSchema = z
  .strictObject({
    format: z.literal(IR_FORMAT),
    kind: z.literal("journey"),
    name,
    title: z.string().optional(),
    doc: z.string().optional(),
    /** sha256 (hex) of this journey's canonical JSON without `hash` and without source ranges. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    trigger: triggerSchema,
    entry: z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("once") }),
      z.strictObject({ kind: z.literal("always") }),
      z.strictObject({ kind: z.literal("every"), period: durationSchema }),
    ]),
    correlationKey: name.optional(),
    goal: eventPatternSchema.extend({ within: durationSchema.optional() }).optional(),
    exits: z.array(eventPatternSchema),
    onNewVersion: z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("drain") }),
      z.strictObject({ kind: z.literal("restart") }),
      z.strictObject({ kind: z.literal("migrate"), map: z.array(z.strictObject({ from: name, to: name })) }),
    ]),
    start: nodeIdSchema,
    nodes: z.array(nodeSchema),
    edges: z.array(edgeSchema),
    source: sourceRangeSchema,
  })
  .meta({ id: "JourneyFile", title: "One journey: its settings and its graph" });

export const projectFileSchema = z
  .strictObject({
    format: z.literal(IR_FORMAT),
    kind: z.literal("project"),
    name: z.string(),
    schema: dataSchemaSchema,
    segments: z.array(segmentSchema),
    lists: z.array(listSchema),
    scores: z.array(scoreSchema),
    templates: z.array(templateSchema),
    policies: z.array(policySchema),
    journeys: z.array(name),
  })
  .meta({ id: "ProjectFile", title: "What every journey of a project shares" });

export const manifestSchema = z
  .strictObject({
    format: z.literal(IR_FORMAT),
    kind: z.literal("manifest"),
    project: z.string(),
    compiler: z.strictObject({ name: z.string(), version: z.string() }),
    /** The project file, relative to the build folder, and the sha256 of its bytes. */
    projectFile: z.string(),
    projectHash: z.string().regex(/^[0-9a-f]{64}$/),
    journeys: z.array(z.strictObject({ name, title: z.string().optional(), file: z.string(), hash: z.string().regex(/^[0-9a-f]{64}$/) })),
  })
  .meta({ id: "Manifest", title: "The table of contents of a build" });

/** Any file of a build: the manifest, the project or a journey. */
export const irFileSchema = z.discriminatedUnion("kind", [manifestSchema, projectFileSchema, journeyFileSchema]).meta({
  id: "JourneyIrFile",
  title: "journey-ir/1",
  description: "A file of a journey build (docs/ir.md): the manifest, the project, or one journey.",
});

export type JourneyFile = z.infer<typeof journeyFileSchema>;
export type ProjectFile = z.infer<typeof projectFileSchema>;
export type Manifest = z.infer<typeof manifestSchema>;
export type IrFile = z.infer<typeof irFileSchema>;
export type IrNode = z.infer<typeof nodeSchema>;
export type IrNodeKind = IrNode["kind"];
export type IrEdge = z.infer<typeof edgeSchema>;
export type IrEdgeKind = IrEdge["kind"];
export type Trigger = z.infer<typeof triggerSchema>;
export type Wait = z.infer<typeof waitSchema>;
export type Zone = z.infer<typeof zoneSchema>;
export type SourceRange = z.infer<typeof sourceRangeSchema>;
export type Segment = z.infer<typeof segmentSchema>;
export type Score = z.infer<typeof scoreSchema>;
export type Template = z.infer<typeof templateSchema>;
export type Policy = z.infer<typeof policySchema>;
export type PolicyRule = z.infer<typeof policyRuleSchema>;
export type DataSchema = z.infer<typeof dataSchemaSchema>;
export type SqlParam = z.infer<typeof sqlParamSchema>;
export type Liquid = z.infer<typeof liquidSchema>;
export type Recommendation = z.infer<typeof recommendationSchema>;

/** A whole build in memory: what `journey build` writes, one file each. */
export interface Build {
  manifest: Manifest;
  project: ProjectFile;
  journeys: JourneyFile[];
}
