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
        return { ...decl, items: decl.items.filter((i): i is A.WhenClause => i.kind === "WhenClause").map(triggerOnly) };
      default:
        return decl;
    }
  });
  return { ...parsed, ast: { ...parsed.ast, declarations }, diagnostics: [] };
}

/** A trigger without its `where` condition: other journeys only ask how it starts (`start journey`). */
function triggerOnly(clause: A.WhenClause): A.WhenClause {
  const trigger = clause.trigger;
  if (trigger?.kind !== "EventTrigger" || !trigger.event.condition) return clause;
  const { condition: _condition, ...event } = trigger.event;
  return { ...clause, trigger: { ...trigger, event } };
}
