/** Walking expression trees: data-only, so the runtime can use it as well as the compiler. */
import type { Expr } from "./schema.js";

/** Every expression inside `expr`, itself included, parents before children. */
export function forEachExpr(expr: Expr, visit: (expr: Expr) => void): void {
  visit(expr);
  for (const child of exprChildren(expr)) forEachExpr(child, visit);
}

export function exprChildren(expr: Expr): Expr[] {
  switch (expr.kind) {
    case "text":
    case "number":
    case "bool":
    case "duration":
    case "time":
    case "percent":
    case "field":
    case "message":
    case "occurrence":
    case "segment":
    case "score":
    case "in_list":
    case "occurred_within":
      return [];
    case "list":
      return expr.items;
    case "get":
      return [expr.of];
    case "lookup":
      return [expr.key];
    case "list_op":
      return [expr.of];
    case "happened":
      return expr.where ? [expr.where] : [];
    case "aggregate":
      return [...(expr.value ? [expr.value] : []), ...(expr.where ? [expr.where] : [])];
    case "rfm":
      return [expr.value, ...(expr.where ? [expr.where] : [])];
    case "and":
    case "or":
      return expr.operands;
    case "not":
    case "negate":
      return [expr.operand];
    case "compare":
    case "contains":
    case "arithmetic":
      return [expr.left, expr.right];
    case "in":
      return [expr.subject, ...expr.items];
    case "is_set":
      return [expr.subject];
    default: {
      const unknown: never = expr;
      return unknown;
    }
  }
}
