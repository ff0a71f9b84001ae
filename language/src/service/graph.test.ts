import { describe, expect, it } from "vitest";
import { parse } from "../syntax/parse.js";
import { GraphMemory, journeyAt, journeyGraph } from "./graph.js";

function graphOf(text: string) {
  const parsed = parse(text, "j.journey");
  const journey = journeyAt(parsed, 0);
  if (!journey) throw new Error("no journey");
  const graph = journeyGraph(parsed, journey);
  return {
    nodes: graph.nodes.map((n) => `${n.id}:${n.kind}:${n.label}`),
    edges: graph.edges.map((e) => `${e.from}->${e.to}${e.label ? ` [${e.label}]` : ""}`),
  };
}

describe("journeyGraph", () => {
  it("branches on if / else if / else and joins after", () => {
    const { nodes, edges } = graphOf(`journey j {
  when signed_up
  if customer.loyalty_tier == "gold" {
    send email gold
  } else if purchase ever {
    exit
  }
  wait 1 day
}
`);
    expect(nodes).toEqual(["start:start:when signed_up", "step1:if:if … else if …", "step2:send:send email gold", "step3:exit:exit", "step4:wait:wait 1 day", "end:end:end"]);
    expect(edges).toEqual([
      "start->step1",
      'step1->step2 [if customer.loyalty_tier == "gold"]',
      "step1->step3 [else if purchase ever]",
      "step2->step4",
      "step1->step4 [else]",
      "step4->end",
    ]);
  });

  it("labels match cases, holdouts, experiments and timed-out waits", () => {
    const { edges } = graphOf(`journey j {
  when signed_up
  holdout 10%
  match customer.language {
    "it", "fr" {
      send email latin
    }
  }
  experiment subject {
    50% a {
      send email a
    }
    50% b {
      send email b
    }
    pick winner by goal after 3 days
  }
  wait for email_opened up to 2 days
}
`);
    expect(edges).toEqual([
      "start->step1",
      "step1->end [10% held out]",
      "step1->step2 [90%]",
      'step2->step3 ["it", "fr"]',
      "step3->step4",
      "step2->step4 [no case]",
      "step4->step5 [50% a]",
      "step4->step6 [50% b]",
      "step5->step7",
      "step6->step7",
      "step7->end [email_opened]",
      "step7->end [after 2 days]",
    ]);
  });

  it("keeps the last good graph while the text has syntax errors, marked stale", () => {
    const memory = new GraphMemory();
    const good = memory.graph(parse("journey j {\n  when signed_up\n  wait 1 day\n}\n", "j.journey"), 0);
    expect(good?.stale).toBe(false);
    const broken = memory.graph(parse("journey j {\n  when signed_up\n  wait\n}\n", "j.journey"), 0);
    expect(broken?.stale).toBe(true);
    expect(broken?.nodes.map((n) => n.label)).toContain("wait 1 day");
  });

  it("picks the journey under the cursor", () => {
    const text = "journey first {\n  when api\n}\n\njourney second {\n  when api\n}\n";
    const parsed = parse(text, "j.journey");
    expect(journeyAt(parsed, text.indexOf("second"))?.name?.text).toBe("second");
    expect(journeyAt(parsed, 3)?.name?.text).toBe("first");
  });
});
