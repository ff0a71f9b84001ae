import type { ProjectIndex } from "../service/project.js";
import { CancellationToken, type Workspace } from "./workspace.js";

/**
 * Debounced re-checking: each edit restarts a short timer, so a burst of keystrokes costs one
 * check. A check hands its result on with a token; an edit made after the check started cancels
 * it, so a stale result is never published.
 */
export class CheckScheduler {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly workspace: Workspace,
    private readonly delayMs: number,
    private readonly onChecked: (project: ProjectIndex, token: CancellationToken) => void | Promise<void>,
  ) {}

  /** An edit happened: (re)start the timer. */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), this.delayMs);
  }

  /** Checks now, if anything is pending. */
  async flush(): Promise<void> {
    if (!this.timer) return;
    clearTimeout(this.timer);
    await this.run();
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    const token = new CancellationToken(this.workspace, this.workspace.version);
    const project = this.workspace.project();
    if (token.isCancelled) return;
    await this.onChecked(project, token);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
