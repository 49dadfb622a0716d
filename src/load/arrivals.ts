import { normal, type Rng } from '../core/random.js'

/**
 * Open-loop arrival processes, as vLLM/AIPerf define them: constant spacing,
 * Poisson (exponential gaps), or Gamma gaps with shape = burstiness and mean
 * 1/rate (burstiness 1 is Poisson; below 1 is burstier, above 1 smoother).
 */
export type ArrivalSpec =
  | { kind: 'constant'; rate: number }
  | { kind: 'poisson'; rate: number }
  | { kind: 'gamma'; rate: number; burstiness: number }

/** Gamma(shape k, scale 1) by Marsaglia–Tsang; k < 1 by the boost k+1 with U^(1/k). */
export function gammaVariate(rng: Rng, k: number): number {
  if (k < 1) return gammaVariate(rng, k + 1) * Math.pow(1 - rng.next(), 1 / k)
  const d = k - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = normal(rng)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - rng.next()
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
  }
}

/** The gap before the next arrival, in ms. */
export function interarrivalMs(spec: ArrivalSpec, rng: Rng): number {
  const mean = 1000 / spec.rate
  switch (spec.kind) {
    case 'constant':
      return mean
    case 'poisson':
      return -Math.log(1 - rng.next()) * mean
    case 'gamma':
      return gammaVariate(rng, spec.burstiness) * (mean / spec.burstiness)
  }
}

/** Intended send offsets (ms from the start) of `count` arrivals. Pure. */
export function arrivalOffsets(spec: ArrivalSpec, rng: Rng, count: number): number[] {
  const out: number[] = []
  let t = 0
  for (let i = 0; i < count; i++) {
    if (i > 0) t += interarrivalMs(spec, rng)
    out.push(t)
  }
  return out
}
