import { describe, expect, it } from "vitest";
import { compileExamples } from "../testing/examples.js";
import { withDefaults } from "./profile.js";
import { RenderError, TemplateRenderer } from "./render.js";

const project = compileExamples();
const customer = withDefaults(project.project.schema.customer.fields, {
  customer_id: "c-42",
  first_name: "Simona",
  last_name: "Bianchi",
  email: "simona@example.com",
  phone: "+39 333 1234567",
  loyalty_card: "LC-9981",
  country: "IT",
  loyalty_tier: "gold",
  company: "Atelier Bianchi",
  job_title: "Buyer",
  favourite_categories: ["Summer Dresses", "shoes"],
  consent: { email: true, sms: true },
});
const trigger = {
  cart_id: "cart-7",
  value: 129.5,
  url: "https://shop.example.com/cart/cart-7",
  items: [
    { sku: "P1", name: "Purple dress", quantity: 1 },
    { sku: "P2", name: "Silk scarf", quantity: 2 },
  ],
};

/** What each part must show, beyond being non-empty: the values the template reads. */
const expected: Record<string, Record<string, string[]>> = {
  store_picks: { title: ["Simona, these go with your purchase"] },
  store_picks_email: { subject: ["Simona, still thinking"], body: ["Hi Simona", 'href="https://shop.example.com/cart/cart-7"', "As a gold member"] },
  promo_email: { subject: ["Simona, offers picked for you"], body: ["Ciao Simona", "spring/summer-dresses", "Summer dresses", "Shoes"] },
  promo_sms: { body: ["Simona, our spring sale"] },
  cart_reminder: { body: ["Hi Simona", "2 items in your cart, worth 129.5", "1 × Purple dress", "2 × Silk scarf", 'href="https://shop.example.com/cart/cart-7"'] },
  cart_sms: { body: ["Your cart is still here: https://shop.example.com/cart/cart-7"] },
  cart_push: { body: ["2 items are waiting"] },
  welcome_warm: { subject: ["Welcome, Simona"], body: ["Welcome, Simona!"] },
  welcome_discount: { body: ["Welcome, Simona!", "HELLO10"] },
  welcome_store_tips: { body: ["Hi Simona", "Your card number LC-9981"] },
  welcome_getting_started: { body: ["Hi Simona"] },
  welcome_sms: { body: ["Welcome to Example Shop, Simona!"] },
  winback_gold: { body: ["Hi Simona", "Your gold benefits are still here"] },
  winback_offer: { subject: ["Simona, 15% off"], body: ["Your gold benefits"] },
  winback_last_chance: { body: ["Hi Simona", "BACK15"] },
  sales_handoff: { url: ["https://crm.example.com/api/leads"], method: ["POST"], body: ['"email": "simona@example.com"', '"company": "Atelier Bianchi"', '"country": "IT"', '"stage": "subscriber"'] },
  sales_hot_lead: { url: ["priority=hot"], body: ['"last_name": "Bianchi"', '"phone": "+39 333 1234567"'] },
  sales_reminder: { body: ["Lead simona@example.com (Atelier Bianchi)"] },
  sales_intro: { subject: ["Simona, let's find a time"], body: ["for Atelier Bianchi"] },
  lead_nurture: { subject: ["How teams like Atelier Bianchi use Example"], body: ["like Atelier Bianchi"] },
  birthday_email: { subject: ["Happy birthday, Simona!"], body: ["Happy birthday, Simona!", "as a gold member"] },
};

describe("TemplateRenderer", () => {
  const renderer = new TemplateRenderer();

  it("renders every template of the examples with a realistic customer", async () => {
    expect(project.templates.size).toBeGreaterThan(20);
    for (const [name, template] of project.templates) {
      const out = await renderer.render(name, template.parts, { customer, trigger, message: { id: "send-1" } });
      expect(Object.keys(out).sort(), name).toEqual(Object.keys(template.parts).sort());
      for (const [part, text] of Object.entries(out)) {
        expect(text.length, `${name}.${part}`).toBeGreaterThan(0);
        expect(text, `${name}.${part} is trimmed`).toBe(text.trim());
        expect(text, `${name}.${part} left Liquid unrendered`).not.toMatch(/\{\{|\{%/);
        for (const needle of expected[name]?.[part] ?? []) expect(text, `${name}.${part}`).toContain(needle);
      }
    }
    for (const name of Object.keys(expected)) expect(project.templates.has(name), name).toBe(true);
  });

  it("renders the defaults for a customer with no name and every example journey's inline messages", async () => {
    const anonymous = withDefaults(project.project.schema.customer.fields, { customer_id: "c-1", country: "FR" });
    const promo = project.templates.get("promo_email");
    if (!promo) throw new Error("promo_email");
    const out = await renderer.render("promo_email", promo.parts, { customer: anonymous });
    expect(out.subject).toBe("Ciao, offers picked for you");
    expect(out.body).toContain("See everything on sale");
    for (const journey of project.journeys.values()) {
      for (const node of journey.ir.nodes) {
        if ((node.kind === "send" || node.kind === "show") && node.message) {
          const inline = await renderer.render(`${journey.name}/${node.id}`, { body: node.message }, { customer, trigger });
          expect(inline.body?.length, node.id).toBeGreaterThan(0);
        }
      }
    }
  });

  it("reads only own properties and no files", async () => {
    const out = await renderer.render("t", { body: { liquid: "[{{ customer.constructor }}][{{ customer.toString }}][{{ customer.first_name.toUpperCase }}]" } }, { customer: { first_name: "Ann" } });
    expect(out.body).toBe("[][][]");
    await expect(renderer.render("t2", { body: { liquid: "{% include 'secret' %}" } }, { customer: {} })).rejects.toThrow(RenderError);
  });

  it("names the template and part that failed", async () => {
    const error = await renderer.render("promo_email", { subject: { liquid: "ok" }, body: { liquid: "{{ 'x' | no_such_filter }}" } }, { customer: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).template).toBe("promo_email");
    expect((error as RenderError).part).toBe("body");
    expect((error as Error).message).toMatch(/^template promo_email, part body: /);
  });

  it("re-parses a part whose source changed under the same key", async () => {
    const first = await renderer.render("k", { body: { liquid: "one {{ customer.first_name }}" } }, { customer: { first_name: "A" } });
    const second = await renderer.render("k", { body: { liquid: "two {{ customer.first_name }}" } }, { customer: { first_name: "B" } });
    expect([first.body, second.body]).toEqual(["one A", "two B"]);
  });
});
