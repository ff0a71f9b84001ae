import { readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { buildFiles, canonicalJson, irFileSchema, irJsonSchema, type JourneyFile, journeyHash, LoweringError, renderMermaid, sha256 } from "@journey/compiler";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { buildFolder, examples, root } from "./build-support/examples.js";

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
const validate = ajv.compile(irJsonSchema());

describe("building the examples", () => {
  const build = buildFolder(examples);
  const files = buildFiles(build);

  it("gives a manifest, the project and the seven journeys", () => {
    expect([...files.keys()]).toEqual([
      "manifest.json",
      "project.json",
      ...["abandoned_cart", "birthday_offer", "lead_scoring", "promo_fallback", "store_to_online", "welcome_series", "winback"].map((n) => `journeys/${n}.json`),
    ]);
  });

  for (const [path, text] of files) {
    it(`${path} validates against the zod schema and the JSON Schema`, () => {
      const json = JSON.parse(text);
      const parsed = irFileSchema.safeParse(json);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      expect(validate(json) ? [] : validate.errors).toEqual([]);
      // What the runtime reads back is what was written: nothing lost or added by validation.
      expect(canonicalJson(parsed.data)).toBe(text);
    });
  }

  it("is byte for byte the same when built again, and with the files in reverse order", () => {
    expect(buildFiles(buildFolder(examples))).toEqual(files);
    expect(buildFiles(buildFolder(examples, "reversed"))).toEqual(files);
  });

  it("holds no absolute path and no time stamp", () => {
    for (const [path, text] of files) {
      expect(text, path).not.toContain(root);
      expect(text, path).not.toContain(homedir());
      expect(text, path).not.toMatch(/20\d\d-\d\d-\d\dT/);
    }
  });

  it("hashes each journey's graph, and the manifest lists the hashes", () => {
    for (const journey of build.journeys) {
      expect(journey.hash).toBe(journeyHash(journey));
      expect(build.manifest.journeys.find((j) => j.name === journey.name)?.hash).toBe(journey.hash);
    }
    expect(build.manifest.projectHash).toBe(sha256(files.get("project.json") ?? ""));
    expect(new Set(build.journeys.map((j) => j.hash)).size).toBe(build.journeys.length);
  });

  it("inlines template files, with the path relative to the project", () => {
    const promo = build.project.templates.find((t) => t.name === "promo_email");
    expect(promo?.parts.body?.file).toBe("templates/promo.liquid");
    expect(promo?.parts.body?.liquid).toContain("{% for category in customer.favourite_categories %}");
    expect(promo?.parts.subject).toEqual({ liquid: "{{ customer.first_name | default: 'Ciao' }}, offers picked for you" });
  });

  it("gives every journey a well-formed graph", () => {
    for (const journey of build.journeys) {
      const ids = journey.nodes.map((n) => n.id);
      expect(new Set(ids).size, journey.name).toBe(ids.length);
      expect(journey.nodes[0]?.kind).toBe("start");
      expect(journey.start).toBe(ids[0]);
      const out = (id: string) => journey.edges.filter((e) => e.from === id);
      for (const edge of journey.edges) expect(ids.includes(edge.from) && ids.includes(edge.to), `${journey.name}: ${edge.from} -> ${edge.to}`).toBe(true);
      for (const node of journey.nodes) {
        const kinds = out(node.id).map((e) => e.kind);
        const where = `${journey.name}: ${node.id}`;
        if (node.id !== journey.start) expect(journey.edges.some((e) => e.to === node.id), `${where} is reached`).toBe(true);
        switch (node.kind) {
          case "exit":
          case "end":
            expect(kinds, where).toEqual([]);
            break;
          case "if":
            expect(kinds.filter((k) => k === "branch").length, where).toBeGreaterThan(0);
            expect(kinds.filter((k) => k !== "branch"), where).toEqual(["else"]);
            break;
          case "match":
            expect(kinds.filter((k) => k === "case").length, where).toBeGreaterThan(0);
            expect(kinds.filter((k) => k !== "case"), where).toEqual(["else"]);
            break;
          case "split":
          case "experiment": {
            const arms = out(node.id).flatMap((e) => (e.kind === "arm" ? [e.percent] : []));
            expect(arms.length, where).toBe(kinds.length);
            expect(arms.reduce((a, b) => a + b, 0), where).toBe(100);
            break;
          }
          case "holdout":
            expect(kinds, where).toEqual(["next", "control"]);
            break;
          case "wait":
            expect(kinds, where).toEqual(node.wait.kind !== "event" ? ["next"] : node.wait.timeout ? ["event", "timeout"] : ["event"]);
            break;
          default:
            expect(kinds, where).toEqual(["next"]);
        }
      }
    }
  });

  it("maps every node to its place in the source", () => {
    const cart = build.journeys.find((j) => j.name === "abandoned_cart");
    const reminder = cart?.nodes.find((n) => n.id === "reminder");
    expect(reminder?.source).toEqual({ file: "abandoned_cart.journey", start: { line: 15, column: 3 }, end: { line: 15, column: 37 } });
    for (const journey of build.journeys) for (const node of journey.nodes) expect(node.source.file).toBe(`${journey.name}.journey`);
  });
});

describe("docs/ir.md", () => {
  const path = join(root, "docs/ir.md");
  let doc = readFileSync(path, "utf8");
  const journeyBlock = /```journey\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
  const build = buildFolder(examples, "sorted", [{ file: "examples/cart_nudge.journey", text: journeyBlock }]);
  const journey = build.journeys.find((j) => j.name === "cart_nudge");
  const segment = build.project.segments.find((s) => s.name === "big_spenders");

  /** The block after ```<info>, rewritten when UPDATE_IR_DOCS is set. */
  const block = (info: string, expected: string): string => {
    const pattern = new RegExp(`\`\`\`${info}\\n([\\s\\S]*?)\`\`\``);
    if (process.env.UPDATE_IR_DOCS) {
      doc = doc.replace(pattern, () => `\`\`\`${info}\n${expected}\`\`\``);
      writeFileSync(path, doc);
    }
    return pattern.exec(doc)?.[1] ?? "";
  };

  it("shows the IR of its example journey as the compiler writes it (UPDATE_IR_DOCS=1 rewrites it)", () => {
    expect(journey).toBeDefined();
    const expected = canonicalJson(journey);
    expect(block("json ir-example cart_nudge", expected)).toBe(expected);
  });

  it("shows its flowchart as journey graph draws it", () => {
    const expected = renderMermaid(journey as JourneyFile);
    expect(block("mermaid ir-example cart_nudge", expected)).toBe(expected);
  });

  it("shows the big_spenders segment as the compiler writes it", () => {
    const expected = canonicalJson(segment);
    expect(block("json ir-segment big_spenders", expected)).toBe(expected);
  });
});

describe("every program the checker passes builds", () => {
  // The language reference's examples, each added to the example project: whichever of them the
  // checker passes (many clash with the project's names, or lack a declaration) must lower
  // without a LoweringError, so a checker change that lets new programs through is noticed here.
  const reference = readFileSync(join(root, "docs/language.md"), "utf8");
  const blocks = [...reference.matchAll(/```journey\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  let built = 0;
  // Without the example journeys, whose names the reference reuses.
  const journeyNames = new Set(buildFolder(examples).journeys.map((j) => `examples/${j.name}.journey`));

  blocks.forEach((text, index) => {
    it(`docs/language.md example ${index + 1}`, () => {
      try {
        buildFolder(examples, "sorted", [{ file: "examples/reference_example.journey", text }], (file) => !journeyNames.has(file));
        built++;
      } catch (error) {
        if (error instanceof LoweringError) throw error;
      }
    });
  });

  it("builds a good share of them", () => {
    expect(built, `${built} of ${blocks.length} built`).toBeGreaterThan(20);
  });
});
