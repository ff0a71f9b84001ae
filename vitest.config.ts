import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, not the built dist/.
    alias: {
      "@journey/language": here("./language/src/index.ts"),
      // The subpath first: an alias also matches the longer specifiers it prefixes.
      "@journey/compiler/ir": here("./compiler/src/ir/index.ts"),
      "@journey/compiler": here("./compiler/src/index.ts"),
      "@journey/runtime": here("./runtime/src/index.ts"),
    },
  },
  test: {
    include: ["language/src/**/*.test.ts", "compiler/src/**/*.test.ts", "runtime/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    // PGlite takes seconds to start, more on a loaded machine: a beforeAll that opens one needs room.
    hookTimeout: 120_000,
    globalSetup: ["test/setup/build.ts"],
  },
});
