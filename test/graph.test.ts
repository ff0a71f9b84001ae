import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const bin = join(root, "compiler/bin/journey.js");

function journey(args: string[], cwd = root) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("journey graph", () => {
  it("prints Mermaid by default", () => {
    const run = journey(["graph", "abandoned_cart", "examples"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n").slice(0, 3)).toEqual(["flowchart TD", '  journey_start(["when cart_abandoned where value #gt; 20 per cart_id"])', '  cool_off[/"cool_off: wait 1 hour"/]']);
    expect(run.stdout).toContain('  last_call -.->|"no purchase in 1 day"| split_');
  });

  it("prints Graphviz DOT", () => {
    const run = journey(["graph", "winback", "examples", "--format", "dot"]);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('digraph "winback" {\n')).toBe(true);
    expect(run.stdout).toContain('[label="\\"silver\\", \\"none\\""]');
  });

  it("prints the JSON the editor preview reads, with source ranges and readable conditions", () => {
    const run = journey(["graph", "store_to_online", "examples", "--format", "json"]);
    expect(run.code).toBe(0);
    const graph = JSON.parse(run.stdout);
    expect(graph.journey).toBe("store_to_online");
    expect(graph.nodes[0]).toMatchObject({ id: "journey-start", kind: "start", text: 'when page_view where url contains "/shop"' });
    expect(graph.nodes.find((n: { id: string }) => n.id === "picks")).toMatchObject({ kind: "show", label: "picks", source: { file: "store_to_online.journey", start: { line: 18, column: 5 } } });
    expect(graph.edges.map((e: { text?: string }) => e.text)).toContain('last purchase.channel == "store" and last purchase within 30 days');
  });

  it("says which journeys exist when the name is unknown, with a suggestion, and exits 2", () => {
    const run = journey(["graph", "abandoned_carts", "examples"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "journey: unknown journey `abandoned_carts`: did you mean `abandoned_cart`? The journeys are: abandoned_cart, birthday_offer, lead_scoring, promo_fallback, store_to_online, welcome_series, winback.\n",
    );
    expect(journey(["graph", "nothing_like_it", "examples"]).stderr).toContain("unknown journey `nothing_like_it`. The journeys are: abandoned_cart,");
  });

  it("says so when there are no journeys at all", () => {
    const run = journey(["graph", "welcome", "examples/schema.journey"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("journey: unknown journey `welcome`: there are no journeys in examples/schema.journey\n");
  });

  it("reports the errors of a broken project and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "journey-graph-"));
    writeFileSync(join(dir, "j.journey"), "event purchase {\n  total money\n}\njourney j {\n  when purchase\n  goal purchase within 7 days\n  send email nope\n}\n");
    const run = journey(["graph", "j"], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("error[J2004]: unknown template `nope`");
  });

  it("refuses an unknown format", () => {
    const run = journey(["graph", "winback", "examples", "--format", "svg"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Allowed choices are mermaid, dot, json");
  });
});
