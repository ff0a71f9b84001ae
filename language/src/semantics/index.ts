export { checkParsed, checkProgram, childBlocks, forEachStep, isStep, sortDiagnostics, type CheckOptions, type Program, type SourceInput } from "./checker.js";
export type { Symbols, Declared, EventSymbol, ObjectSymbol, CustomerSymbol } from "./symbols.js";
export { describeType, type FieldInfo, type Type } from "./types.js";
export { closestName } from "./suggest.js";
export { analyzeTemplate, type TemplateProblem, type TemplateScope, type TemplateType } from "./templates.js";
export { type Reference, type SymbolInfo, type SymbolKind, symbolKey } from "./references.js";
