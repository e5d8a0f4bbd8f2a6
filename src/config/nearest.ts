/**
 * The candidate closest to a mistyped name (`--quite` -> `quiet`,
 * `boostrap` -> `bootstrap`), or undefined when none is close enough to be
 * what was meant. Case and `-`/`_`/`.` are ignored when comparing, so
 * `write-quorum` finds `writeQuorum`.
 */
export function nearestName (typed: string, candidates: Iterable<string>): string | undefined {
  const plain = simplify(typed)
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    // a dotted setting is also found by its last part: `writeQuorum` -> `storage.writeQuorum`
    const last = candidate.slice(candidate.lastIndexOf('.') + 1)
    const distance = Math.min(editDistance(plain, simplify(candidate)), editDistance(plain, simplify(last)))
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  // a third of the name may be wrong, at least one letter, at most four
  const allowed = Math.min(4, Math.max(1, Math.floor(plain.length / 3)))
  return bestDistance <= allowed ? best : undefined
}

/** ` (did you mean X?)`, or nothing. */
export function didYouMean (typed: string, candidates: Iterable<string>, show: (name: string) => string = name => name): string {
  const near = nearestName(typed, candidates)
  return near == null ? '' : ` (did you mean ${show(near)}?)`
}

function simplify (name: string): string {
  return name.toLowerCase().replace(/[-_.]/g, '')
}

/** Damerau-Levenshtein (optimal string alignment): a swapped pair of letters counts once. */
function editDistance (a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}
