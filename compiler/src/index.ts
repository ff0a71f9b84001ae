export { main, VERSION } from "./cli/main.js";
export * from "./ir/index.js";
export * from "./lower/index.js";
export * from "./graph/index.js";
