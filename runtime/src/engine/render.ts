/**
 * Renders templates (Liquid parts checked at build time) for one customer. Templates are data: the
 * engine has no filesystem access (`include` and `render` find nothing) and reads only own
 * properties of the variables. Parsed parts are cached by template key and part, and re-parsed when
 * the source under that key changes (a new project version).
 */
import type { Liquid as LiquidPart } from "@journey/compiler/ir";
import { Liquid, type Template } from "liquidjs";

export interface RenderVars {
  customer: Record<string, unknown>;
  trigger?: Record<string, unknown>;
  recommendations?: Record<string, unknown>[];
  message?: { id: string };
}

export class RenderError extends Error {
  override name = "RenderError";

  constructor(
    readonly template: string,
    readonly part: string,
    cause: unknown,
  ) {
    super(`template ${template}, part ${part}: ${cause instanceof Error ? cause.message : String(cause)}; fix the Liquid in that part and rebuild`, { cause });
  }
}

export class TemplateRenderer {
  readonly #liquid: Liquid;
  readonly #cache = new Map<string, { source: string; parsed: Template[] }>();

  constructor() {
    this.#liquid = new Liquid({
      ownPropertyOnly: true,
      // An in-memory, empty file set: templates are data and must not read the disk.
      templates: {},
      relativeReference: false,
      strictFilters: true,
      strictVariables: false,
      cache: false,
    });
  }

  /** Each part rendered with `vars`, trimmed. Throws RenderError naming the template and the part. */
  async render(key: string, parts: Readonly<Record<string, LiquidPart>>, vars: RenderVars): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [part, { liquid }] of Object.entries(parts)) {
      try {
        const text: unknown = await this.#liquid.render(this.#parsed(key, part, liquid), vars);
        out[part] = String(text).trim();
      } catch (error) {
        throw new RenderError(key, part, error);
      }
    }
    return out;
  }

  #parsed(key: string, part: string, source: string): Template[] {
    const cacheKey = `${key}\u0000${part}`;
    const cached = this.#cache.get(cacheKey);
    if (cached && cached.source === source) return cached.parsed;
    const parsed = this.#liquid.parse(source);
    this.#cache.set(cacheKey, { source, parsed });
    return parsed;
  }
}
