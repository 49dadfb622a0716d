export const TOTAL_POINTS = 1000
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

/** A table that may be published: non-empty, finite, non-negative integers, exact total, not all zero. */
export function validateWeights(weights: readonly number[]): string | null {
  if (weights.length === 0) return 'empty weight list'
  if (weights.some((w) => !Number.isInteger(w) || w < 0)) return `weights must be non-negative integers: ${weights.join(', ')}`
  const sum = weights.reduce((a, b) => a + b, 0)
  if (sum !== TOTAL_POINTS) return `weights sum to ${sum}, not ${TOTAL_POINTS}`
  return null
}
