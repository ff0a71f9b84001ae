// Command-line options shared by the bench scripts: `--key=value` or `--flag`, and the shapes to run.
import { SHAPES } from "./generate.mjs";

/** `--runs=3 --no-write` → Map { runs → "3", no-write → "true" }. */
export function parseArgs(argv = process.argv.slice(2)) {
  return new Map(
    argv.map((arg) => {
      const [key, value] = arg.replace(/^--/, "").split("=");
      return [key, value ?? "true"];
    }),
  );
}

/** The shapes named by `--shape=a,b` (default: `fallback`), exiting with a message on an unknown one. */
export function selectedShapes(args, fallback = Object.keys(SHAPES)) {
  const shapes = (args.get("shape") ?? fallback.join(",")).split(",");
  for (const shape of shapes) {
    if (!SHAPES[shape]) {
      console.error(`bench: unknown shape ${shape} (expected ${Object.keys(SHAPES).join(", ")})`);
      process.exit(2);
    }
  }
  return shapes;
}
