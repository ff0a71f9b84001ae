export * from "./diagnostics/index.js";
export * from "./syntax/index.js";
export * from "./format/index.js";
export * from "./semantics/index.js";
