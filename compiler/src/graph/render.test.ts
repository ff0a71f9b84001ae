import { describe, expect, it } from "vitest";
import type { JourneyFile } from "../ir/schema.js";
import { compile } from "../lower/project.js";
import { journeyGraph, renderDot, renderGraph, renderMermaid } from "./render.js";

const schema = `
customer {
  identified by customer_id
  customer_id text
  phone       phone?
}
event cart_abandoned { cart_id text   value money }
event purchase { cart_id text? }
template cart_sms sms { body "Your cart: {{ trigger.cart_id }}" }
`;

const journeyText = `
journey cart "Cart \\"reminder\\"" {
  when cart_abandoned where value > 20 per cart_id
  goal purchase within 3 days

  holdout 10%
  last_call: wait for purchase matching cart_id up to 1 day else {
    if customer.phone is set and trigger.value >= 100 {
      send sms cart_sms
    }
  }
}
`;

function lower(): JourneyFile {
  const result = compile(
    [
      { file: "schema.journey", text: schema },
      { file: "cart.journey", text: journeyText },
    ],
    { project: "test" },
  );
  if (!result.build) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  return result.build.journeys[0] as JourneyFile;
}

describe("journey graphs", () => {
  const journey = lower();
  const ids = journey.nodes.map((n) => n.id);
  const [holdout, , branch, send] = ids.slice(1);

  it("Mermaid: one shape per node kind, conditions on the edges, dashed timeouts and control groups, text escaped", () => {
    expect(renderMermaid(journey)).toBe(
      [
        "flowchart TD",
        '  journey_start(["when cart_abandoned where value #gt; 20 per cart_id"])',
        `  ${holdout?.replace("-", "_")}{"holdout 10%"}`,
        '  last_call[/"last_call: wait for purchase matching cart_id up to 1 day"/]',
        `  ${branch?.replace("-", "_")}{"if"}`,
        `  ${send?.replace("-", "_")}["send sms cart_sms"]`,
        '  journey_end(("end"))',
        `  journey_start --> ${holdout?.replace("-", "_")}`,
        `  ${holdout?.replace("-", "_")} --> last_call`,
        `  ${holdout?.replace("-", "_")} -.->|"holdout 10%"| journey_end`,
        '  last_call -->|"purchase"| journey_end',
        `  last_call -.->|"no purchase in 1 day"| ${branch?.replace("-", "_")}`,
        `  ${branch?.replace("-", "_")} -->|"customer.phone is set and trigger.value #gt;= 100"| ${send?.replace("-", "_")}`,
        `  ${branch?.replace("-", "_")} -->|"else"| journey_end`,
        `  ${send?.replace("-", "_")} --> journey_end`,
        "",
      ].join("\n"),
    );
  });

  it("DOT: quoted ids and labels, shapes, dashed timeouts", () => {
    const dot = renderDot(journey);
    expect(dot.startsWith('digraph "cart" {\n  rankdir=TB;\n')).toBe(true);
    expect(dot).toContain('  "last_call" [label="last_call: wait for purchase matching cart_id up to 1 day", shape=parallelogram];\n');
    expect(dot).toContain(`  "last_call" -> "${branch}" [label="no purchase in 1 day", style=dashed];\n`);
    expect(dot).toContain(`  "${branch}" -> "${send}" [label="customer.phone is set and trigger.value >= 100"];\n`);
    expect(dot).toContain('  "journey-end" [label="end", shape=doublecircle];\n');
    expect(dot.endsWith("}\n")).toBe(true);
  });

  it("JSON: nodes with kinds, texts, labels and source ranges; edges with readable conditions", () => {
    const graph = journeyGraph(journey);
    expect(graph).toMatchObject({ journey: "cart", title: 'Cart "reminder"', hash: journey.hash });
    expect(graph.nodes.find((n) => n.id === "last_call")).toEqual({
      id: "last_call",
      kind: "wait",
      label: "last_call",
      text: "wait for purchase matching cart_id up to 1 day",
      source: { file: "cart.journey", start: { line: 7, column: 3 }, end: { line: 11, column: 4 } },
    });
    expect(graph.edges.filter((e) => e.from === branch)).toEqual([
      { from: branch, to: send, kind: "branch", text: "customer.phone is set and trigger.value >= 100" },
      { from: branch, to: "journey-end", kind: "else", text: "else" },
    ]);
    expect(JSON.parse(renderGraph(journey, "json"))).toEqual(graph);
  });

  it("keeps labels and derived ids apart in Mermaid even when they would read the same", () => {
    const clash = { ...journey, nodes: [...journey.nodes, { ...journey.nodes[1], id: (holdout ?? "").replace("-", "_"), label: (holdout ?? "").replace("-", "_") }] } as JourneyFile;
    const lines = renderMermaid(clash).split("\n");
    expect(lines.filter((l) => l.startsWith(`  ${holdout?.replace("-", "_")}`)).length).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith(`  ${holdout?.replace("-", "_")}_2{`))).toBe(true);
  });
});
