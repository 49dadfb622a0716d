import type { ScoredOffering } from './strategy.js'

export const TOTAL_POINTS = 1000
/** Scores are sharpened before apportioning, so a clearly better vendor gets clearly more traffic. */
const SHARPNESS = 3

/** Largest-remainder rounding of non-negative shares to integers summing exactly to `total`. */
export function apportion(shares: readonly number[], total = TOTAL_POINTS): number[] {
  const sum = shares.reduce((a, b) => a + b, 0)
  if (!(sum > 0)) return shares.map((_, i) => (i === 0 ? total : 0))
  const exact = shares.map((s) => (s / sum) * total)
  const out = exact.map(Math.floor)
  let left = total - out.reduce((a, b) => a + b, 0)
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0])
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]![1]]! += 1
  return out
}

/**
 * Scores → integer weights per offering, summing to 1000. Every offering keeps
 * an exploration floor (so an unmeasured or recovering vendor still gets the
 * probes' worth of traffic that would show it improved); scored offerings
 * share the rest by sharpened score. With nothing scored, the split is equal.
 */
export function weightsFromScores(scored: readonly ScoredOffering[], floor: number): number[] {
  const n = scored.length
  if (n === 0) return []
  const anyScored = scored.some((s) => s.score !== null && s.score > 0)
  if (!anyScored) return apportion(scored.map(() => 1))
  const floorShare = Math.min(floor, 1 / n)
  const raw = scored.map((s) => (s.score === null ? 0 : Math.pow(s.score, SHARPNESS)))
  const rawSum = raw.reduce((a, b) => a + b, 0)
  const rest = 1 - floorShare * n
  return apportion(raw.map((x) => floorShare + (rawSum > 0 ? (rest * x) / rawSum : rest / n)))
}

/** A table that may be published: non-empty, finite, non-negative integers, exact total, not all zero. */
export function validateWeights(weights: readonly number[]): string | null {
  if (weights.length === 0) return 'empty weight list'
  if (weights.some((w) => !Number.isInteger(w) || w < 0)) return `weights must be non-negative integers: ${weights.join(', ')}`
  const sum = weights.reduce((a, b) => a + b, 0)
  if (sum !== TOTAL_POINTS) return `weights sum to ${sum}, not ${TOTAL_POINTS}`
  return null
}
