import { describe, expect, it } from "vitest";
import { services } from "../testing/services.js";
import { openPostgresStore } from "./postgres.js";

/** What only the pooled store does: connect over the network. */
describe.skipIf(services.embeddedOnly)("PostgreSQL store", () => {
  it("fails to open at once, with the driver's cause, when the server cannot be reached", async () => {
    await expect(openPostgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/test" })).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  }, 5_000);

  it("refuses a schema name it would have to quote", async () => {
    await expect(openPostgresStore({ connectionString: services.databaseUrl, schema: "x; DROP TABLE y" })).rejects.toThrow(
      /lower-case identifier/,
    );
  });
});
