/** Did-you-mean: the closest candidate by edit distance, when it is close enough to be a typo. */

/** Optimal-string-alignment (restricted Damerau–Levenshtein) distance: a swap of neighbours costs 1. */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  // Three rolling rows: two back (for transpositions), previous and current.
  let twoBack = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (twoBack[j - 2] ?? 0) + 1);
      }
      current[j] = best;
    }
    [twoBack, previous, current] = [previous, current, twoBack];
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `name` by edit distance, if it is within max(1, ⌊len/3⌋) edits of it;
 * a difference in case only counts as half an edit. Ties go to the alphabetically first candidate.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const candidateLower = candidate.toLowerCase();
    const distance = candidateLower === lower ? 0.5 : editDistance(lower, candidateLower);
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

