export type * from "./ast.js";
export { lex, parse, MAX_NESTING, type ParseResult } from "./parse.js";
