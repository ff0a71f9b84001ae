import type { ProjectIndex } from "../service/project.js";
import { CancellationToken, type Workspace } from "./workspace.js";

export interface SchedulerOptions {
  /** How long after an edit the edited file is checked (a burst of keystrokes costs one check). */
  delayMs: number;
  /** How long typing must pause before the whole project is checked again. */
  idleMs: number;
  /** The edited file's own check (against the other files' declarations): publish its diagnostics. */
  onFileChecked: (file: string, project: ProjectIndex, token: CancellationToken) => void | Promise<void>;
  /** The whole project's check: publish every file's diagnostics. */
  onChecked: (project: ProjectIndex, token: CancellationToken) => void | Promise<void>;
  /** A check or a publication failed (a bug): report it; the next edit tries again. */
  onError?: (error: unknown) => void;
}

/**
 * Re-checking in two steps. Shortly after an edit, the edited file is checked against the
 * declarations of every other file (fast: the person is looking at that file); once typing
 * pauses, the whole project is checked, so files that depend on the edit are updated too. Each
 * step hands its result on with a token; an edit made since the step started cancels it, so a
 * stale result is never published, and a newer edit restarts both timers.
 */
export class CheckScheduler {
  private fileTimer: ReturnType<typeof setTimeout> | undefined;
  private projectTimer: ReturnType<typeof setTimeout> | undefined;
  private edited: string | undefined;

  constructor(
    private readonly workspace: Workspace,
    private readonly options: SchedulerOptions,
  ) {}

  /** An edit happened (in `file`, when it is one of the project's files): restart the timers. */
  schedule(file?: string): void {
    this.clear();
    if (file !== undefined && this.workspace.has(file)) {
      this.edited = file;
      this.fileTimer = setTimeout(() => this.guard(this.checkFile()), this.options.delayMs);
    } else {
      this.projectTimer = setTimeout(() => this.guard(this.checkProject()), this.options.delayMs);
    }
  }

  /** Runs whatever is pending now, to the end (tests, shutdown). */
  async flush(): Promise<void> {
    if (this.fileTimer) {
      clearTimeout(this.fileTimer);
      await this.checkFile();
    }
    if (this.projectTimer) {
      clearTimeout(this.projectTimer);
      await this.checkProject();
    }
  }

  get pending(): boolean {
    return this.fileTimer !== undefined || this.projectTimer !== undefined;
  }

  /** A failure in a timer's work must not end the server (an unhandled rejection would). */
  private guard(work: Promise<void>): void {
    work.catch((error: unknown) => this.options.onError?.(error));
  }

  private async checkFile(): Promise<void> {
    this.fileTimer = undefined;
    const file = this.edited;
    if (file === undefined || !this.workspace.has(file)) return this.checkProject();
    const token = new CancellationToken(this.workspace, this.workspace.version);
    const project = this.workspace.fileProject(file);
    if (token.isCancelled) return;
    await this.options.onFileChecked(file, project, token);
    if (token.isCancelled) return;
    this.projectTimer = setTimeout(() => this.guard(this.checkProject()), this.options.idleMs);
  }

  private async checkProject(): Promise<void> {
    this.projectTimer = undefined;
    const token = new CancellationToken(this.workspace, this.workspace.version);
    const project = this.workspace.project();
    if (token.isCancelled) return;
    await this.options.onChecked(project, token);
  }

  private clear(): void {
    if (this.fileTimer) clearTimeout(this.fileTimer);
    if (this.projectTimer) clearTimeout(this.projectTimer);
    this.fileTimer = undefined;
    this.projectTimer = undefined;
  }

  dispose(): void {
    this.clear();
  }
}
