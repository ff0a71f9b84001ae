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
 * A journey's trigger (other journeys ask how it starts, for `start journey`) and goal (kept so the
 * outline raises no "no goal" hint), without their `where` conditions; no steps.
 */
function settingOnly(item: A.JourneyItem): A.JourneyItem[] {
  if (item.kind === "WhenClause") {
    const trigger = item.trigger;
    if (trigger?.kind !== "EventTrigger" || !trigger.event.condition) return [item];
    return [{ ...item, trigger: { ...trigger, event: withoutCondition(trigger.event) } }];
  }
  if (item.kind === "GoalClause") return [item.event?.condition ? { ...item, event: withoutCondition(item.event) } : item];
  return [];
}

function withoutCondition(pattern: A.EventPattern): A.EventPattern {
  const { condition: _condition, ...rest } = pattern;
  return rest;
}
