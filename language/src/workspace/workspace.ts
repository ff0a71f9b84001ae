import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { checkParsed } from "../semantics/checker.js";
import { ProjectIndex } from "../service/project.js";
import { parse, type ParseResult } from "../syntax/parse.js";
import { declarationsOnly } from "./outline.js";
import { RegionParser } from "./regions.js";

export interface WorkspaceOptions {
  /** Reads a file that a `.journey` file refers to (a template body), by its project path; `undefined` when missing. */
  readFile?: (path: string) => string | undefined;
  /**
   * Files at least this long (characters) are re-parsed by declaration for the quick check of an
   * edit (see `RegionParser`). Default 100,000 (about 3,000 lines).
   */
  regionThreshold?: number;
}

/**
 * The files of a project and their latest check. An edit re-parses only the edited file; the
 * project is then re-checked from the cached parse results of every other file (`checkParsed`).
 * Nothing here reads the disk: the caller says what the files hold.
 */
export class Workspace {
  private readonly texts = new Map<string, string>();
  private readonly parsed = new Map<string, ParseResult>();
  private checked: ProjectIndex | undefined;
  private readonly outlines = new WeakMap<ParseResult, ParseResult>();
  private focused: { file: string; version: number; project: ProjectIndex } | undefined;
  private readonly regionParsers = new Map<string, RegionParser>();
  private checkedVersion = -1;
  private currentVersion = 0;
  /** How much work was done: for tests and the benchmark. */
  readonly stats = { parses: 0, checks: 0, fileChecks: 0, regionChecks: 0 };

  constructor(private readonly options: WorkspaceOptions = {}) {}

  /** Bumped by every change; a result computed at an older version is stale. */
  get version(): number {
    return this.currentVersion;
  }

  /** Sets a file's text. Returns false when it already held exactly that. */
  set(file: string, text: string): boolean {
    if (this.texts.get(file) === text) return false;
    this.texts.set(file, text);
    this.parsed.delete(file);
    this.currentVersion++;
    return true;
  }

  delete(file: string): boolean {
    if (!this.texts.delete(file)) return false;
    this.parsed.delete(file);
    this.currentVersion++;
    return true;
  }

  /** Something outside the `.journey` files changed (a template body): check again. */
  touch(): void {
    this.currentVersion++;
  }

  has(file: string): boolean {
    return this.texts.has(file);
  }

  text(file: string): string | undefined {
    return this.texts.get(file);
  }

  files(): string[] {
    return [...this.texts.keys()].sort();
  }

  /** Whether a file is large enough to be re-parsed by declaration while it is edited. */
  isLarge(file: string): boolean {
    return (this.texts.get(file)?.length ?? 0) >= (this.options.regionThreshold ?? 100_000);
  }

  /** A file's syntax tree if it costs nothing now: parsed already, or small. */
  parseIfCheap(file: string): ParseResult | undefined {
    return this.parsed.get(file) ?? (this.isLarge(file) ? undefined : this.parse(file));
  }

  /** One file's syntax tree, parsing it if its text changed since the last parse. */
  parse(file: string): ParseResult | undefined {
    const cached = this.parsed.get(file);
    if (cached) return cached;
    const text = this.texts.get(file);
    if (text === undefined) return undefined;
    const result = parse(text, file);
    this.stats.parses++;
    this.parsed.set(file, result);
    return result;
  }

  /** The project checked at the current version (checked now if anything changed since). */
  project(): ProjectIndex {
    if (this.checked && this.checkedVersion === this.currentVersion) return this.checked;
    const files = this.files().map((file) => this.parse(file) as ParseResult);
    const program = checkParsed(files, this.options.readFile ? { readFile: this.options.readFile } : {});
    this.stats.checks++;
    this.checked = new ProjectIndex(program);
    for (const parsed of files) {
      if (parsed.text.length < (this.options.regionThreshold ?? 100_000)) {
        this.regionParsers.delete(parsed.file);
        continue;
      }
      let regions = this.regionParsers.get(parsed.file);
      if (!regions) {
        regions = new RegionParser(parsed.file);
        this.regionParsers.set(parsed.file, regions);
      }
      regions.seed(parsed);
      regions.assign(parsed.text, program.diagnostics);
    }
    this.checkedVersion = this.currentVersion;
    return this.checked;
  }

  /**
   * The project as one file sees it, now: that file in full, every other file by its declarations
   * only (see `declarationsOnly`). Its diagnostics, references and types for `file` are those of a
   * full check (cycles of segments across files aside), for a fraction of the cost; other files'
   * diagnostics and references are not in it. The full check (`project()`) is used when current.
   */
  fileProject(file: string): ProjectIndex {
    if (this.upToDate && this.checked) return this.checked;
    if (this.focused && this.focused.file === file && this.focused.version === this.currentVersion) return this.focused.project;
    const regional = this.regionProject(file);
    if (regional) {
      this.focused = { file, version: this.currentVersion, project: regional };
      return regional;
    }
    const files = this.files().map((name) => (name === file ? (this.parse(name) as ParseResult) : this.outline(name)));
    const program = checkParsed(files, this.options.readFile ? { readFile: this.options.readFile } : {});
    program.diagnostics = program.diagnostics.filter((d) => d.file === file || !this.texts.has(d.file));
    // The files themselves in full (a hover shows a segment's condition from its real tree).
    program.files = program.files.map((f) => this.parse(f.file) ?? f);
    this.stats.fileChecks++;
    // A large file parsed whole here (a syntax error, a big change): its regions start again from this parse.
    const regions = this.regionParsers.get(file);
    const whole = this.parsed.get(file);
    if (regions && whole) {
      regions.seed(whole);
      regions.assign(whole.text, program.diagnostics);
    }
    const project = new ProjectIndex(program);
    this.focused = { file, version: this.currentVersion, project };
    return project;
  }

  private outline(file: string): ParseResult {
    const parsed = this.parse(file) as ParseResult;
    let outline = this.outlines.get(parsed);
    if (!outline) {
      outline = declarationsOnly(parsed);
      this.outlines.set(parsed, outline);
    }
    return outline;
  }

  /**
   * The quick check of a large file whose text changed since its last parse: only the changed
   * declarations are re-parsed and checked (the rest of the file, like every other file, by its
   * declarations; their earlier diagnostics kept, moved along). The result says where it is exact.
   */
  private regionProject(file: string): ProjectIndex | undefined {
    const regions = this.regionParsers.get(file);
    const text = this.texts.get(file);
    if (!regions || text === undefined || this.parsed.has(file)) return undefined;
    const update = regions.update(text);
    if (!update) return undefined;
    const files = this.files().map((name) => (name === file ? update.parsed : this.outline(name)));
    const program = checkParsed(files, this.options.readFile ? { readFile: this.options.readFile } : {});
    const carried = new Set(update.parsed.diagnostics);
    const fresh = (offset: number) => update.fresh.some((r) => offset >= r.start && offset <= r.end);
    program.diagnostics = program.diagnostics.filter((d) => (d.file === file ? carried.has(d) || fresh(d.range.start.offset) : !this.texts.has(d.file)));
    regions.assign(text, program.diagnostics);
    this.stats.regionChecks++;
    const project = new ProjectIndex(program);
    project.exactIn = { file, regions: update.fresh };
    return project;
  }

  /** Whether the last check is the current one. */
  get upToDate(): boolean {
    return this.checked !== undefined && this.checkedVersion === this.currentVersion;
  }
}

/** Says whether the work it was handed out for has been overtaken by a newer edit. */
export class CancellationToken {
  constructor(
    private readonly workspace: Workspace,
    readonly version: number,
  ) {}

  get isCancelled(): boolean {
    return this.workspace.version !== this.version;
  }
}

/** Diagnostics grouped by file, every file of the project present (with an empty list when clean). */
export function diagnosticsByFile(project: ProjectIndex): Map<string, Diagnostic[]> {
  const byFile = new Map<string, Diagnostic[]>();
  for (const file of project.fileNames) byFile.set(file, []);
  for (const diagnostic of project.program.diagnostics) {
    const list = byFile.get(diagnostic.file);
    if (list) list.push(diagnostic);
    else byFile.set(diagnostic.file, [diagnostic]);
  }
  return byFile;
}
