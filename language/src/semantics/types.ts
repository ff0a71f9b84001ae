/** The types of the data schema and of expressions. `error` absorbs cascades: one mistake, one message. */

export const scalarNames = [
  "text",
  "email",
  "phone",
  "url",
  "country",
  "timezone",
  "int",
  "number",
  "money",
  "bool",
  "date",
  "datetime",
  "duration",
  "time",
  "percent",
] as const;

export type ScalarName = (typeof scalarNames)[number];

export type Type =
  | { kind: "scalar"; name: ScalarName }
  | { kind: "enum"; options: string[] }
  | { kind: "list"; element: Type }
  | { kind: "record"; name: string; fields: Map<string, FieldInfo> }
  | { kind: "ref"; object: string }
  /** An occurrence of an event (`last purchase`): its fields follow with `.`. */
  | { kind: "event"; event: string }
  | { kind: "error" };

export interface FieldInfo {
  name: string;
  type: Type;
  optional: boolean;
  hasDefault: boolean;
  /** Whose field it is: `customer`, `purchase`, `customer.consent`, `Product`. */
  owner?: string;
  /** Where it is declared (absent for built-in fields). */
  file?: string;
  span?: { start: number; end: number };
  doc?: string;
}

export const errorType: Type = { kind: "error" };
export const boolType: Type = { kind: "scalar", name: "bool" };
export const textType: Type = { kind: "scalar", name: "text" };
export const intType: Type = { kind: "scalar", name: "int" };
export const numberType: Type = { kind: "scalar", name: "number" };

export function scalar(name: ScalarName): Type {
  return { kind: "scalar", name };
}

export function isScalarName(name: string): name is ScalarName {
  return (scalarNames as readonly string[]).includes(name);
}

const textLike = new Set<ScalarName>(["text", "email", "phone", "url", "country", "timezone"]);
const numeric = new Set<ScalarName>(["int", "number", "money", "percent"]);
const temporal = new Set<ScalarName>(["date", "datetime"]);

export function isError(type: Type): boolean {
  return type.kind === "error";
}

export function isBool(type: Type): boolean {
  return type.kind === "error" || (type.kind === "scalar" && type.name === "bool");
}

export function isNumeric(type: Type): boolean {
  return type.kind === "error" || (type.kind === "scalar" && numeric.has(type.name));
}

export function isTextLike(type: Type): boolean {
  return type.kind === "error" || type.kind === "enum" || (type.kind === "scalar" && textLike.has(type.name));
}

export function isTemporal(type: Type): boolean {
  return type.kind === "error" || (type.kind === "scalar" && temporal.has(type.name));
}

/** Whether `<`, `>`, `<=`, `>=` mean something for this type. */
export function isOrdered(type: Type): boolean {
  if (type.kind === "error") return true;
  if (type.kind !== "scalar") return false;
  return numeric.has(type.name) || temporal.has(type.name) || type.name === "duration" || type.name === "time";
}

/** Whether two values can be compared with `==` (and ordered, when both are ordered). */
export function comparable(a: Type, b: Type): boolean {
  if (a.kind === "error" || b.kind === "error") return true;
  if (isTextLike(a) && isTextLike(b)) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (isTemporal(a) && isTemporal(b)) return true;
  if (a.kind === "scalar" && b.kind === "scalar") return a.name === b.name;
  if (a.kind === "ref" && b.kind === "ref") return a.object === b.object;
  if (a.kind === "ref" && isTextLike(b)) return true;
  if (b.kind === "ref" && isTextLike(a)) return true;
  if (a.kind === "list" && b.kind === "list") return comparable(a.element, b.element);
  return false;
}

/** Whether a value of type `value` may be stored in a field of type `target`. */
export function assignable(value: Type, target: Type): boolean {
  if (value.kind === "error" || target.kind === "error") return true;
  if (target.kind === "enum") return value.kind === "enum" && value.options.every((o) => target.options.includes(o));
  if (target.kind === "scalar" && value.kind === "scalar") {
    if (target.name === value.name) return true;
    if (textLike.has(target.name) && value.name === "text") return true;
    if (target.name === "text" && textLike.has(value.name)) return true;
    if (target.name === "number" && (value.name === "int" || value.name === "money")) return true;
    if (target.name === "money" && (value.name === "int" || value.name === "number")) return true;
    if (target.name === "datetime" && value.name === "date") return true;
    return false;
  }
  if (target.kind === "scalar" && textLike.has(target.name) && value.kind === "enum") return true;
  if (target.kind === "ref" && value.kind === "ref") return target.object === value.object;
  if (target.kind === "ref" && value.kind === "scalar" && value.name === "text") return true;
  if (target.kind === "list" && value.kind === "list") return assignable(value.element, target.element);
  return false;
}

/** The type as a person reads it in a message: `text`, `"none" | "gold"`, `list of money`. */
export function describeType(type: Type): string {
  switch (type.kind) {
    case "scalar":
      return type.name;
    case "enum":
      return type.options.map((o) => `"${o}"`).join(" | ");
    case "list":
      return `list of ${describeType(type.element)}`;
    case "record":
      return type.name;
    case "ref":
      return `ref ${type.object}`;
    case "event":
      return `an occurrence of ${type.event}`;
    case "error":
      return "unknown";
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}
