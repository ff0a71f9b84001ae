import { describe, expect, it } from "vitest";
import type { IrEdge, JourneyFile } from "../ir/schema.js";
import { compile } from "./project.js";

const schema = `
customer {
  identified by customer_id
  customer_id text
  email       email?
  phone       phone?
  timezone    timezone = "Europe/Rome"
  tier        "none" | "gold" = "none"
  birthday    date?
  stage       "lead" | "mql" = "lead"
}
event signed_up { source text }
event purchase { total money   cart_id text? }
event cart_abandoned { cart_id text }
event unsubscribed { channel text }
event coupon_issued { code text   percent int }
list vip
segment gold = tier == "gold"
template hello email { subject "Hi" body "Hello" }
template again email { subject "Again" body "Hello again" }
template crm webhook { url "https://crm.example.com" body "{}" }
template banner in_app { title "Hi" }
`;

function lower(text: string): JourneyFile {
  const result = compile(
    [
      { file: "schema.journey", text: schema },
      { file: "j.journey", text },
    ],
    { project: "test" },
  );
  if (!result.build) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  const journey = result.build.journeys.find((j) => j.name !== "other");
  if (!journey) throw new Error("no journey");
  return journey;
}

/** Edges as `from -kind-> to`, with node ids replaced by the nodes' texts for readability. */
function flow(journey: JourneyFile): string[] {
  const text = new Map(journey.nodes.map((n) => [n.id, n.text]));
  return journey.edges.map((e: IrEdge) => `${text.get(e.from)} -${e.kind}${"text" in e && e.kind !== "else" ? `(${e.text})` : ""}-> ${text.get(e.to)}`);
}

describe("journeys", () => {
  it("default to entry once and drain, and write time zones out", () => {
    const journey = lower(`
journey j {
  when on customer.birthday at 09:00 customer time
  goal purchase within 7 days

  wait until 09:00
  wait until 10:30 in "Europe/Rome"
  wait until customer.birthday
  wait for best send time
}`);
    expect(journey.entry).toEqual({ kind: "once" });
    expect(journey.onNewVersion).toEqual({ kind: "drain" });
    expect(journey.trigger).toEqual({ kind: "date", field: { kind: "field", source: "customer", path: ["birthday"], type: "date" }, at: "09:00", zone: { kind: "customer" } });
    expect(journey.nodes.filter((n) => n.kind === "wait").map((n) => n.kind === "wait" && n.wait)).toEqual([
      { kind: "until_time", time: "09:00", zone: { kind: "utc" } },
      { kind: "until_time", time: "10:30", zone: { kind: "fixed", name: "Europe/Rome" } },
      { kind: "until_date", field: { kind: "field", source: "customer", path: ["birthday"], type: "date" } },
      { kind: "best_time" },
    ]);
  });

  it("lower every setting", () => {
    const journey = lower(`
journey j "The title" {
  when cart_abandoned per cart_id
  entry every 30 days
  goal purchase where cart_id == trigger.cart_id within 3 days
  exit when unsubscribed where channel == "email"
  exit when purchase
  on new version: migrate { old_wait -> new_wait }

  new_wait: wait for purchase matching cart_id up to 1 day
}`);
    expect(journey).toMatchObject({
      title: "The title",
      entry: { kind: "every", period: "P30D" },
      correlationKey: "cart_id",
      goal: { event: "purchase", within: "P3D" },
      exits: [{ event: "unsubscribed", where: { kind: "compare" } }, { event: "purchase" }],
      onNewVersion: { kind: "migrate", map: [{ from: "old_wait", to: "new_wait" }] },
    });
  });

  it("lower schedules and segment triggers", () => {
    expect(lower("journey j {\n  when every monday at 10:00 customer time for gold\n  goal purchase within 1 day\n\n  send email hello\n}").trigger).toEqual({
      kind: "schedule",
      every: { kind: "weekday", day: "monday" },
      at: "10:00",
      zone: { kind: "customer" },
      audience: "gold",
    });
    expect(lower("journey j {\n  when every 14 days\n  goal purchase within 1 day\n\n  send email hello\n}").trigger).toEqual({ kind: "schedule", every: { kind: "period", period: "P14D" }, zone: { kind: "utc" } });
    expect(lower("journey j {\n  when every day\n  goal purchase within 1 day\n\n  send email hello\n}").trigger).toMatchObject({ every: { kind: "day" } });
    expect(lower("journey j {\n  when customer leaves gold\n  goal purchase within 1 day\n\n  send email hello\n}").trigger).toEqual({ kind: "segment", change: "leaves", segment: "gold" });
    expect(lower("journey j {\n  when api\n  goal purchase within 1 day\n\n  send email hello\n}").trigger).toEqual({ kind: "api" });
  });

  it("give if and match an explicit else, to the next step when the source has none", () => {
    const journey = lower(`
journey j {
  when signed_up
  goal purchase within 7 days

  if customer.tier == "gold" {
    send email hello
  } else if customer.phone is set {
  }
  match trigger.source {
    "store", "app" {
      send email again
    }
  }
  exit
}`);
    expect(flow(journey)).toEqual([
      "when signed_up -next-> if / else if",
      'if / else if -branch(customer.tier == "gold")-> send email hello',
      "if / else if -branch(customer.phone is set)-> match trigger.source",
      "if / else if -else-> match trigger.source",
      "send email hello -next-> match trigger.source",
      'match trigger.source -case("store", "app")-> send email again',
      "match trigger.source -else-> exit",
      "send email again -next-> exit",
    ]);
    expect(journey.nodes.map((n) => n.kind)).toEqual(["start", "if", "send", "match", "send", "exit"]);
    expect(journey.edges.find((e) => e.kind === "case")).toMatchObject({ values: [{ kind: "text", value: "store" }, { kind: "text", value: "app" }] });
  });

  it("send the holdout's control group to the end, and split by arms", () => {
    const journey = lower(`
journey j {
  when signed_up
  goal purchase within 7 days

  holdout 10%
  split {
    70% warm {
      send email hello
    }
    30% {
    }
  }
  experiment subject {
    50% a {
      send email hello
    }
    50% b {
      send email again
    }
    pick winner by goal after 3 days
  }
}`);
    expect(flow(journey)).toEqual([
      "when signed_up -next-> holdout 10%",
      "holdout 10% -next-> split",
      "holdout 10% -control(holdout 10%)-> end",
      "split -arm(70% warm)-> send email hello",
      "split -arm(30%)-> experiment subject, pick winner by goal after 3 days",
      "send email hello -next-> experiment subject, pick winner by goal after 3 days",
      "experiment subject, pick winner by goal after 3 days -arm(50% a)-> send email hello",
      "experiment subject, pick winner by goal after 3 days -arm(50% b)-> send email again",
      "send email hello -next-> end",
      "send email again -next-> end",
    ]);
    expect(journey.nodes.find((n) => n.kind === "experiment")).toMatchObject({ name: "subject", winner: { by: "goal", after: "P3D" } });
    expect(journey.edges.filter((e) => e.kind === "arm").map((e) => e.kind === "arm" && [e.percent, e.name])).toEqual([[70, "warm"], [30, undefined], [50, "a"], [50, "b"]]);
  });

  it("wait for an event: the event leads on, the timeout to the else block; no else, to the next step", () => {
    const journey = lower(`
journey j {
  when signed_up
  goal purchase within 7 days

  first: wait for purchase up to 2 days else {
    send email again
    exit
  }
  second: wait for purchase where total > 10 up to 1 day
  send email hello
}`);
    expect(flow(journey)).toEqual([
      "when signed_up -next-> wait for purchase up to 2 days",
      "wait for purchase up to 2 days -event(purchase)-> wait for purchase where total > 10 up to 1 day",
      "wait for purchase up to 2 days -timeout(no purchase in 2 days)-> send email again",
      "send email again -next-> exit",
      "wait for purchase where total > 10 up to 1 day -event(purchase where total > 10)-> send email hello",
      "wait for purchase where total > 10 up to 1 day -timeout(no purchase in 1 day)-> send email hello",
      "send email hello -next-> end",
    ]);
  });

  it("lower actions: inline messages, in-app parts, set, lists, track, notify, start journey", () => {
    const journey = lower(`
journey j {
  when signed_up
  goal purchase within 7 days

  send sms "Hi {{ customer.customer_id }}" as note
  show in_app {
    title "Hello"
    body "Welcome, {{ customer.customer_id }}"
  }
  show in_app banner
  set customer.stage = "mql"
  add to list vip
  remove from vip
  track coupon_issued {
    code = "X1"
    percent = 10
  }
  notify crm
  start journey other
}

journey other {
  when api
  goal purchase within 7 days

  send email hello
}`);
    const nodes = journey.nodes.slice(1, -1).map(({ id: _id, source: _source, ...node }) => node);
    expect(nodes).toEqual([
      { kind: "send", channel: "sms", message: { liquid: "Hi {{ customer.customer_id }}" }, alias: "note", text: 'send sms "Hi {{ customer.customer_id }}" as note' },
      {
        kind: "show",
        channel: "in_app",
        parts: { title: { liquid: "Hello" }, body: { liquid: "Welcome, {{ customer.customer_id }}" } },
        recommendations: [],
        text: 'show in_app { title "Hello"; body "Welcome, {{ customer.customer_id }}" }',
      },
      { kind: "show", channel: "in_app", template: "banner", parts: {}, recommendations: [], text: "show in_app banner" },
      { kind: "set", field: ["stage"], value: { kind: "text", value: "mql" }, text: 'set customer.stage = "mql"' },
      { kind: "list", operation: "add", list: "vip", text: "add to list vip" },
      { kind: "list", operation: "remove", list: "vip", text: "remove from list vip" },
      {
        kind: "track",
        event: "coupon_issued",
        properties: [
          { name: "code", value: { kind: "text", value: "X1" } },
          { name: "percent", value: { kind: "number", value: 10 } },
        ],
        text: 'track coupon_issued { code = "X1"; percent = 10 }',
      },
      { kind: "notify", template: "crm", text: "notify crm" },
      { kind: "start_journey", journey: "other", text: "start journey other" },
    ]);
  });

  it("leave out what no customer reaches: steps after exit, and an end nobody gets to", () => {
    const journey = lower(`
journey j {
  when signed_up
  goal purchase within 7 days

  send email hello
  exit
  send email again
}`);
    expect(journey.nodes.map((n) => n.text)).toEqual(["when signed_up", "send email hello", "exit"]);
    expect(journey.edges.every((e) => journey.nodes.some((n) => n.id === e.to))).toBe(true);
  });

  it("hash what runs, not where it is written", () => {
    const text = `
journey j {
  when signed_up
  goal purchase within 7 days

  send email hello
  wait 1 day
}`;
    const base = lower(text);
    expect(lower(`// a comment\n\n\n${text.replace("  wait 1 day", "  // why we wait\n  wait   1 day")}`).hash).toBe(base.hash);
    expect(lower(text.replace("wait 1 day", "wait 2 days")).hash).not.toBe(base.hash);
    expect(lower(text.replace("goal purchase within 7 days", "goal purchase within 8 days")).hash).not.toBe(base.hash);
  });
});
