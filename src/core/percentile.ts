/**
 * Percentile of an ascending-sorted array with linear interpolation between
 * closest ranks (the "R-7" / NumPy default rule), p in [0, 100].
 * Returns null for an empty array.
 */
export function percentileSorted(sorted: readonly number[], p: number): number | null {
  const n = sorted.length
  if (n === 0) return null
  if (n === 1) return sorted[0]!
  const rank = (p / 100) * (n - 1)
  const lo = Math.floor(rank)
  const hi = Math.min(n - 1, lo + 1)
  const frac = rank - lo
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac
}
