import type { Expr, SqlParam, ValueType, Window } from "../ir/schema.js";
import { fail } from "./common.js";

/**
 * Segment → PostgreSQL, for whole-audience evaluation. The query reads the relational layout of
 * docs/ir.md (customers, events, list_members, scores, objects) and returns the members'
 * `customer_id`s. Every value is a parameter (`$1` is always the evaluation time, injected by the
 * caller; never `now()`); the only names in the text are the layout's own, quoted, and JSON paths
 * built from schema field names. Missing values make a comparison false, never NULL, so `not`
 * means what the predicate tree means (see docs/ir.md, "Missing values").
 */

type SqlType = "text" | "numeric" | "boolean" | "timestamptz" | "date" | "interval" | "time" | "jsonb";

interface Sql {
  sql: string;
  type: SqlType;
}

/** The rows names read: the customer (`c` at the top; another alias inside an RFM ranking), and the event a `where` filters. */
interface Context {
  customer: string;
  event?: string;
}

export interface SqlQuery {
  query: string;
  params: SqlParam[];
}

export interface SqlCatalog {
  segments: ReadonlyMap<string, Expr>;
  /** Half-lives of decaying scores (ISO-8601). */
  scoreHalfLives: ReadonlyMap<string, string | undefined>;
}

const fieldName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function segmentSql(name: string, catalog: SqlCatalog): SqlQuery {
  const writer = new SqlWriter(catalog);
  const predicate = catalog.segments.get(name) ?? fail(`unknown segment \`${name}\``);
  const where = writer.segment(name, predicate);
  const ctes = writer.ctes.length > 0 ? `WITH ${writer.ctes.join(",\n")}\n` : "";
  return {
    query: `${ctes}SELECT c."customer_id" FROM "customers" AS c\nWHERE ${where}\nORDER BY c."customer_id"`,
    params: writer.params,
  };
}

class SqlWriter {
  readonly params: SqlParam[] = [];
  readonly ctes: string[] = [];
  private readonly paramIndex = new Map<string, number>();
  private readonly rfmCtes = new Map<string, string>();
  private readonly expanding: string[] = [];
  private aliases = 0;

  constructor(private readonly catalog: SqlCatalog) {}

  segment(name: string, predicate: Expr, customer = "c"): string {
    if (this.expanding.includes(name)) fail(`segments depend on each other in a loop (${[...this.expanding, name].join(" → ")})`);
    this.expanding.push(name);
    const sql = this.cond(predicate, { customer });
    this.expanding.pop();
    return sql;
  }

  /** The evaluation time, a parameter like any other value. */
  private get now(): string {
    let index = this.paramIndex.get("now");
    if (index === undefined) {
      this.params.push({ kind: "now" });
      index = this.params.length;
      this.paramIndex.set("now", index);
    }
    return `$${index}::timestamptz`;
  }

  private param(value: string | number | boolean, type: SqlType): string {
    const key = `${typeof value}:${String(value)}`;
    let index = this.paramIndex.get(key);
    if (index === undefined) {
      this.params.push({ kind: "value", value });
      index = this.params.length;
      this.paramIndex.set(key, index);
    }
    return `$${index}::${type}`;
  }

  private alias(prefix: string): string {
    this.aliases += 1;
    return `${prefix}${this.aliases}`;
  }

  /** A condition: TRUE or FALSE, never NULL. */
  cond(expr: Expr, context: Context): string {
    switch (expr.kind) {
      case "and":
      case "or":
        return `(${expr.operands.map((operand) => this.cond(operand, context)).join(expr.kind === "and" ? " AND " : " OR ")})`;
      case "not":
        return `(NOT ${this.cond(expr.operand, context)})`;
      case "bool":
        return expr.value ? "TRUE" : "FALSE";
      case "segment":
        return `(${this.segment(expr.name, this.catalog.segments.get(expr.name) ?? fail(`unknown segment \`${expr.name}\``), context.customer)})`;
      case "in_list": {
        const member = this.alias("lm");
        return `EXISTS (SELECT 1 FROM "list_members" AS ${member} WHERE ${member}."list" = ${this.param(expr.list, "text")} AND ${member}."customer_id" = ${context.customer}."customer_id")`;
      }
      case "happened": {
        const event = this.alias("e");
        const where = expr.where ? ` AND ${this.cond(expr.where, { ...context, event })}` : "";
        return `EXISTS (SELECT 1 FROM "events" AS ${event} WHERE ${this.eventRows(event, expr.event, expr.window, context)}${where})`;
      }
      case "occurred_within": {
        const event = this.alias("e");
        const order = expr.which === "last" ? "DESC" : "ASC";
        const at = `(SELECT ${event}."occurred_at" FROM "events" AS ${event} WHERE ${this.eventRows(event, expr.event, { kind: "ever" }, context)} ORDER BY ${event}."occurred_at" ${order}, ${event}."event_id" ${order} LIMIT 1)`;
        return `COALESCE(${at} >= ${this.windowStart(expr.within)}, FALSE)`;
      }
      default: {
        const value = this.value(expr, context);
        if (value.type !== "boolean") fail(`a condition that is not yes/no (${expr.kind})`);
        return `COALESCE(${value.sql}, FALSE)`;
      }
    }
  }

  /** A value; NULL when it is missing. */
  value(expr: Expr, context: Context): Sql {
    switch (expr.kind) {
      case "text":
        return { sql: this.param(expr.value, "text"), type: "text" };
      case "number":
      case "percent":
        return { sql: this.param(expr.value, "numeric"), type: "numeric" };
      case "bool":
        return { sql: this.param(expr.value, "boolean"), type: "boolean" };
      case "duration":
        return { sql: this.param(expr.value, "interval"), type: "interval" };
      case "time":
        return { sql: this.param(expr.value, "time"), type: "time" };
      case "list":
        return { sql: `jsonb_build_array(${expr.items.map((item) => this.value(item, context).sql).join(", ")})`, type: "jsonb" };
      case "field": {
        let base: string;
        if (expr.source === "customer") base = `${context.customer}."profile"`;
        else if (expr.source === "event") base = `${context.event ?? fail("an event field outside a `where`")}."properties"`;
        else return fail(`a ${expr.source} field in a segment (segments have no ${expr.source})`);
        return this.read(base, expr.path, expr.type, expr.default);
      }
      case "occurrence": {
        const event = this.alias("e");
        const order = expr.which === "last" ? "DESC" : "ASC";
        const read = this.read(`${event}."properties"`, expr.path, expr.type, expr.default);
        return {
          sql: `(SELECT ${read.sql} FROM "events" AS ${event} WHERE ${this.eventRows(event, expr.event, { kind: "ever" }, context)} ORDER BY ${event}."occurred_at" ${order}, ${event}."event_id" ${order} LIMIT 1)`,
          type: read.type,
        };
      }
      case "get": {
        const of = this.value(expr.of, context);
        if (of.type !== "jsonb") fail("a field read from a value that is not a record");
        return this.read(of.sql, expr.path, expr.type, expr.default);
      }
      case "lookup": {
        const object = this.alias("o");
        const key = this.value(expr.key, context);
        return {
          sql: `(SELECT ${object}."data" FROM "objects" AS ${object} WHERE ${object}."type" = ${this.param(expr.object, "text")} AND ${object}."key" = ${key.sql})`,
          type: "jsonb",
        };
      }
      case "list_op": {
        const list = this.value(expr.of, context);
        if (list.type !== "jsonb") fail("a list operation on a value that is not a list");
        if (expr.op === "size") return { sql: `(jsonb_array_length(${list.sql})::numeric)`, type: "numeric" };
        return this.read(`(${list.sql} -> ${expr.op === "first" ? 0 : -1})`, [], expr.type, undefined);
      }
      case "score": {
        const score = this.alias("s");
        const halfLife = this.catalog.scoreHalfLives.get(expr.name);
        const current = halfLife
          ? `${score}."value" * power(0.5::float8, (extract(epoch FROM (${this.now} - ${score}."as_of")) / extract(epoch FROM ${this.param(halfLife, "interval")}))::float8)`
          : `${score}."value"`;
        return {
          sql: `COALESCE((SELECT ${current} FROM "scores" AS ${score} WHERE ${score}."score" = ${this.param(expr.name, "text")} AND ${score}."customer_id" = ${context.customer}."customer_id"), 0)`,
          type: "numeric",
        };
      }
      case "aggregate": {
        const event = this.alias("e");
        const where = expr.where ? ` AND ${this.cond(expr.where, { ...context, event })}` : "";
        let aggregate: string;
        let type: SqlType = "numeric";
        if (expr.fn === "count") aggregate = "count(*)";
        else {
          const read = this.value(expr.value ?? fail(`${expr.fn} with no field`), { ...context, event });
          type = read.type;
          aggregate = expr.fn === "sum" ? `COALESCE(sum(${read.sql}), 0)` : `${expr.fn}(${read.sql})`;
        }
        return { sql: `(SELECT ${aggregate} FROM "events" AS ${event} WHERE ${this.eventRows(event, expr.event, expr.window, context)}${where})`, type };
      }
      case "rfm": {
        const cte = this.rfm(expr.event, expr.value, expr.where);
        const row = this.alias("q");
        return { sql: `(SELECT ${row}."${expr.dimension}" FROM ${cte} AS ${row} WHERE ${row}."customer_id" = ${context.customer}."customer_id")`, type: "numeric" };
      }
      case "compare": {
        const left = this.value(expr.left, context);
        const right = this.value(expr.right, context);
        const op = expr.op === "==" ? "=" : expr.op === "!=" ? "<>" : expr.op;
        return { sql: `(${left.sql} ${op} ${right.sql})`, type: "boolean" };
      }
      case "contains": {
        const left = this.value(expr.left, context);
        const right = this.value(expr.right, context);
        if (left.type === "jsonb") return { sql: `(${left.sql} @> to_jsonb(${right.sql}))`, type: "boolean" };
        return { sql: `(strpos(${left.sql}, ${right.sql}) > 0)`, type: "boolean" };
      }
      case "in": {
        if (expr.items.length === 0) return { sql: "FALSE", type: "boolean" };
        const subject = this.value(expr.subject, context);
        return { sql: `(${subject.sql} IN (${expr.items.map((item) => this.value(item, context).sql).join(", ")}))`, type: "boolean" };
      }
      case "is_set":
        return { sql: `(${this.value(expr.subject, context).sql} IS NOT NULL)`, type: "boolean" };
      case "arithmetic": {
        const left = this.value(expr.left, context);
        const right = this.value(expr.right, context);
        if (left.type === "interval" && (expr.op === "*" || expr.op === "/")) {
          const factor = expr.op === "/" ? `NULLIF(${right.sql}, 0)::float8` : `(${right.sql})::float8`;
          return { sql: `(${left.sql} ${expr.op} ${factor})`, type: "interval" };
        }
        const type: SqlType = left.type === "numeric" && right.type === "numeric" ? "numeric" : left.type;
        if (expr.op === "/") return { sql: `(${left.sql} / NULLIF(${right.sql}, 0))`, type };
        return { sql: `(${left.sql} ${expr.op} ${right.sql})`, type };
      }
      case "negate": {
        const operand = this.value(expr.operand, context);
        return { sql: `(- ${operand.sql})`, type: operand.type };
      }
      case "message":
        return fail("a sent message in a segment");
      case "and":
      case "or":
      case "not":
      case "segment":
      case "in_list":
      case "happened":
      case "occurred_within":
        return { sql: this.cond(expr, context), type: "boolean" };
      default: {
        const unknown: never = expr;
        return unknown;
      }
    }
  }

  /** A field read from a JSON document by path, typed; JSON null reads as missing. */
  private read(base: string, path: string[], type: ValueType, fallback: string | number | boolean | undefined): Sql {
    for (const part of path) if (!fieldName.test(part)) fail(`\`${part}\` is not a field name`);
    const jsonPath = `'{${path.join(",")}}'`;
    const text = path.length > 0 ? `(${base} #>> ${jsonPath})` : `(${base} #>> '{}')`;
    let read: Sql;
    switch (type) {
      case "text":
        read = { sql: text, type: "text" };
        break;
      case "number":
        read = { sql: `${text}::numeric`, type: "numeric" };
        break;
      case "bool":
        read = { sql: `${text}::boolean`, type: "boolean" };
        break;
      case "date":
        read = { sql: `${text}::date`, type: "date" };
        break;
      case "datetime":
        read = { sql: `${text}::timestamptz`, type: "timestamptz" };
        break;
      case "duration":
        read = { sql: `${text}::interval`, type: "interval" };
        break;
      case "time":
        read = { sql: `${text}::time`, type: "time" };
        break;
      case "list":
      case "record":
        read = { sql: path.length > 0 ? `NULLIF(${base} #> ${jsonPath}, 'null'::jsonb)` : `NULLIF(${base}, 'null'::jsonb)`, type: "jsonb" };
        break;
      default:
        return fail(`a value of type ${type}`);
    }
    if (fallback === undefined) return read;
    return { sql: `COALESCE(${read.sql}, ${this.param(fallback, read.type)})`, type: read.type };
  }

  /** The customer's events of one name in a window, up to now. */
  private eventRows(alias: string, event: string, window: Window, context: Context): string {
    const rows = `${alias}."customer_id" = ${context.customer}."customer_id" AND ${alias}."name" = ${this.param(event, "text")} AND ${alias}."occurred_at" <= ${this.now}`;
    switch (window.kind) {
      case "ever":
        return rows;
      case "last":
        return `${rows} AND ${alias}."occurred_at" >= ${this.windowStart(window.duration)}`;
      case "since": {
        const anchor = this.alias("e");
        const latest = `(SELECT max(${anchor}."occurred_at") FROM "events" AS ${anchor} WHERE ${anchor}."customer_id" = ${context.customer}."customer_id" AND ${anchor}."name" = ${this.param(window.event, "text")} AND ${anchor}."occurred_at" <= ${this.now})`;
        return `${rows} AND ${alias}."occurred_at" > ${latest}`;
      }
      default: {
        const unknown: never = window;
        return unknown;
      }
    }
  }

  /** Now minus a duration, on the UTC calendar whatever the session's time zone. */
  private windowStart(duration: string): string {
    return `((${this.now} AT TIME ZONE 'UTC') - ${this.param(duration, "interval")}) AT TIME ZONE 'UTC'`;
  }

  /** RFM quintiles over everyone with at least one such event: one CTE per event, field and filter, computed once per query. */
  private rfm(event: string, value: Expr, where: Expr | undefined): string {
    const key = JSON.stringify([event, value, where]);
    const existing = this.rfmCtes.get(key);
    if (existing) return existing;
    const name = `rfm${this.rfmCtes.size + 1}`;
    this.rfmCtes.set(key, name);
    const row = this.alias("r");
    // A filter may read the customer's fields too: then each event is joined to its customer.
    const customer = this.alias("c");
    const context: Context = { customer, event: row };
    const spent = this.value(value, context);
    const filter = where ? ` AND ${this.cond(where, context)}` : "";
    const join = where ? ` JOIN "customers" AS ${customer} ON ${customer}."customer_id" = ${row}."customer_id"` : "";
    const quintile = (column: string) => `1 + (5 * (rank() OVER (ORDER BY x."${column}") - 1)) / count(*) OVER ()`;
    this.ctes.push(
      `${name} AS MATERIALIZED (SELECT x."customer_id", ${quintile("last_at")} AS "recency", ${quintile("times")} AS "frequency", ${quintile("spent")} AS "monetary" FROM (SELECT ${row}."customer_id", max(${row}."occurred_at") AS "last_at", count(*) AS "times", COALESCE(sum(${spent.sql}), 0) AS "spent" FROM "events" AS ${row}${join} WHERE ${row}."name" = ${this.param(event, "text")} AND ${row}."occurred_at" <= ${this.now}${filter} GROUP BY ${row}."customer_id") AS x)`,
    );
    return name;
  }
}
