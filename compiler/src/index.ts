export { main, VERSION } from "./cli/main.js";
