import type * as A from "../syntax/ast.js";
import type { ParseResult } from "../syntax/parse.js";

/**
 * A file reduced to what other files can see of it: its declarations' names, the schema (customer,
 * events, objects), lists, policies, templates' channels and journeys' triggers; no segment
 * conditions, score rules, template texts or journey steps. Checking one file against the outlines
 * of all the others gives that file's own diagnostics, names and types at a fraction of the cost
 * of checking everything (what an edit needs first); the full check follows when typing pauses.
 */
export function declarationsOnly(parsed: ParseResult): ParseResult {
  const declarations = parsed.ast.declarations.map((decl): A.Declaration => {
    switch (decl.kind) {
      case "SegmentDecl":
        return { ...decl, condition: undefined };
      case "ScoreDecl":
        return { ...decl, rules: [] };
      case "TemplateDecl":
        return { ...decl, props: [] };
      case "JourneyDecl":
        return { ...decl, items: decl.items.flatMap(settingOnly) };
      default:
        return decl;
    }
  });
  return { ...parsed, ast: { ...parsed.ast, declarations }, diagnostics: [] };
}

/**
 * What other files ask of a journey: whether it starts on an event (`start journey` cannot start
 * one that does), and that it has a trigger and a goal (so its outline raises no findings of its
 * own). Names it refers to are left out: looking them up, and suggesting names for the unknown
 * ones, is the full check's work.
 */
function settingOnly(item: A.JourneyItem): A.JourneyItem[] {
  if (item.kind === "WhenClause") {
    const trigger = item.trigger;
    if (trigger?.kind === "EventTrigger") {
      const { condition: _condition, ...event } = trigger.event;
      const { correlationKey: _key, ...rest } = trigger;
      return [{ ...item, trigger: { ...rest, event } }];
    }
    return [{ ...item, trigger: { kind: "ApiTrigger", span: item.span } }];
  }
  if (item.kind === "GoalClause") return [{ kind: "GoalClause", span: item.span, event: undefined }];
  return [];
}
