export { CancellationToken, diagnosticsByFile, Workspace, type WorkspaceOptions } from "./workspace.js";
export { CheckScheduler } from "./scheduler.js";
