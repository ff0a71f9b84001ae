import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { irFileSchema } from "@journey/compiler";
import { describe, expect, it } from "vitest";
import { examples } from "./build-support/examples.js";

const bin = join(import.meta.dirname, "../compiler/bin/journey.js");

function journey(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function folder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "journey-build-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Every file under a folder with its text, by relative path. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else files[path] = readFileSync(join(dir, path), "utf8");
    }
  };
  walk("");
  return files;
}

const schema = "event purchase {\n  total money\n}\n";
const good = "journey j {\n  when purchase\n  goal purchase within 7 days\n\n  wait 1 day\n}\n";
const broken = "journey j {\n  when purchase\n  goal purchase within 7 days\n  wait\n}\n";

describe("journey build", () => {
  it("writes the manifest, the project and one file per journey, each valid IR", () => {
    const work = folder();
    cpSync(examples, join(work, "shop"), { recursive: true });
    const run = journey(["build", "shop", "--out", "out"], work);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe("built 7 journeys of project shop from 11 files into out");
    const written = tree(join(work, "out"));
    expect(Object.keys(written).sort()).toEqual(["journeys/abandoned_cart.json", "journeys/birthday_offer.json", "journeys/lead_scoring.json", "journeys/promo_fallback.json", "journeys/store_to_online.json", "journeys/welcome_series.json", "journeys/winback.json", "manifest.json", "project.json"]);
    for (const [path, text] of Object.entries(written)) expect(irFileSchema.safeParse(JSON.parse(text)).success, path).toBe(true);
    const manifest = JSON.parse(written["manifest.json"] ?? "{}");
    expect(manifest).toMatchObject({ format: "journey-ir/1", kind: "manifest", project: "shop", compiler: { name: "@journey/compiler", version: "0.1.0" }, projectFile: "project.json" });
  });

  it("gives the same bytes from another folder, from a copy elsewhere, and with the files named in another order", () => {
    const one = folder();
    const two = folder();
    cpSync(examples, join(one, "shop"), { recursive: true });
    cpSync(examples, join(two, "deeper", "shop"), { recursive: true });
    expect(journey(["build", "shop", "--out", "out"], one).code).toBe(0);
    expect(journey(["build", ".", "--out", "../../out"], join(two, "deeper", "shop")).code).toBe(0);
    const files = readdirSync(join(one, "shop")).filter((f) => f.endsWith(".journey")).reverse();
    expect(journey(["build", ...files.map((f) => join("shop", f)), "--out", "out2"], one).code).toBe(0);
    expect(tree(join(two, "out"))).toEqual(tree(join(one, "out")));
    expect(tree(join(one, "out2"))).toEqual(tree(join(one, "out")));
  });

  it("writes nothing and exits 1 with the check report when the project has errors", () => {
    const dir = folder({ "schema.journey": schema, "j.journey": broken });
    const run = journey(["build", ".", "--out", "out"], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("error[J1003]: expected a duration such as `2 days` after `wait`");
    expect(run.stderr).toContain("--> j.journey:4:7");
    expect(run.stderr).toContain("2 files, 1 error, 0 warnings");
    expect(run.stderr).toContain("Nothing was built");
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("leaves an earlier build alone when the new one fails", () => {
    const dir = folder({ "schema.journey": schema, "j.journey": good });
    expect(journey(["build", ".", "--out", "out"], dir).code).toBe(0);
    const before = tree(join(dir, "out"));
    writeFileSync(join(dir, "j.journey"), broken);
    expect(journey(["build", ".", "--out", "out"], dir).code).toBe(1);
    expect(tree(join(dir, "out"))).toEqual(before);
  });

  it("removes the file of a journey that is gone, and nothing else", () => {
    const dir = folder({ "schema.journey": schema, "j.journey": good, "k.journey": good.replace("journey j", "journey k") });
    expect(journey(["build", ".", "--out", "out"], dir).code).toBe(0);
    writeFileSync(join(dir, "out", "notes.txt"), "mine");
    writeFileSync(join(dir, "k.journey"), "");
    expect(journey(["build", ".", "--out", "out"], dir).code).toBe(0);
    expect(Object.keys(tree(join(dir, "out"))).sort()).toEqual(["journeys/j.json", "manifest.json", "notes.txt", "project.json"]);
  });

  it("takes the project's name from --name", () => {
    const dir = folder({ "schema.journey": schema, "j.journey": good });
    expect(journey(["build", "--out", "out", "--name", "acme"], dir).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "out", "manifest.json"), "utf8")).project).toBe("acme");
  });

  it("prints warnings but builds", () => {
    const dir = folder({ "schema.journey": schema, "j.journey": good.replace("wait 1 day", "wait for purchase") });
    const run = journey(["build", ".", "--out", "out"], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("warning[J4003]");
    expect(existsSync(join(dir, "out", "journeys", "j.json"))).toBe(true);
  });

  it("needs --out: a usage error", () => {
    const dir = folder({ "schema.journey": schema, "j.journey": good });
    const run = journey(["build", "."], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '--out <folder>' not specified");
  });
});
