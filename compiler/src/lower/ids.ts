import type { Step } from "@journey/language";
import { sha256 } from "../ir/canonical.js";
import { fail } from "./common.js";

/**
 * Stable node ids (docs/ir.md, "Node ids").
 *
 * A labelled step's id is its label. Any other step's id is `<kind>-<hash>`, where the hash is of:
 *   - the anchor: where the step's block is (the journey's top level, or the parent step's own
 *     hash and which of its blocks: `if:<condition>`, `else`, `case:<values>`, `arm:<name>`, `timeout`);
 *   - the step's kind and key content (its head as `journey fmt` prints it, without the label and
 *     without nested blocks);
 *   - its occurrence among identical siblings (1 for the first `wait 1 day` of a block, 2 for the next).
 * Not its position, and not the steps before it: inserting, removing or editing one step leaves
 * every other step's id alone, and so does adding a label (the hash ignores labels). Editing a
 * step's head changes its id and those of the steps nested in it; label those to keep them.
 */
export interface StepShape {
  /** The IR node kind, the id's prefix. */
  kind: string;
  /** The step's head, canonically printed. */
  key: string;
  /** The blocks nested in the step, each with its key. */
  blocks: { key: string; steps: Step[] }[];
}

const SHORT = 8;
const LONG = 16;

export function assignIds(steps: Step[], shape: (step: Step) => StepShape): Map<Step, string> {
  const hashed: { step: Step; kind: string; hash: string }[] = [];
  const walk = (block: Step[], anchor: string) => {
    const occurrences = new Map<string, number>();
    for (const step of block) {
      const { kind, key, blocks } = shape(step);
      const identity = JSON.stringify([kind, key]);
      const occurrence = (occurrences.get(identity) ?? 0) + 1;
      occurrences.set(identity, occurrence);
      const hash = sha256(JSON.stringify([anchor, kind, key, occurrence]));
      hashed.push({ step, kind, hash });
      // Two blocks with one key (`else if x` after `if x`, a second `else`) are told apart by their order.
      const blockKeys = new Map<string, number>();
      for (const child of blocks) {
        const seen = (blockKeys.get(child.key) ?? 0) + 1;
        blockKeys.set(child.key, seen);
        walk(child.steps, `${hash}/${child.key}${seen > 1 ? `#${seen}` : ""}`);
      }
    }
  };
  walk(steps, "");

  // Two different steps whose short hashes collide (about one journey in a million with 100
  // unlabelled steps) both get the longer form rather than one id for two nodes.
  const shortIds = new Map<string, number>();
  for (const { kind, hash } of hashed) {
    const id = `${kind}-${hash.slice(0, SHORT)}`;
    shortIds.set(id, (shortIds.get(id) ?? 0) + 1);
  }
  const ids = new Map<Step, string>();
  const used = new Set<string>();
  for (const { step, kind, hash } of hashed) {
    const short = `${kind}-${hash.slice(0, SHORT)}`;
    const id = step.label?.text ?? ((shortIds.get(short) ?? 0) > 1 ? `${kind}-${hash.slice(0, LONG)}` : short);
    if (used.has(id)) fail(`two steps have the id \`${id}\``);
    used.add(id);
    ids.set(step, id);
  }
  return ids;
}
