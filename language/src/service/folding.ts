import type { ParseResult } from "../syntax/parse.js";
import { walk } from "./steps.js";

export interface FoldingRange {
  /** 0-based lines. */
  startLine: number;
  endLine: number;
  kind?: "comment" | "region";
}

const foldable = new Set([
  "CustomerDecl",
  "EventDecl",
  "ObjectDecl",
  "SegmentDecl",
  "ScoreDecl",
  "TemplateDecl",
  "PolicyDecl",
  "JourneyDecl",
  "Block",
  "RecordType",
  "VersionClause",
  "TrackStep",
  "ShowStep",
  "SplitStep",
  "ExperimentStep",
  "MatchStep",
  "StringLiteral",
]);

/** Declarations, blocks, records, long texts and runs of comment lines that span several lines. */
export function foldingRanges(parsed: ParseResult): FoldingRange[] {
  const ranges: FoldingRange[] = [];
  const seen = new Set<string>();
  const add = (startLine: number, endLine: number, kind?: "comment") => {
    if (endLine <= startLine) return;
    const key = `${startLine}:${endLine}`;
    if (seen.has(key)) return;
    seen.add(key);
    ranges.push(kind ? { startLine, endLine, kind } : { startLine, endLine });
  };
  const line = (offset: number) => parsed.lineIndex.position(offset).line;
  walk(parsed.ast.declarations, (node) => {
    if (!node.kind || !foldable.has(node.kind)) return;
    // A block's last line holds its `}`: fold up to the line before, so the brace stays visible.
    const endLine = line(node.span.end);
    const closes = parsed.text[node.span.end - 1] === "}";
    add(line(node.span.start), closes ? endLine - 1 : endLine);
  });
  let runStart: number | undefined;
  let runEnd = -1;
  for (const comment of parsed.ast.comments) {
    const start = line(comment.span.start);
    if (runStart !== undefined && start === runEnd + 1) runEnd = start;
    else {
      if (runStart !== undefined) add(runStart, runEnd, "comment");
      runStart = start;
      runEnd = start;
    }
  }
  if (runStart !== undefined) add(runStart, runEnd, "comment");
  return ranges.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}
