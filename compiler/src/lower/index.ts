export { buildFiles, COMPILER_NAME, compile, type CompileResult, journeyFileName, type LowerOptions, LoweringError, lowerProgram } from "./project.js";
export { END_ID, journeyHash, START_ID } from "./journeys.js";
export { segmentSql, type SqlQuery } from "./sql.js";
export { forEachExpr } from "./dependencies.js";
