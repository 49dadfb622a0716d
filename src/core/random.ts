/** Randomness comes in through this interface so that tests and simulators can be seeded. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
}

export const systemRng: Rng = { next: () => Math.random() }

/** Mulberry32: small, fast, good enough for simulation and jitter; not for secrets. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}

/** Standard normal variate (Box–Muller). */
export function normal(rng: Rng): number {
  let u = 0
  while (u === 0) u = rng.next()
  const v = rng.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** z-score of the 90th percentile of the standard normal distribution. */
export const Z90 = 1.2815515655446004

/**
 * Lognormal variate described the way vendors' latencies are reported: by its
 * median and 90th percentile (sigma = ln(p90 / p50) / z90).
 */
export function lognormalFromQuantiles(rng: Rng, p50: number, p90: number): number {
  const sigma = Math.log(Math.max(p90, p50) / p50) / Z90
  return p50 * Math.exp(sigma * normal(rng))
}

export function uniformInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng.next() * (max - min + 1))
}
