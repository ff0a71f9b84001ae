export type {
  Applicability,
  Diagnostic,
  Fix,
  Position,
  Range,
  RelatedLocation,
  Severity,
  TextEdit,
} from "./diagnostic.js";
export { catalog, type DiagnosticCode } from "./catalog.js";
export { LineIndex } from "./lineIndex.js";
