import type { Declared, StringLiteral, TemplateDecl, TemplateProp } from "@journey/language";
import { Liquid } from "liquidjs";
import type { Liquid as LiquidSource, Template } from "../ir/schema.js";
import { byName, fail, required, type SourceMap } from "./common.js";

const engine = new Liquid();

/** Reads a file a `.journey` file names (`body file "templates/promo.liquid"`), by the checker's path. */
export type ReadFile = (path: string) => string | undefined;

/** Liquid sources, parsed once here so that the runtime only ever receives templates that parse. */
export class TemplateLowerer {
  constructor(
    private readonly sources: SourceMap,
    private readonly readFile: ReadFile,
  ) {}

  /** An inline text (`send sms "…"`, a template part). */
  inline(literal: StringLiteral | undefined, what: string): LiquidSource {
    const text = required(literal, what).value;
    this.parse(text, what);
    return { liquid: text };
  }

  /** A part: inline, or read from a file next to the `.journey` file that names it. */
  part(prop: TemplateProp, file: string, what: string): LiquidSource {
    if (!prop.fromFile) return this.inline(prop.value, what);
    const path = `${folderOf(file)}${required(prop.value, `the file of ${what}`).value}`;
    const text = this.readFile(path) ?? fail(`the template file \`${path}\` of ${what} cannot be read`);
    this.parse(text, `${what} (${path})`);
    return { liquid: text, file: this.sources.path(path) };
  }

  parts(props: TemplateProp[], file: string, owner: string): Record<string, LiquidSource> {
    const parts: Record<string, LiquidSource> = {};
    for (const prop of props) {
      const name = prop.name.text;
      if (Object.hasOwn(parts, name)) fail(`${owner} has two \`${name}\` parts`);
      parts[name] = this.part(prop, file, `the ${name} of ${owner}`);
    }
    return parts;
  }

  template(declared: Declared<TemplateDecl>): Template {
    const { node, file, name } = declared;
    const channel = required(node.channel, `the channel of template ${name}`).text;
    if (!["email", "sms", "push", "webhook", "in_app"].includes(channel)) fail(`template ${name} has the unknown channel \`${channel}\``);
    return {
      name,
      channel: channel as Template["channel"],
      ...(node.doc ? { doc: node.doc.text } : {}),
      parts: this.parts(node.props, file, `template ${name}`),
      source: this.sources.range(file, node.span),
    };
  }

  templates(templates: Iterable<Declared<TemplateDecl>>): Template[] {
    return [...templates].map((t) => this.template(t)).sort(byName);
  }

  private parse(text: string, what: string): void {
    try {
      engine.parse(text);
    } catch (error) {
      fail(`${what} is not valid Liquid: ${error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error)}`);
    }
  }
}

/** The checker reads template files relative to the folder of the `.journey` file that names them. */
function folderOf(file: string): string {
  const slash = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return slash < 0 ? "" : file.slice(0, slash + 1);
}
