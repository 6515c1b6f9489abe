/**
 * Finds what a person meant by a server or customer name: exact (any case), then a unique
 * prefix, then the closest name within a small edit distance. Otherwise, suggestions.
 */
export interface Named {
  name: string;
}

export interface Resolution<T extends Named> {
  match: T | null;
  /** Set when the match was not exact, so the reply can say what it is showing. */
  guessed: boolean;
  suggestions: T[];
}

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function resolveName<T extends Named>(query: string, candidates: readonly T[]): Resolution<T> {
  const q = query.trim().toLowerCase();
  const exact = candidates.find((c) => c.name.toLowerCase() === q);
  if (exact) return { match: exact, guessed: false, suggestions: [] };
  const prefixed = candidates.filter((c) => c.name.toLowerCase().startsWith(q));
  if (prefixed.length === 1) return { match: prefixed[0]!, guessed: true, suggestions: [] };
  const scored = candidates
    .map((c) => ({ c, d: editDistance(q, c.name.toLowerCase().slice(0, Math.max(q.length, c.name.length))) }))
    .sort((x, y) => x.d - y.d || x.c.name.localeCompare(y.c.name));
  const allowed = Math.max(1, Math.min(2, Math.floor(q.length / 4)));
  const best = scored[0];
  if (best && best.d <= allowed && prefixed.length === 0 && (scored[1]?.d ?? Infinity) > best.d) {
    return { match: best.c, guessed: true, suggestions: [] };
  }
  const suggestions = [...prefixed, ...scored.filter((s) => s.d <= Math.max(3, q.length / 2)).map((s) => s.c)];
  return { match: null, guessed: false, suggestions: [...new Set(suggestions)].slice(0, 5) };
}
