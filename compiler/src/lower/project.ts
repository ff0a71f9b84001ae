import { checkProgram, type Diagnostic, type Program, type SourceInput } from "@journey/language";
import { canonicalJson, sha256 } from "../ir/canonical.js";
import { type Build, type Expr, IR_FORMAT, type JourneyFile, type Manifest, type ProjectFile, type Score, type Segment } from "../ir/schema.js";
import { byName, fail, isoDuration, LoweringError, required, SourceMap } from "./common.js";
import { segmentDependencies } from "./dependencies.js";
import { ExpressionLowerer } from "./expressions.js";
import { JourneyLowerer } from "./journeys.js";
import { lowerDataSchema, lowerPolicy } from "./schema.js";
import { segmentSql } from "./sql.js";
import { type ReadFile, TemplateLowerer } from "./templates.js";

export interface LowerOptions {
  /** The project's name, written into the manifest (the CLI uses the project folder's name). */
  project: string;
  /** Reads a file a `.journey` file names (template bodies), by the path the checker uses. */
  readFile?: ReadFile;
  /**
   * The path written into the IR for a checker file name: relative to the project root, so that
   * the output does not depend on where the project is. Default: the name unchanged.
   */
  sourcePath?: (file: string) => string;
  compilerVersion?: string;
}

export const COMPILER_NAME = "@journey/compiler";

/** Journey file names inside a build folder. */
export function journeyFileName(name: string): string {
  return `journeys/${name}.json`;
}

/**
 * Lowers a checked program with no errors to the graph IR. Throws a LoweringError when the program
 * has errors, or when something the checker guarantees does not hold (a bug, reported as such).
 */
export function lowerProgram(program: Program, options: LowerOptions): Build {
  const errors = program.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) fail(`the program has ${errors.length} error${errors.length === 1 ? "" : "s"}: check it before building`);
  const { symbols } = program;
  const sources = new SourceMap(new Map(program.files.map((f) => [f.file, f.lineIndex])), options.sourcePath ?? ((file) => file));
  const expressions = new ExpressionLowerer(symbols, program.files);
  const templates = new TemplateLowerer(sources, options.readFile ?? (() => undefined));

  const scores: Score[] = [...symbols.scores.values()]
    .map(({ name, node, file }) => {
      const decays = node.rules.filter((r) => r.kind === "ScoreDecay");
      if (decays.length > 1) fail(`score ${name} says how it halves ${decays.length} times`);
      const decay = decays[0];
      return {
        name,
        ...(node.doc ? { doc: node.doc.text } : {}),
        rules: node.rules.flatMap((rule) => {
          if (rule.kind !== "ScorePoints") return [];
          const pattern = required(rule.event, `the event of a rule of score ${name}`);
          const event = pattern.event.text;
          if (!symbols.events.has(event)) fail(`unknown event \`${event}\``);
          const where = pattern.condition ? expressions.lower(pattern.condition, expressions.eventScope(event, {})) : undefined;
          return [{ points: rule.points, event, ...(where ? { where } : {}) }];
        }),
        ...(decay ? { halfLife: isoDuration(decay.halfLife) } : {}),
        source: sources.range(file, node.span),
      };
    })
    .sort(byName);

  const predicates = new Map<string, Expr>(
    [...symbols.segments.values()].map(({ name, node }) => [name, expressions.condition(node.condition, {})] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const catalog = { segments: predicates, scoreHalfLives: new Map(scores.map((s) => [s.name, s.halfLife])) };
  const dependencies = segmentDependencies(predicates, new Map(scores.map((s) => [s.name, { events: [...new Set(s.rules.map((r) => r.event))].sort(), decays: s.halfLife !== undefined }])));
  const segments: Segment[] = [...symbols.segments.values()]
    .map(({ name, node, file }) => ({
      name,
      ...(node.doc ? { doc: node.doc.text } : {}),
      predicate: predicates.get(name) ?? fail(`segment ${name} has no condition`),
      sql: segmentSql(name, catalog),
      dependsOn: dependencies.get(name) ?? fail(`no dependencies for segment ${name}`),
      source: sources.range(file, node.span),
    }))
    .sort(byName);

  const lowerer = new JourneyLowerer(symbols, expressions, templates, sources);
  const journeys: JourneyFile[] = [...symbols.journeys.values()].map((j) => lowerer.lower(j)).sort(byName);

  const policies = [...symbols.policies]
    .map(({ node, file }) => ({ policy: lowerPolicy(node, file, sources), at: [sources.path(file), node.span.start] as const }))
    .sort((a, b) => (a.at[0] < b.at[0] ? -1 : a.at[0] > b.at[0] ? 1 : a.at[1] - b.at[1]))
    .map((p) => p.policy);

  const project: ProjectFile = {
    format: IR_FORMAT,
    kind: "project",
    name: options.project,
    schema: lowerDataSchema(symbols, expressions, sources),
    segments,
    lists: [...symbols.lists.values()]
      .map(({ name, node, file }) => ({ name, ...(node.doc ? { doc: node.doc.text } : {}), source: sources.range(file, node.span) }))
      .sort(byName),
    scores,
    templates: templates.templates(symbols.templates.values()),
    policies,
    journeys: journeys.map((j) => j.name),
  };
  const manifest: Manifest = {
    format: IR_FORMAT,
    kind: "manifest",
    project: options.project,
    compiler: { name: COMPILER_NAME, version: options.compilerVersion ?? "0.0.0" },
    projectFile: "project.json",
    projectHash: sha256(canonicalJson(project)),
    journeys: journeys.map((j) => ({ name: j.name, ...(j.title ? { title: j.title } : {}), file: journeyFileName(j.name), hash: j.hash })),
  };
  return { manifest, project, journeys };
}

export interface CompileResult {
  program: Program;
  diagnostics: Diagnostic[];
  /** Absent when the program has errors. */
  build?: Build;
}

/** Checks sources and, when there is no error, lowers them: what `journey build` does, without files. */
export function compile(sources: SourceInput[], options: LowerOptions): CompileResult {
  const program = checkProgram(sources, options.readFile ? { readFile: options.readFile } : {});
  const hasErrors = program.diagnostics.some((d) => d.severity === "error");
  if (hasErrors) return { program, diagnostics: program.diagnostics };
  return { program, diagnostics: program.diagnostics, build: lowerProgram(program, options) };
}

/** Every file of a build, by its path inside the build folder, in canonical JSON. */
export function buildFiles(build: Build): Map<string, string> {
  const files = new Map<string, string>();
  files.set("manifest.json", canonicalJson(build.manifest));
  files.set(build.manifest.projectFile, canonicalJson(build.project));
  for (const journey of build.journeys) files.set(journeyFileName(journey.name), canonicalJson(journey));
  return files;
}

export { LoweringError };
