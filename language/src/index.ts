export * from "./diagnostics/index.js";
export * from "./syntax/index.js";
