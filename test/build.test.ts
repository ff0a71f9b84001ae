import { homedir } from "node:os";
import { buildFiles, canonicalJson, irFileSchema, irJsonSchema, journeyHash, sha256 } from "@journey/compiler";
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

  it("maps every node to its place in the source", () => {
    const cart = build.journeys.find((j) => j.name === "abandoned_cart");
    const reminder = cart?.nodes.find((n) => n.id === "reminder");
    expect(reminder?.source).toEqual({ file: "abandoned_cart.journey", start: { line: 15, column: 3 }, end: { line: 15, column: 37 } });
    for (const journey of build.journeys) for (const node of journey.nodes) expect(node.source.file).toBe(`${journey.name}.journey`);
  });
});
