export * from "./schema.js";
export { canonicalJson, sha256 } from "./canonical.js";
export { irJsonSchema } from "./jsonSchema.js";
export { exprChildren, forEachExpr } from "./walk.js";
