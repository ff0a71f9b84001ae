export { expr as printExpression, format, printSourceFile, type FormatResult } from "./printer.js";
