import { describe, expect, it } from "vitest";
import type { Build, Expr, JourneyFile } from "../ir/schema.js";
import { compile } from "./project.js";

const schema = `
customer {
  identified by customer_id
  customer_id text
  phone       phone?
  email       email?
  country     country
  tier        "none" | "gold" = "none"
  tags        list of text
  birthday    date?
  consent {
    email bool = false
  }
}
event purchase {
  total money
  cart_id text?
  sku   ref Product?
  items list of {
    sku ref Product
    qty int = 1
  }
}
event signed_up { source text }
event email_opened { message text }
object Product key sku { sku text   name text   stock int }
list vip
score engagement {
  +5 on email_opened
  halves every 30 days
}
template hello email { subject "Hi" body "Hello" }
template picks in_app { title "Picks" }
`;

function build(text: string): Build {
  const result = compile(
    [
      { file: "schema.journey", text: schema },
      { file: "x.journey", text },
    ],
    { project: "test" },
  );
  if (!result.build) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return result.build;
}

function segment(condition: string): Expr {
  return build(`segment s = ${condition}`).project.segments.find((s) => s.name === "s")?.predicate as Expr;
}

function journey(text: string): JourneyFile {
  return build(text).journeys[0] as JourneyFile;
}

const total: Expr = { kind: "field", source: "event", path: ["total"], type: "number" };

describe("expressions", () => {
  it("read customer fields by path, with their type and default", () => {
    expect(segment('tier == "gold"')).toEqual({ kind: "compare", op: "==", left: { kind: "field", source: "customer", path: ["tier"], type: "text", default: "none" }, right: { kind: "text", value: "gold" } });
    expect(segment("consent.email")).toEqual({ kind: "field", source: "customer", path: ["consent", "email"], type: "bool", default: false });
    expect(segment("customer.consent.email")).toEqual(segment("consent.email"));
    expect(segment("phone is not set")).toEqual({ kind: "not", operand: { kind: "is_set", subject: { kind: "field", source: "customer", path: ["phone"], type: "text" } } });
  });

  it("flatten and/or through parentheses, and keep not", () => {
    expect(segment("phone is set and (country == \"IT\" and (tier == \"gold\" or customer in vip))")).toMatchObject({
      kind: "and",
      operands: [{ kind: "is_set" }, { kind: "compare" }, { kind: "or", operands: [{ kind: "compare" }, { kind: "in_list", list: "vip" }] }],
    });
  });

  it("turn event history into happened, with windows and where", () => {
    expect(segment("no purchase where total > 50 in last 30 days")).toEqual({
      kind: "not",
      operand: { kind: "happened", event: "purchase", where: { kind: "compare", op: ">", left: total, right: { kind: "number", value: 50 } }, window: { kind: "last", duration: "P30D" } },
    });
    expect(segment("purchase ever")).toEqual({ kind: "happened", event: "purchase", window: { kind: "ever" } });
    expect(segment("purchase since signed_up")).toEqual({ kind: "happened", event: "purchase", window: { kind: "since", event: "signed_up" } });
  });

  it("lower aggregates, with the field read from each event and the default window", () => {
    expect(segment("sum(purchase.total, last 3 months) > 100")).toMatchObject({ left: { kind: "aggregate", fn: "sum", event: "purchase", value: total, window: { kind: "last", duration: "P3M" }, type: "number" } });
    expect(segment("count(purchase where total > 10) >= 2")).toMatchObject({ left: { kind: "aggregate", fn: "count", event: "purchase", where: { kind: "compare" }, window: { kind: "ever" } } });
    expect(segment("rfm(purchase.total).recency >= 4")).toMatchObject({ left: { kind: "rfm", event: "purchase", value: total, dimension: "recency" } });
    const filtered = { kind: "compare", op: "==", left: { kind: "field", source: "event", path: ["cart_id"], type: "text" }, right: { kind: "text", value: "c" } };
    expect(segment('sum(purchase.total where cart_id == "c", last 7 days) > 1')).toMatchObject({ left: { kind: "aggregate", fn: "sum", value: total, where: filtered } });
    expect(segment('rfm(purchase.total where cart_id == "c").monetary > 1')).toMatchObject({ left: { kind: "rfm", value: total, where: filtered, dimension: "monetary" } });
  });

  it("read the last or first occurrence of an event, and ask how long ago it was", () => {
    expect(segment('last purchase.cart_id == "c1"')).toMatchObject({ left: { kind: "occurrence", which: "last", event: "purchase", path: ["cart_id"], type: "text" } });
    expect(segment("first purchase within 30 days")).toEqual({ kind: "occurred_within", which: "first", event: "purchase", within: "P30D" });
  });

  it("follow refs to objects, and read lists", () => {
    expect(segment('last purchase.sku.name == "Shoe"')).toMatchObject({
      left: { kind: "get", of: { kind: "lookup", object: "Product", key: { kind: "occurrence", path: ["sku"], type: "text" } }, path: ["name"], type: "text" },
    });
    expect(segment("last purchase.items.first.qty > 1")).toMatchObject({
      left: { kind: "get", of: { kind: "list_op", op: "first", of: { kind: "occurrence", path: ["items"], type: "list", element: "record" }, type: "record" }, path: ["qty"], type: "number", default: 1 },
    });
    expect(segment('tags.size > 0 and tags contains "x"')).toMatchObject({
      operands: [{ left: { kind: "list_op", op: "size", of: { kind: "field", path: ["tags"], type: "list", element: "text" } } }, { kind: "contains" }],
    });
  });

  it("read scores, segments, lists; fold a minus into a number; keep arithmetic", () => {
    expect(build("segment a = engagement >= 50\nsegment b = a and country in [\"IT\", \"FR\"]").project.segments.find((s) => s.name === "b")?.predicate).toEqual({
      kind: "and",
      operands: [
        { kind: "segment", name: "a" },
        { kind: "in", subject: { kind: "field", source: "customer", path: ["country"], type: "text" }, items: [{ kind: "text", value: "IT" }, { kind: "text", value: "FR" }] },
      ],
    });
    expect(segment("-1 < 2 * -sum(purchase.total)")).toMatchObject({ left: { kind: "number", value: -1 }, right: { kind: "arithmetic", op: "*", right: { kind: "negate" } } });
  });

  it("in journeys: the trigger's fields, the event being waited for, sent messages", () => {
    const j = journey(`
journey j {
  when purchase where total > 20 per cart_id
  goal purchase where cart_id == trigger.cart_id within 2 days

  send email hello as greeting
  wait for email_opened where message == greeting.id up to 1 day
}`);
    expect(j.trigger).toEqual({ kind: "event", event: "purchase", where: { kind: "compare", op: ">", left: total, right: { kind: "number", value: 20 } } });
    expect(j.goal?.where).toEqual({ kind: "compare", op: "==", left: { kind: "field", source: "event", path: ["cart_id"], type: "text" }, right: { kind: "field", source: "trigger", path: ["cart_id"], type: "text" } });
    const wait = j.nodes.find((n) => n.kind === "wait");
    expect(wait).toMatchObject({ wait: { kind: "event", event: "email_opened", timeout: "P1D", where: { right: { kind: "message", alias: "greeting", field: "id" } } } });
  });

  it("in recommendations, boost and where read the object's fields", () => {
    const j = journey(`
journey j {
  when purchase
  goal purchase within 2 days

  show in_app picks {
    recommend 4 Product like last purchase.items boost stock > 100 where stock > 0
  }
}`);
    expect(j.nodes.find((n) => n.kind === "show")).toMatchObject({
      template: "picks",
      recommendations: [
        {
          count: 4,
          object: "Product",
          like: { kind: "occurrence", path: ["items"], type: "list" },
          boost: { kind: "compare", left: { kind: "field", source: "object", path: ["stock"], type: "number" } },
        },
      ],
    });
  });

  it("leave to the checker what cannot be lowered: `like` a value that is not products is J3019, and nothing is built", () => {
    const result = compile(
      [
        { file: "schema.journey", text: schema },
        {
          file: "x.journey",
          text: `
journey j {
  when purchase
  goal purchase within 2 days

  show in_app picks {
    recommend 4 Product like rfm(purchase.total)
  }
}`,
        },
      ],
      { project: "test" },
    );
    expect(result.build).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toEqual(["J3019"]);
  });
});
