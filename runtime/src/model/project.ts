/**
 * A compiled project as the runtime holds it: the build's files validated with the IR's own zod
 * schemas (the runtime trusts nothing it did not validate), indexed for lookups by name.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Build,
  type Field,
  type IrEdge,
  type IrNode,
  type JourneyFile,
  journeyFileSchema,
  manifestSchema,
  type ProjectFile,
  projectFileSchema,
  type Segment,
  type Template,
} from "@journey/compiler/ir";
import type { z } from "zod";

export class ProjectLoadError extends Error {
  override name = "ProjectLoadError";
}

/** One journey version, with its graph indexed. */
export interface LoadedJourney {
  ir: JourneyFile;
  name: string;
  /** The IR hash: the version an enrollment is pinned to. */
  version: string;
  nodes: ReadonlyMap<string, IrNode>;
  /** Outgoing edges of each node, in the IR's order (branch order matters). */
  out: ReadonlyMap<string, readonly IrEdge[]>;
}

export interface LoadedProject {
  build: Build;
  project: ProjectFile;
  journeys: ReadonlyMap<string, LoadedJourney>;
  segments: ReadonlyMap<string, Segment>;
  templates: ReadonlyMap<string, Template>;
  customerFields: ReadonlyMap<string, Field>;
  events: ReadonlyMap<string, ProjectFile["schema"]["events"][number]>;
  objects: ReadonlyMap<string, ProjectFile["schema"]["objects"][number]>;
  /** The customer's identity keys, in the order declared (the first is what Segment calls userId). */
  identity: readonly string[];
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const where = first ? first.path.join(".") || "(root)" : "(root)";
  throw new ProjectLoadError(`${what} is not valid journey IR at ${where}: ${first?.message ?? "invalid"}; rebuild it with \`journey build\``);
}

export function indexJourney(raw: unknown): LoadedJourney {
  const ir = parseOrThrow(journeyFileSchema, raw, "a journey file");
  const nodes = new Map(ir.nodes.map((n) => [n.id, n] as const));
  const out = new Map<string, IrEdge[]>();
  for (const edge of ir.edges) {
    if (!nodes.has(edge.from) || !nodes.has(edge.to)) {
      throw new ProjectLoadError(`journey ${ir.name}: edge ${edge.from} -> ${edge.to} names a node the journey does not have`);
    }
    const list = out.get(edge.from) ?? [];
    list.push(edge);
    out.set(edge.from, list);
  }
  if (!nodes.has(ir.start)) throw new ProjectLoadError(`journey ${ir.name}: start node ${ir.start} is missing`);
  return { ir, name: ir.name, version: ir.hash, nodes, out };
}

/** Validates and indexes an in-memory build (what `journey build` would write). */
export function loadProject(build: Build): LoadedProject {
  const manifest = parseOrThrow(manifestSchema, build.manifest, "the manifest");
  const project = parseOrThrow(projectFileSchema, build.project, "the project file");
  const journeys = new Map(build.journeys.map((j) => [j.name, indexJourney(j)] as const));
  for (const name of project.journeys) {
    if (!journeys.has(name)) throw new ProjectLoadError(`the project lists journey ${name} but the build has no file for it`);
  }
  return {
    build: { manifest, project, journeys: [...journeys.values()].map((j) => j.ir) },
    project,
    journeys,
    segments: new Map(project.segments.map((s) => [s.name, s] as const)),
    templates: new Map(project.templates.map((t) => [t.name, t] as const)),
    customerFields: new Map(project.schema.customer.fields.map((f) => [f.name, f] as const)),
    events: new Map(project.schema.events.map((e) => [e.name, e] as const)),
    objects: new Map(project.schema.objects.map((o) => [o.name, o] as const)),
    identity: project.schema.customer.identity,
  };
}

/** Reads a build folder written by `journey build --out DIR`. */
export async function readBuild(dir: string): Promise<LoadedProject> {
  const json = async (file: string): Promise<unknown> => {
    try {
      return JSON.parse(await readFile(join(dir, file), "utf8"));
    } catch (error) {
      throw new ProjectLoadError(`cannot read ${join(dir, file)}: ${(error as Error).message}; run \`journey build --out ${dir}\` first`);
    }
  };
  const manifest = parseOrThrow(manifestSchema, await json("manifest.json"), "manifest.json");
  const project = parseOrThrow(projectFileSchema, await json(manifest.projectFile), manifest.projectFile);
  const journeys = await Promise.all(manifest.journeys.map(async (j) => parseOrThrow(journeyFileSchema, await json(j.file), j.file)));
  return loadProject({ manifest, project, journeys });
}
