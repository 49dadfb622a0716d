import { describe, expect, it } from 'vitest'
import { seededRng, type Rng } from '../../src/core/random.js'
import { PROFILE_NAMES, strategies } from '../../src/routing/profiles.js'
import type { OfferingInput } from '../../src/routing/strategy.js'
import { apportion, TOTAL_POINTS, validateWeights, weightsFromScores } from '../../src/routing/weights.js'

function randomInput(rng: Rng, i: number): OfferingInput {
  const maybe = (x: number) => (rng.next() < 0.1 ? null : x)
  return {
    offering: `v${i}/m`, provider: `v${i}`, upstream_model: 'm',
    n_ok: Math.floor(rng.next() * 60), n: 60,
    ttft_p90_ms: maybe(50 + rng.next() * 5000), ttfat_p90_ms: maybe(50 + rng.next() * 8000), output_tps_p50: maybe(1 + rng.next() * 300),
    availability: maybe(rng.next()), rate_limited_ratio: maybe(rng.next() * 0.3), cv_tps: maybe(rng.next()),
    price_in_per_mtok: rng.next() * 2, price_out_per_mtok: rng.next() * 8,
  }
}

describe('integer weights', () => {
  it('apportion always sums to exactly 1000 with non-negative integers', () => {
    const rng = seededRng(7)
    for (let k = 0; k < 2000; k++) {
      const n = 1 + Math.floor(rng.next() * 12)
      const w = apportion(Array.from({ length: n }, () => (rng.next() < 0.2 ? 0 : rng.next() * 10)))
      expect(validateWeights(w)).toBeNull()
    }
  })

  it('keeps the exploration floor for every offering, and splits equally when nothing is scored', () => {
    const w = weightsFromScores([{ offering: 'a', score: 1, reasons: [] }, { offering: 'b', score: 0.01, reasons: [] }, { offering: 'c', score: null, reasons: [] }], 0.05)
    expect(w.reduce((a, b) => a + b)).toBe(TOTAL_POINTS)
    expect(Math.min(...w)).toBeGreaterThanOrEqual(49)
    expect(w[0]).toBeGreaterThan(w[1]!)
    expect(weightsFromScores([{ offering: 'a', score: null, reasons: [] }, { offering: 'b', score: null, reasons: [] }], 0.02)).toEqual([500, 500])
  })

  it('rejects tables that must never be published', () => {
    expect(validateWeights([])).toMatch(/empty/)
    expect(validateWeights([500, 499])).toMatch(/sum/)
    expect(validateWeights([1001, -1])).toMatch(/non-negative/)
    expect(validateWeights([Number.NaN, 1000])).toMatch(/non-negative/)
  })
})

/** One conformance suite that every weighting profile must pass. */
describe.each(PROFILE_NAMES)('profile %s (conformance)', (name) => {
  const strategy = strategies[name]

  it('scores are in [0, 1] or null (unmeasured), one per input, in order', () => {
    const rng = seededRng(name.length * 101)
    for (let k = 0; k < 500; k++) {
      const inputs = Array.from({ length: 1 + Math.floor(rng.next() * 8) }, (_, i) => randomInput(rng, i))
      const scored = strategy.score(inputs, { minN: 20 })
      expect(scored.map((s) => s.offering)).toEqual(inputs.map((i) => i.offering))
      for (const s of scored) {
        if (s.score !== null) expect(s.score >= 0 && s.score <= 1, `score ${s.score}`).toBe(true)
        expect(s.reasons.length).toBeGreaterThan(0)
      }
      expect(validateWeights(weightsFromScores(scored, 0.02))).toBeNull()
    }
  })

  it('an offering better on every dimension scores highest', () => {
    const base: OfferingInput = { offering: 'x', provider: 'x', upstream_model: 'm', n_ok: 50, n: 50, ttft_p90_ms: 800, ttfat_p90_ms: null, output_tps_p50: 40, availability: 0.97, rate_limited_ratio: 0, cv_tps: 0.3, price_in_per_mtok: 1, price_out_per_mtok: 4 }
    const best = { ...base, offering: 'best', ttft_p90_ms: 200, output_tps_p50: 150, availability: 1, cv_tps: 0.05, price_in_per_mtok: 0.5, price_out_per_mtok: 2 }
    const [b, x] = strategy.score([best, base], { minN: 20 })
    expect(b!.score).toBe(1)
    expect(x!.score!).toBeLessThan(b!.score!)
  })

  it('too few samples means unmeasured, never a confident score', () => {
    const [s] = strategy.score([{ ...randomInput(seededRng(1), 0), n_ok: 3 }], { minN: 20 })
    expect(s!.score).toBeNull()
    expect(s!.reasons[0]).toMatch(/unmeasured/)
  })
})
