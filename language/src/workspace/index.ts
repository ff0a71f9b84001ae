export { CancellationToken, diagnosticsByFile, Workspace, type WorkspaceOptions } from "./workspace.js";
export { CheckScheduler, type SchedulerOptions } from "./scheduler.js";
export { declarationsOnly } from "./outline.js";
