import { describe, expect, it } from "vitest";
import { compileExamples } from "../testing/examples.js";
import { indexJourney, loadProject, ProjectLoadError } from "./project.js";

describe("loading a build", () => {
  it("indexes the examples' journeys, segments and schema", () => {
    const project = compileExamples();
    expect([...project.journeys.keys()].sort()).toEqual([
      "abandoned_cart",
      "birthday_offer",
      "lead_scoring",
      "promo_fallback",
      "store_to_online",
      "welcome_series",
      "winback",
    ]);
    expect(project.identity).toEqual(["customer_id", "email", "loyalty_card", "phone"]);
    const cart = project.journeys.get("abandoned_cart");
    expect(cart?.out.get("last_call")?.map((e) => e.kind)).toEqual(["event", "timeout"]);
  });

  it("refuses a journey whose edge names a missing node, saying which", () => {
    const cart = compileExamples().journeys.get("abandoned_cart")?.ir;
    const broken = { ...cart, edges: [...(cart?.edges ?? []), { kind: "next", from: "cool_off", to: "nowhere" }] };
    expect(() => indexJourney(broken)).toThrow(/edge cool_off -> nowhere names a node the journey does not have/);
  });

  it("refuses a build that is not IR, naming the path", () => {
    const { build } = compileExamples();
    expect(() => loadProject({ ...build, project: { ...build.project, format: "journey-ir/0" } as never })).toThrow(ProjectLoadError);
  });
});
