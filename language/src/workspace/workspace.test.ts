import { describe, expect, it } from "vitest";
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

describe("CheckScheduler", () => {
  it("checks once after a burst of edits and publishes only the newest text", async () => {
    const workspace = new Workspace();
    const published: string[] = [];
    const scheduler = new CheckScheduler(workspace, 5, (project) => {
      published.push(project.file("a.journey")?.text ?? "");
    });
    for (const n of [1, 2, 3, 4]) {
      workspace.set("a.journey", `list v${n}\n`);
      scheduler.schedule();
    }
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(published).toEqual(["list v4\n"]);
    expect(workspace.stats.checks).toBe(1);
    scheduler.dispose();
  });

  it("drops a result whose text changed while it was being published", async () => {
    const workspace = new Workspace();
    workspace.set("a.journey", "list one\n");
    const seen: boolean[] = [];
    const scheduler = new CheckScheduler(workspace, 0, async (_project, token) => {
      workspace.set("a.journey", "list two\n");
      seen.push(token.isCancelled);
    });
    scheduler.schedule();
    await scheduler.flush();
    expect(seen).toEqual([true]);
    scheduler.dispose();
  });
});
