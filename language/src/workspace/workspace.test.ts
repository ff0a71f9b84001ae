import { describe, expect, it } from "vitest";
import type { ProjectIndex } from "../service/project.js";
import { CheckScheduler } from "./scheduler.js";
import { CancellationToken, diagnosticsByFile, Workspace } from "./workspace.js";

const schema = "event purchase {\n  total money\n}\n";

describe("Workspace", () => {
  it("re-parses only the edited file and reuses the other files' trees", () => {
    const workspace = new Workspace();
    workspace.set("schema.journey", schema);
    workspace.set("a.journey", "segment a = count(purchase, last 7 days) >= 1\n");
    workspace.set("b.journey", "segment b = sum(purchase.total, ever) > 10\n");
    const first = workspace.project();
    expect(workspace.stats.parses).toBe(3);
    const schemaTree = first.file("schema.journey")?.ast;
    workspace.set("a.journey", "segment a = count(purchase, last 7 days) >= 2\n");
    const second = workspace.project();
    expect(workspace.stats.parses).toBe(4);
    expect(second.file("schema.journey")?.ast).toBe(schemaTree);
    expect(workspace.stats.checks).toBe(2);
  });

  it("checks again only when something changed", () => {
    const workspace = new Workspace();
    workspace.set("a.journey", "list vip\n");
    const project = workspace.project();
    expect(workspace.set("a.journey", "list vip\n")).toBe(false);
    expect(workspace.project()).toBe(project);
    expect(workspace.stats.checks).toBe(1);
  });

  it("sees declarations of other files and reports across them", () => {
    const workspace = new Workspace();
    workspace.set("schema.journey", schema);
    workspace.set("a.journey", "segment a = sum(purchase.total, ever) > 10\n");
    expect(workspace.project().program.diagnostics).toEqual([]);
    workspace.delete("schema.journey");
    const byFile = diagnosticsByFile(workspace.project());
    expect(byFile.get("a.journey")?.map((d) => d.code)).toEqual(["J2001"]);
  });

  it("hands out tokens that are cancelled by a newer edit", () => {
    const workspace = new Workspace();
    workspace.set("a.journey", "list vip\n");
    const token = new CancellationToken(workspace, workspace.version);
    expect(token.isCancelled).toBe(false);
    workspace.set("a.journey", "list vips\n");
    expect(token.isCancelled).toBe(true);
  });
});

describe("Workspace.fileProject", () => {
  it("checks one file against the declarations of the others, with the same findings as a full check", () => {
    const workspace = new Workspace();
    workspace.set("schema.journey", schema);
    workspace.set("segments.journey", "segment big = sum(purchase.total, ever) > 10 and nobody\n");
    workspace.set("a.journey", "segment a = big and count(purchase where total > 5, last 7 days) >= 1 and missing\n");
    const own = workspace.fileProject("a.journey");
    expect(own.program.diagnostics.map((d) => `${d.file}:${d.code}`)).toEqual(["a.journey:J2003"]);
    // The other file's tree is there in full (for hovers), though it was checked by its declarations only.
    expect(own.file("segments.journey")?.ast.declarations[0]).toMatchObject({ kind: "SegmentDecl", condition: { kind: "Binary" } });
    const full = workspace.project();
    expect(full.program.diagnostics.filter((d) => d.file === "a.journey")).toEqual(own.program.diagnostics);
    expect(full.program.diagnostics.map((d) => d.file)).toContain("segments.journey");
  });
});

/** Waits (polling) until `test` holds, for at most 5 s: timers run late on a busy machine. */
async function until(test: () => boolean): Promise<void> {
  for (let waited = 0; !test() && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("CheckScheduler", () => {
  const options = (onFile: (file: string, text: string) => void, onProject: (text: string) => void = () => undefined) => ({
    delayMs: 5,
    idleMs: 20,
    onFileChecked: (file: string, project: ProjectIndex) => onFile(file, project.file(file)?.text ?? ""),
    onChecked: (project: ProjectIndex) => onProject(project.file("a.journey")?.text ?? ""),
  });

  it("checks the edited file once after a burst of edits, then the project once typing pauses", async () => {
    const workspace = new Workspace();
    const edited: string[] = [];
    const whole: string[] = [];
    const scheduler = new CheckScheduler(workspace, {
      ...options(
        (_file, text) => edited.push(text),
        (text) => whole.push(text),
      ),
      idleMs: 300,
    });
    for (const n of [1, 2, 3, 4]) {
      workspace.set("a.journey", `list v${n}\n`);
      scheduler.schedule("a.journey");
    }
    await until(() => edited.length > 0);
    expect(edited).toEqual(["list v4\n"]);
    expect(whole).toEqual([]);
    await until(() => whole.length > 0);
    expect(whole).toEqual(["list v4\n"]);
    expect(workspace.stats).toMatchObject({ fileChecks: 1, checks: 1 });
    scheduler.dispose();
  });

  it("drops a result whose text changed while it was being published", async () => {
    const workspace = new Workspace();
    workspace.set("a.journey", "list one\n");
    const seen: boolean[] = [];
    const scheduler = new CheckScheduler(workspace, {
      delayMs: 0,
      idleMs: 0,
      onFileChecked: async (_file, _project, token) => {
        workspace.set("a.journey", "list two\n");
        seen.push(token.isCancelled);
      },
      onChecked: () => {
        seen.push(false);
      },
    });
    scheduler.schedule("a.journey");
    await scheduler.flush();
    // The file's check was overtaken by the edit it made, and no project check was started for the old text.
    expect(seen).toEqual([true]);
    scheduler.dispose();
  });
});
