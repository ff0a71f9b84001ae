export type * from "./ast.js";
export { parse, MAX_NESTING, type ParseResult } from "./parse.js";
