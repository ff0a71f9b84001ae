import { z } from "zod";
import { irFileSchema } from "./schema.js";

/** The JSON Schema (draft 2020-12) of every file of a build, generated from the zod schema: what docs/ir.schema.json holds. */
export function irJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://github.com/journey-lang/journey/blob/main/docs/ir.schema.json",
    ...z.toJSONSchema(irFileSchema, { target: "draft-2020-12", io: "output" }),
  };
}
