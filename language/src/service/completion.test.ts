import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Workspace } from "../workspace/workspace.js";
import { completion } from "./completion.js";
import { hover } from "./hover.js";
import { definition } from "./navigation.js";
import { signatureHelp } from "./signature.js";

const examples = join(import.meta.dirname, "../../../examples");
const workspace = new Workspace();
for (const file of readdirSync(examples).filter((f) => f.endsWith(".journey"))) workspace.set(file, readFileSync(join(examples, file), "utf8"));

/** Completion labels at the `<|>` in `marked`, in a scratch file of the example project. */
function complete(marked: string): string[] {
  const offset = marked.indexOf("<|>");
  workspace.set("scratch.journey", marked.replace("<|>", ""));
  return completion(workspace.fileProject("scratch.journey"), "scratch.journey", offset).items.map((i) => i.label);
}

const inJourney = (line: string, trigger = "cart_abandoned") => `journey j {\n  when ${trigger}\n  ${line}\n}\n`;

describe("completion knows where it is", () => {
  it.each([
    ["a trigger", "journey j {\n  when <|>\n}\n", ["cart_abandoned", "customer enters", "every", "api"]],
    ["a segment trigger", "journey j {\n  when customer <|>\n}\n", ["enters", "leaves"]],
    ["a schedule", "journey j {\n  when every <|>\n}\n", ["monday", "day"]],
    ["`per`", "journey j {\n  when cart_abandoned per <|>\n}\n", ["cart_id", "value"]],
    ["after a trigger event", "journey j {\n  when cart_abandoned <|>\n}\n", ["where", "per"]],
    ["entry rules", inJourney("entry <|>"), ["once", "always", "every"]],
    ["goal events", inJourney("goal <|>"), ["purchase", "email_opened"]],
    ["exit when", inJourney("exit when <|>"), ["purchase", "unsubscribed"]],
    ["a goal's where", inJourney("goal purchase where <|>"), ["order_id", "total", "trigger"]],
    ["wait", inJourney("wait <|>"), ["for", "until", "1 day"]],
    ["wait for", inJourney("wait for <|>"), ["email_opened", "best send time"]],
    ["after the waited-for event", inJourney("wait for purchase <|>"), ["where", "matching", "up to"]],
    ["units", inJourney("wait 2 <|>"), ["days", "hours"]],
    ["notify", inJourney("notify <|>"), ["sales_handoff"]],
    ["start journey", inJourney("start journey <|>"), ["welcome_series", "promo_fallback"]],
    ["track", inJourney("track <|>"), ["coupon_issued"]],
    ["track fields", "journey j {\n  when signed_up\n  track coupon_issued {\n    <|>\n  }\n}\n", ["code", "percent"]],
    ["set", inJourney("set <|>"), ["customer"]],
    ["set's value", inJourney("set customer.lifecycle_stage = <|>"), ['"lead"', '"mql"']],
    ["last purchase's fields", inJourney("if last purchase.<|>"), ["channel", "total", "items"]],
    ["a record's fields", inJourney("if customer.consent.<|>"), ["email", "sms", "push"]],
    ["an alias's fields", "journey j {\n  when signed_up\n  send email promo_email as promo\n  wait for email_opened where message == promo.<|>\n}\n", ["id", "channel", "template"]],
    ["aggregate events", "segment s = count(<|>", ["email_opened", "purchase"]],
    ["aggregate windows", "segment s = count(purchase, <|>", ["last", "ever", "since"]],
    ["an aggregate's field", "segment s = sum(purchase.<|>", ["total"]],
    ["rfm", "segment s = rfm(purchase.total).<|>", ["recency", "frequency", "monetary"]],
    ["a segment's names", "segment s = <|>", ["loyalty_tier", "engaged", "lead_score", "count", "not"]],
    ["lists after in", "segment s = customer in <|>", ["vip", "sales_pipeline"]],
    ["in [ choices", 'segment s = loyalty_tier in [<|>', ['"none"', '"gold"']],
    ["a match case", 'journey j {\n  when signed_up\n  match customer.loyalty_tier {\n    <|>\n  }\n}\n', ['"gold"', "else"]],
    ["a field's type", "event e {\n  total <|>\n}\n", ["money", "text", "list of", "ref"]],
    ["ref", "event e {\n  sku ref <|>\n}\n", ["Product", "Store"]],
    ["identity keys", "customer {\n  identified by <|>\n}\n", ["email", "customer_id"]],
    ["template channels", "template t <|>", ["email", "sms", "push", "in_app", "webhook"]],
    ["template parts", "template t email {\n  <|>\n}\n", ["subject", "preheader", "from", "body"]],
    ["policy rules", "policy {\n  <|>\n}\n", ["respect consent", "quiet hours", "at most"]],
    ["policy channels", "policy {\n  at most 3 <|>\n}\n", ["email", "sms"]],
    ["score events", "score s {\n  +5 on <|>\n}\n", ["email_opened"]],
    ["recommend objects", "journey j {\n  when page_view\n  show in_app store_picks {\n    recommend 4 <|>\n  }\n}\n", ["Product", "Store"]],
    ["recommend's fields", "journey j {\n  when page_view\n  show in_app store_picks {\n    recommend 4 Product boost <|>\n  }\n}\n", ["stock", "price"]],
    ["show in_app templates", inJourney("show in_app <|>"), ["store_picks", "welcome_back_banner"]],
    ["a label's step", inJourney("reminder: send <|>"), ["email", "sms"]],
  ])("%s", (_name, marked, expected) => {
    expect(complete(marked)).toEqual(expect.arrayContaining(expected));
  });

  it("offers nothing in a comment", () => {
    expect(complete("// send <|>\n")).toEqual([]);
  });

  it("offers only in_app templates after `show in_app`, and only webhook templates after `notify`", () => {
    expect(complete(inJourney("show in_app <|>"))).not.toContain("promo_email");
    expect(complete(inJourney("notify <|>"))).toEqual(["sales_handoff", "sales_hot_lead", "sales_reminder"]);
  });

  it("completes Liquid in a `\"\"\"` body and after a filter's colon nothing", () => {
    expect(complete('template t email {\n  body """\n    {{ customer.<|> }}\n  """\n}\n')).toContain("first_name");
    expect(complete('journey j {\n  when signed_up\n  send email promo_email as promo\n  send sms "{{ <|> }}"\n}\n')).toEqual(expect.arrayContaining(["customer", "promo"]));
  });
});

describe("hover", () => {
  it("resolves durations", () => {
    const text = inJourney("wait 36 hours");
    workspace.set("scratch.journey", text);
    const result = hover(workspace.fileProject("scratch.journey"), "scratch.journey", text.indexOf("36") + 1);
    expect(result?.contents).toContain("1d 12h");
  });

  it("shows a step label's step and a template's parts", () => {
    const text = "journey j {\n  when signed_up\n  on new version: migrate { a -> first }\n  first: wait for email_opened up to 1 day\n  send sms promo_sms\n}\n";
    workspace.set("scratch.journey", text);
    const project = workspace.project();
    expect(hover(project, "scratch.journey", text.indexOf("-> first") + 4)?.contents).toContain("first: wait for email_opened up to 1 day");
    expect(hover(project, "scratch.journey", text.indexOf("promo_sms") + 2)?.contents).toContain("template promo_sms sms");
  });
});

describe("hover on the language's words", () => {
  it("explains a step keyword, but not a field that shares its name", () => {
    const text = "journey j {\n  when signed_up\n  holdout 10%\n  wait for purchase within 2 days\n}\nevent e {\n  list text\n}\n";
    workspace.set("scratch.journey", text);
    const project = workspace.fileProject("scratch.journey");
    expect(hover(project, "scratch.journey", text.indexOf("holdout") + 2)?.contents).toContain("control group");
    const field = hover(project, "scratch.journey", text.indexOf("list text") + 1)?.contents;
    expect(field).toContain("(field) e.list text");
    expect(field).not.toContain("static audience");
  });
});

describe("hover on customer and trigger", () => {
  it("shows the customer's fields and the trigger event's", () => {
    const text = "journey j {\n  when cart_abandoned\n  if customer.loyalty_tier == \"gold\" and trigger.value > 10 {\n    exit\n  }\n}\n";
    workspace.set("scratch.journey", text);
    const project = workspace.fileProject("scratch.journey");
    expect(hover(project, "scratch.journey", text.indexOf("customer.") + 2)?.contents).toContain("`loyalty_tier");
    const trigger = hover(project, "scratch.journey", text.indexOf("trigger.") + 2)?.contents;
    expect(trigger).toContain("trigger: cart_abandoned");
    expect(trigger).toContain("`value money`");
  });
});

describe("definition of a template body file", () => {
  it("goes to the .liquid file a template reads", () => {
    const text = 'template t email {\n  body file "templates/promo.liquid"\n}\n';
    workspace.set("sub/scratch.journey", text);
    const project = workspace.fileProject("sub/scratch.journey");
    expect(definition(project, "sub/scratch.journey", text.indexOf("promo.liquid"))).toMatchObject([{ file: "sub/templates/promo.liquid", range: { start: { line: 0, column: 0 } } }]);
    workspace.delete("sub/scratch.journey");
  });
});

describe("signature help", () => {
  it("follows the argument being written", () => {
    expect(signatureHelp("segment s = count(", "segment s = count(".length)).toMatchObject({ label: "count(event [where condition], window)", activeParameter: 0 });
    expect(signatureHelp("segment s = max(cart_abandoned.value, last 7 days)", 16)?.activeParameter).toBe(0);
    expect(signatureHelp("segment s = rfm(purchase.total).recency", 39)).toBeUndefined();
  });
});
