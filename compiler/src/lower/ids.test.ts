import { describe, expect, it } from "vitest";
import type { JourneyFile } from "../ir/schema.js";
import { compile } from "./project.js";

const schema = `
customer {
  identified by customer_id
  customer_id text
  email       email?
  phone       phone?
  tier        "none" | "gold" = "none"
}
event signed_up { source text }
event purchase { total money }
event email_opened { message text }
template hello email { subject "Hi" body "Hello" }
template again email { subject "Again" body "Hello again" }
template gold_note email { subject "Gold" body "For you" }
`;

function lower(journey: string): JourneyFile {
  const result = compile(
    [
      { file: "schema.journey", text: schema },
      { file: "j.journey", text: journey },
    ],
    { project: "test" },
  );
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (!result.build) throw new Error(errors.map((d) => `${d.file}:${d.range.start.line + 1} ${d.code} ${d.message}`).join("\n"));
  return result.build.journeys[0] as JourneyFile;
}

/** Each node's id, keyed by what the node says (unique in these journeys). */
function idsByText(journey: JourneyFile): Map<string, string> {
  return new Map(journey.nodes.map((n) => [n.text, n.id]));
}

const original = `
journey welcome {
  when signed_up
  goal purchase within 7 days

  send email hello
  wait 1 day
  if customer.tier == "gold" {
    send email gold_note
    wait 2 days
  } else {
    send sms "Welcome!"
  }
  wait for email_opened up to 3 days else {
    send email again
  }
  send sms "Bye for now"
}
`;

describe("node ids", () => {
  const before = lower(original);

  it("are derived from the step when it has no label, prefixed by the node kind", () => {
    for (const node of before.nodes) {
      if (node.kind === "start" || node.kind === "end") continue;
      expect(node.id).toMatch(new RegExp(`^${node.kind}-[0-9a-f]{8}$`));
    }
    expect(before.nodes.map((n) => n.id)).toEqual([...new Set(before.nodes.map((n) => n.id))]);
  });

  it("stay put for every other step when one step's text changes", () => {
    const after = lower(original.replace('send sms "Welcome!"', 'send sms "Welcome aboard, friend!"'));
    const was = idsByText(before);
    const now = idsByText(after);
    expect(now.get('send sms "Welcome aboard, friend!"')).not.toBe(was.get('send sms "Welcome!"'));
    for (const [text, id] of was) if (text !== 'send sms "Welcome!"') expect(now.get(text), text).toBe(id);
  });

  it("stay put elsewhere when a step gets a label, the labelled one included in its children", () => {
    const after = lower(original.replace('  if customer.tier == "gold" {', '  gold_check: if customer.tier == "gold" {'));
    expect(after.nodes.find((n) => n.text === "if")?.id).toBe("gold_check");
    const now = idsByText(after);
    for (const [text, id] of idsByText(before)) if (text !== "if") expect(now.get(text), text).toBe(id);
  });

  it("stay put when a step is inserted, removed or moved, and when the file is reformatted", () => {
    const inserted = lower(original.replace("  wait 1 day\n", "  wait 1 day\n  send email again\n"));
    const removed = lower(original.replace("  send email hello\n", ""));
    const reformatted = lower(original.replace(/\n {2}/g, "\n      ").replace('customer.tier == "gold"', 'customer.tier   ==   "gold"'));
    const was = idsByText(before);
    for (const variant of [inserted, removed, reformatted]) {
      const now = idsByText(variant);
      for (const [text, id] of now) if (was.has(text)) expect(id, text).toBe(was.get(text));
    }
    expect(idsByText(reformatted)).toEqual(was);
  });

  it("do not depend on the journey's name, settings or file", () => {
    const renamed = lower(original.replace("journey welcome {", "journey hello_there {").replace("goal purchase within 7 days", "goal purchase within 9 days\n  entry always"));
    expect(idsByText(renamed)).toEqual(idsByText(before));
  });

  it("tell identical steps of one block apart by their order, and keep the first", () => {
    const twice = lower(original.replace("  wait 1 day\n", "  wait 1 day\n  wait 1 day\n"));
    const waits = twice.nodes.filter((n) => n.text === "wait 1 day").map((n) => n.id);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBe(idsByText(before).get("wait 1 day"));
    expect(waits[1]).not.toBe(waits[0]);
  });

  it("of nested steps follow their block, so the same step in two branches gets two ids", () => {
    const journey = lower(`
journey j {
  when signed_up
  goal purchase within 7 days

  if customer.tier == "gold" {
    send email hello
  } else {
    send email hello
  }
  send email hello
}
`);
    const sends = journey.nodes.filter((n) => n.kind === "send").map((n) => n.id);
    expect(new Set(sends).size).toBe(3);
  });

  it("are the label when there is one", () => {
    const journey = lower(original.replace("  send email hello\n", "  first: send email hello\n"));
    expect(journey.nodes.find((n) => n.label === "first")).toMatchObject({ id: "first", text: "send email hello" });
  });
});
