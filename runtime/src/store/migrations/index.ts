import { sql as initial } from "./0001_initial.js";
import { sql as engine } from "./0002_engine.js";

export interface Migration {
  /** 1, 2, 3 … in order, without gaps; never reused. */
  version: number;
  /** What the migration does, in a few words (snake_case, like its file name). */
  name: string;
  sql: string;
}

/** Every migration, in the order they apply. A new one: add `000N_name.ts` and list it here. */
export const migrations: readonly Migration[] = [
  { version: 1, name: "initial", sql: initial },
  { version: 2, name: "engine", sql: engine },
];
