import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeTemplate, closestName, type TemplateProblem, type TemplateScope, type TemplateType } from "./templates.js";

const scalar = (name: string, optional = false): TemplateType => ({ kind: "scalar", name, optional });
const record = (fields: Record<string, TemplateType>, optional = false): TemplateType => ({
  kind: "record",
  fields: new Map(Object.entries(fields)),
  optional,
});
const list = (element: TemplateType, optional = false): TemplateType => ({ kind: "list", element, optional });

const order = record({ id: scalar("text"), total: scalar("money"), gift_note: scalar("text", true) });

const scope: TemplateScope = {
  variables: new Map<string, TemplateType>([
    [
      "customer",
      record({
        first_name: scalar("text", true),
        email: scalar("email"),
        tier: { kind: "enum", options: ["gold", "silver"], optional: false },
        address: record({ city: scalar("text"), street: scalar("text") }, true),
        orders: list(order),
      }),
    ],
    ["trigger", { kind: "any" }],
    ["links", record({ unsubscribe: scalar("url"), preferences: scalar("url") })],
    ["promo", record({ code: scalar("text") })],
  ]),
  extraFilters: ["coupon", "money"],
};

const check = (source: string) => analyzeTemplate(source, scope);

/** The problems as `kind text` pairs, where text is the slice of the source each one covers. */
const spans = (source: string, problems: TemplateProblem[] = check(source)) =>
  problems.map((p) => `${p.kind} ${source.slice(p.start, p.end)}`);

describe("valid templates", () => {
  it.each([
    ["plain text", "Hello there, no Liquid at all."],
    ["empty", ""],
    ["output with default", '{{ customer.first_name | default: "there" }}, offers picked for you'],
    ["required fields", "{{ customer.email }} {{ customer.tier | upcase }} {{ links.unsubscribe }}"],
    ["step alias", "Your code: {{ promo.code }}"],
    ["standard filters", '{{ customer.email | downcase | truncate: 20, "…" | append: "!" }}'],
    ["extra filters", "{{ customer.orders.first.total | money }} {{ promo.code | coupon }}"],
    ["list members", "{{ customer.orders.size }} {{ customer.orders.first.id }} {{ customer.orders.last.id }} {{ customer.orders[0].id }}"],
    ["if/elsif/else", '{% if customer.tier == "gold" %}A{% elsif customer.orders.size > 2 %}B{% else %}C{% endif %}'],
    ["unless", "{% unless customer.email contains '@example.com' %}x{% endunless %}"],
    ["case", '{% case customer.tier %}{% when "gold" %}G{% when "silver", "bronze" %}S{% else %}-{% endcase %}'],
    ["comment and raw", "{% comment %}{{ nonsense }}{% endcomment %}{% raw %}{{ also_nonsense }}{% endraw %}"],
    ["whitespace control", "{%- if customer.email -%} {{- customer.email -}} {%- endif -%}"],
    ["liquid tag", "{% liquid\n  assign greeting = 'Hi'\n  echo greeting\n%}"],
    ["nested optional record with default", '{{ customer.address.city | default: "your city" }}'],
  ])("%s", (_, source) => {
    expect(check(source)).toEqual([]);
  });
});

describe("syntax errors", () => {
  it("gives one problem at the unknown tag, with liquidjs's reason", () => {
    const source = "Hi\n  {% iff customer.email %}x{% endif %}";
    const problems = check(source);
    expect(problems).toHaveLength(1);
    const [problem] = problems as [TemplateProblem];
    expect(problem.kind).toBe("syntax");
    expect(problem.start).toBe(5);
    expect(source.slice(problem.start, problem.end)).toBe("{% iff customer.email %}");
    expect(problem.message).toContain("`iff` is not a Liquid tag; did you mean `if`?");
    expect(problem.message).toContain('liquidjs: tag "iff" not found');
  });

  it("points at the unclosed block", () => {
    const source = "A\n{% for order in customer.orders %}\n{{ order.id }}\n";
    expect(spans(source)).toEqual(["syntax {% for order in customer.orders %}"]);
    expect(check(source)[0]?.message).toContain("add `{% endfor %}`");
  });

  it("points inside the tag when liquidjs knows the character", () => {
    const source = 'Hi {{ customer.first_name | default "there" }}';
    const [problem] = check(source);
    expect(problem?.kind).toBe("syntax");
    expect(problem?.start).toBe(source.indexOf('"there"'));
    expect(problem?.message).toMatch(/put `:` between a filter and its arguments/);
  });

  it("reports an unclosed output", () => {
    const source = "Dear {{ customer.first_name";
    expect(check(source)).toMatchObject([{ kind: "syntax", start: 5 }]);
    expect(check(source)[0]?.message).toContain("never closed");
  });

  it("reports a stray end tag", () => {
    expect(spans("x {% endif %}")).toEqual(["syntax {% endif %}"]);
  });

  it("reports values side by side and operators without operands, which liquidjs lets through", () => {
    expect(spans("{{ customer.email customer.tier }}")).toEqual(["syntax customer.email customer.tier"]);
    expect(spans("{% if customer.email == %}x{% endif %}")).toEqual(["syntax =="]);
  });
});

describe("unknown variables", () => {
  it("flags an unknown root with a suggestion over the scope's names", () => {
    const source = "Hi {{ custmer.email }}";
    expect(check(source)).toEqual([
      {
        kind: "unknownVariable",
        message: "`custmer` is not defined in this template; did you mean `customer`?",
        start: 6,
        end: 13,
        suggestion: "customer",
      },
    ]);
  });

  it("lists what is available when nothing is close", () => {
    const [problem] = check("{{ basket.total }}");
    expect(problem?.suggestion).toBeUndefined();
    expect(problem?.message).toContain("use one of customer, links, promo, trigger");
  });

  it("flags an unknown field with a suggestion over that record's fields", () => {
    const source = '{{ customer.frist_name | default: "there" }}';
    const problems = check(source);
    expect(problems).toEqual([
      {
        kind: "unknownVariable",
        message: "`customer.frist_name` is not a field of customer; did you mean `first_name`?",
        start: 12,
        end: 22,
        suggestion: "first_name",
      },
    ]);
  });

  it("checks nested records and list elements", () => {
    expect(spans('{{ customer.address.cty | default: "" }}')).toEqual(["unknownVariable cty"]);
    expect(check('{{ customer.address.cty | default: "" }}')[0]?.suggestion).toBe("city");
    expect(spans("{{ customer.orders.first.totl }}")).toEqual(["unknownVariable totl"]);
    expect(spans("{{ customer.orders[0].totl }}")).toEqual(["unknownVariable totl"]);
  });

  it("explains members of lists and scalars", () => {
    const [onList] = check("{{ customer.orders.total }}");
    expect(onList?.message).toContain("`customer.orders` is a list");
    const [typo] = check("{{ customer.orders.szie }}");
    expect(typo?.suggestion).toBe("size");
    const [onScalar] = check("{{ customer.email.domain }}");
    expect(onScalar?.message).toBe("`customer.email.domain` does not exist: `customer.email` is email, which has no fields");
  });

  it("checks variables in every kind of tag and in filter arguments", () => {
    const source = [
      "{% if customer.emial %}{% endif %}",
      "{% unless customer.tierr %}{% endunless %}",
      "{% case customer.tir %}{% when promo.cod %}{% endcase %}",
      "{% assign x = customer.adress %}",
      "{% capture c %}{{ links.unsubscrbe }}{% endcapture %}",
      "{{ customer.email | append: promo.cdoe }}",
      "{% for o in customer.ordrs %}{% endfor %}",
      "{% echo links.preferenses %}",
    ].join("\n");
    expect(spans(source)).toEqual([
      "unknownVariable emial",
      "unknownVariable tierr",
      "unknownVariable tir",
      "unknownVariable cod",
      "unknownVariable adress",
      "unknownVariable unsubscrbe",
      "unknownVariable cdoe",
      "unknownVariable ordrs",
      "unknownVariable preferenses",
    ]);
  });

  it("puts quoted members' ranges inside the quotes", () => {
    const source = '{{ customer["frist_name"] | default: "" }}';
    expect(spans(source)).toEqual(["unknownVariable frist_name"]);
  });
});

describe("local variables", () => {
  it("types a loop variable as the list's element", () => {
    const source = "{% for order in customer.orders %}{{ order.id }} {{ order.totl }}{% endfor %}";
    expect(spans(source)).toEqual(["unknownVariable totl"]);
    expect(check(source)[0]?.message).toBe("`order.totl` is not a field of order; did you mean `total`?");
  });

  it("knows forloop inside a loop, not outside", () => {
    expect(check("{% for o in customer.orders %}{{ forloop.index }} of {{ forloop.length }}{% endfor %}")).toEqual([]);
    expect(spans("{% for o in customer.orders %}{{ forloop.indx }}{% endfor %}")).toEqual(["unknownVariable indx"]);
    expect(spans("{% for o in customer.orders %}{% endfor %}{{ o.id }} {{ forloop.index }}")).toEqual([
      "unknownVariable o",
      "unknownVariable forloop",
    ]);
  });

  it("handles loop options, ranges, nested loops and tablerow", () => {
    expect(check("{% for o in customer.orders limit: 2 offset: continue reversed %}{{ o.id }}{% endfor %}")).toEqual([]);
    expect(check("{% for i in (1..customer.orders.size) %}{{ i }}{% endfor %}")).toEqual([]);
    expect(
      check("{% for o in customer.orders %}{% for p in customer.orders %}{{ o.id }}{{ p.id }}{{ forloop.parentloop.index }}{% endfor %}{% endfor %}"),
    ).toEqual([]);
    expect(check("{% tablerow o in customer.orders cols: 2 %}{{ o.id }}{{ tablerowloop.col }}{% endtablerow %}")).toEqual([]);
  });

  it("accepts anything on an assigned or captured variable", () => {
    expect(check("{% assign n = customer.email | split: '@' %}{{ n.first }} {{ n.whatever.else }}")).toEqual([]);
    expect(check("{% capture line %}Hi{% endcapture %}{{ line | strip }}")).toEqual([]);
    expect(check("{% increment count %}{{ count }}")).toEqual([]);
    // assign is template-wide, not block-scoped
    expect(check("{% if customer.email %}{% assign x = 1 %}{% endif %}{{ x }}")).toEqual([]);
  });

  it("says when a variable is used before it is assigned, but not across loop iterations", () => {
    const [problem] = check("{{ total }}{% assign total = 3 %}");
    expect(problem?.message).toBe("`total` is used before it is assigned: move its `assign` or `capture` above this line");
    expect(check("{% for o in customer.orders %}{{ previous.id }}{% assign previous = o %}{% endfor %}")).toEqual([]);
  });
});

describe("any", () => {
  it("accepts every path below an `any` variable", () => {
    expect(check("{{ trigger.items[0].product.name }} {{ trigger.anything | size }}")).toEqual([]);
    expect(check("{% for item in trigger.items %}{{ item.sku.whatever }}{% endfor %}")).toEqual([]);
  });

  it("still checks the variables inside an `any` path's index", () => {
    expect(spans("{{ trigger.items[custmer.index] }}")).toEqual(["unknownVariable custmer"]);
  });
});

describe("filters", () => {
  it("flags an unknown filter with a suggestion", () => {
    const source = "{{ customer.email | upcsae }}";
    expect(check(source)).toEqual([
      {
        kind: "unknownFilter",
        message: "`upcsae` is not a filter; did you mean `upcase`?",
        start: 20,
        end: 26,
        suggestion: "upcase",
      },
    ]);
  });

  it("suggests the extra filters too, and names them when nothing is close", () => {
    expect(check("{{ promo.code | copuon }}")[0]?.suggestion).toBe("coupon");
    const [problem] = check("{{ promo.code | sparkle }}");
    expect(problem?.suggestion).toBeUndefined();
    expect(problem?.message).toContain("coupon, money");
  });

  it("points at the name of a filter with arguments, in tags too", () => {
    const source = '{% assign x = customer.email | remove_frist: "a" | default: "b" %}';
    expect(spans(source)).toEqual(["unknownFilter remove_frist"]);
    expect(check(source)[0]?.suggestion).toBe("remove_first");
  });
});

describe("optional values", () => {
  it("warns when an optional field is printed without default", () => {
    const source = "Hi {{ customer.first_name }}!";
    expect(check(source)).toEqual([
      {
        kind: "optionalWithoutDefault",
        message: '`customer.first_name` may be empty: add `| default: "…"`',
        start: 6,
        end: 25,
      },
    ]);
  });

  it("does not warn with a default filter anywhere in the output", () => {
    expect(check('{{ customer.first_name | default: "there" }}')).toEqual([]);
    expect(check('{{ customer.first_name | capitalize | default: "there" }}')).toEqual([]);
  });

  it("warns when anything on the path is optional, including loop elements' fields", () => {
    expect(spans("{{ customer.address.city }}")).toEqual(["optionalWithoutDefault customer.address.city"]);
    expect(spans("{% for o in customer.orders %}{{ o.gift_note | upcase }}{% endfor %}")).toEqual([
      "optionalWithoutDefault o.gift_note",
    ]);
    expect(spans("{% echo customer.first_name %}")).toEqual(["optionalWithoutDefault customer.first_name"]);
  });

  it("does not warn outside output: conditions and assignments are fine", () => {
    expect(check("{% if customer.first_name %}x{% endif %}{% assign n = customer.first_name %}")).toEqual([]);
  });

  it("does not warn inside an `if` that checks the value is present", () => {
    expect(check("{% if customer.first_name %}Hi {{ customer.first_name }}{% endif %}")).toEqual([]);
    expect(check("{% if customer.address != blank %}{{ customer.address.city }}{% endif %}")).toEqual([]);
    expect(check("{% if customer.email and customer.first_name != nil %}{{ customer.first_name }}{% endif %}")).toEqual([]);
    // …but the else branch, an `or`, or a different path still warn.
    expect(spans("{% if customer.first_name %}{% else %}{{ customer.first_name }}{% endif %}")).toHaveLength(1);
    expect(spans("{% if customer.first_name or customer.email %}{{ customer.first_name }}{% endif %}")).toHaveLength(1);
    expect(spans("{% if customer.address %}{{ customer.first_name }}{% endif %}")).toHaveLength(1);
  });
});

describe("offsets", () => {
  it("are exact in a multi-line template", () => {
    const source = [
      "{% comment %} promo email {% endcomment %}",
      "Hi {{ customer.frist_name | default: 'there' }},",
      "",
      "{% for order in customer.orders %}",
      "  - {{ order.id }}: {{ order.total | mony }}",
      "    {{ order.gift_note }}",
      "{% endfor %}",
      "{% if custmer.tier == 'gold' %}",
      "  {{ promo.code | coupon }}",
      "{% endif %}",
      '<a href="{{ links.unsubscribe }}">Unsubscribe</a>',
    ].join("\n");
    const problems = check(source);
    expect(spans(source, problems)).toEqual([
      "unknownVariable frist_name",
      "unknownFilter mony",
      "optionalWithoutDefault order.gift_note",
      "unknownVariable custmer",
    ]);
    const lineOf = (offset: number) => source.slice(0, offset).split("\n").length;
    expect(problems.map((p) => lineOf(p.start))).toEqual([2, 5, 6, 8]);
    expect(problems.map((p) => p.suggestion)).toEqual(["first_name", "money", undefined, "customer"]);
  });

  it("are exact with CRLF line ends and non-ASCII text before the problem", () => {
    const source = "Ciao è ☕ 👋\r\n{{ customer.frist_name | default: 'amico' }}";
    expect(spans(source)).toEqual(["unknownVariable frist_name"]);
  });
});

describe("robustness", () => {
  it.each([
    "{{",
    "}}",
    "{%",
    "%}",
    "{% if %}",
    "{% for %}",
    "{% endfor %}",
    "{{ | }}",
    "{{ a | }}",
    "{{ a[ }}",
    "{{ 'unterminated }}",
    "{% assign %}",
    "{% liquid\n if\n%}",
    "{% raw %}",
    "{% include %}",
    "{% render 'x', a: customer.foo %}",
    "{% layout 'x' %}{% block main %}{{ customer.first_name }}{% endblock %}",
    "{{ (1..) }}",
    "{{ customer.orders[-1].id }}",
    "{{ ..customer }}",
    "}}{{{{%%}}}{%",
    "\u0000\uffff{{ \ud800 }}",
  ])("does not throw on %j", (source) => {
    const problems = check(source);
    expect(Array.isArray(problems)).toBe(true);
    for (const p of problems) {
      expect(p.start).toBeGreaterThanOrEqual(0);
      expect(p.end).toBeGreaterThanOrEqual(p.start);
      expect(p.end).toBeLessThanOrEqual(source.length);
    }
  });

  it("never throws on random text made of Liquid's punctuation", () => {
    const pieces = ["{{", "}}", "{%", "%}", "|", ":", ".", "[", "]", "'", '"', " ", "\n", "if", "endif", "for", "in", "customer", "first_name", "x", "default", "(", ")", "..", "==", "-"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const source = parts.join("");
        const problems = analyzeTemplate(source, scope);
        return problems.every((p) => p.start >= 0 && p.start <= p.end && p.end <= source.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe("closestName", () => {
  it("suggests within max(1, ⌊len/3⌋) edits, counting a swap as one", () => {
    expect(closestName("frist_name", ["first_name", "last_name"])).toBe("first_name");
    expect(closestName("emial", ["email", "tier"])).toBe("email");
    expect(closestName("x", ["y"])).toBe("y");
    expect(closestName("abc", ["xyz"])).toBeUndefined();
    expect(closestName("sparkle", ["coupon", "money"])).toBeUndefined();
  });

  it("prefers a case-only difference and never suggests the name itself", () => {
    expect(closestName("Email", ["email", "emails"])).toBe("email");
    expect(closestName("email", ["email"])).toBeUndefined();
  });
});
