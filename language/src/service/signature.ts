import { aggregates } from "./completion.js";
import { codeBefore, words } from "./context.js";

export interface SignatureHelp {
  label: string;
  documentation: string;
  /** The parameters, as they appear in the label. */
  parameters: string[];
  activeParameter: number;
}

const recommend = {
  label: "recommend <count> <Object> like <value> boost <condition> where <condition>",
  documentation:
    "Picks items of an object for an in-app message. `like`: what the items should resemble; `boost`: favours items for which the condition holds; `where`: keeps only those. All three are optional, in this order.",
  parameters: ["<count>", "<Object>", "like <value>", "boost <condition>", "where <condition>"],
};

/** The signature of the aggregate (`count(`, `sum(` …) or `recommend` line the cursor is in, with the argument being written. */
export function signatureHelp(text: string, offset: number): SignatureHelp | undefined {
  const line = codeBefore(text, offset);
  if (line === undefined) return undefined;
  // The innermost call still open on this line.
  let depth = 0;
  for (let i = line.length - 1; i >= 0; i--) {
    const ch = line[i];
    if (ch === ")") depth++;
    else if (ch === "(") {
      if (depth > 0) {
        depth--;
        continue;
      }
      const callee = line.slice(0, i).match(/([A-Za-z_][A-Za-z0-9_]*)\s*$/)?.[1];
      const fn = callee ? aggregates[callee] : undefined;
      if (!fn) continue;
      return { label: fn.signature, documentation: fn.doc, parameters: fn.params, activeParameter: Math.min(topLevelCommas(line.slice(i + 1)), fn.params.length - 1) };
    }
  }
  const w = words(line.trim());
  if (w[0] !== "recommend") return undefined;
  const keyword = ["where", "boost", "like"].find((k) => w.includes(k));
  const active = keyword ? 2 + ["like", "boost", "where"].indexOf(keyword) : Math.min(Math.max(w.length - 1, 0) + (/\s$/.test(line) ? 0 : -1), 1);
  return { ...recommend, activeParameter: Math.max(0, active) };
}

function topLevelCommas(args: string): number {
  let depth = 0;
  let commas = 0;
  for (const ch of args) {
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "," && depth === 0) commas++;
  }
  return commas;
}
