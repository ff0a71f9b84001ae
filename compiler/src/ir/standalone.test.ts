import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("@journey/compiler/ir", () => {
  it("imports nothing but zod and Node: the runtime validates IR without loading the parser or the CLI", () => {
    const folder = import.meta.dirname;
    for (const file of readdirSync(folder).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      const imports = [...readFileSync(join(folder, file), "utf8").matchAll(/^import[^"]*"([^"]+)"/gm)].map((m) => m[1]);
      for (const source of imports) expect(source === "zod" || source?.startsWith("node:") || source?.startsWith("./"), `${file} imports ${source}`).toBe(true);
    }
  });
});
