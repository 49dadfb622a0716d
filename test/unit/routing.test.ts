import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { seededRng, type Rng } from '../../src/core/random.js'
import { buildProfiles, strategiesFor } from '../../src/routing/profiles.js'
import type { OfferingInput } from '../../src/routing/strategy.js'
import { decideModel, moved, type DecideInput } from '../../src/routing/decide.js'
import type { HealthVerdict } from '../../src/routing/health.js'
import { apportion, TOTAL_POINTS, validateWeights } from '../../src/routing/weights.js'

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

/** Every built-in profile, plus one defined the way a config file would (overriding a few fields). */
const strategies = strategiesFor(buildProfiles({ 'ttfat-first': { latency: 5, price: 0, sharpness: 20 } }))
const ALL_PROFILES = Object.keys(strategies)

const HEALTHY: HealthVerdict = { state: 'healthy', multiplier: 1, reason: null }
const PARAMS = { window: '30m' as const, floor: 0.02, maxStep: 0.5, sharpness: 3 }

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
    const rng = seededRng(3)
    const inputs = [0, 1, 2].map((i) => randomInput(rng, i))
    const decide = (scores: (number | null)[]) =>
      decideModel({ inputs, scored: scores.map((score, i) => ({ offering: inputs[i]!.offering, score, reasons: ['r'] })), verdicts: inputs.map(() => HEALTHY), params: PARAMS }).providers.map((p) => p.weight)
    const w = decide([1, 0.01, null])
    expect(w.reduce((a, b) => a + b)).toBe(TOTAL_POINTS)
    expect(Math.min(...w)).toBeGreaterThanOrEqual(19)
    expect(w[0]).toBeGreaterThan(w[1]!)
    expect(decide([null, null, null])).toEqual([334, 333, 333])
  })

  it('rejects tables that must never be published', () => {
    expect(validateWeights([])).toMatch(/empty/)
    expect(validateWeights([500, 499])).toMatch(/sum/)
    expect(validateWeights([1001, -1])).toMatch(/non-negative/)
    expect(validateWeights([Number.NaN, 1000])).toMatch(/non-negative/)
  })
})

/** One conformance suite that every weighting profile must pass. */
describe.each(ALL_PROFILES)('profile %s (conformance)', (name) => {
  const strategy = strategies[name]!

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
      const table = decideModel({ inputs, scored, verdicts: inputs.map(() => HEALTHY), params: { ...PARAMS, sharpness: strategy.sharpness } })
      expect(validateWeights(table.providers.map((p) => p.weight))).toBeNull()
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

/** The safety rules of the weight feed, over many random health states and histories. */
describe('published weights: rules that are never broken (property)', () => {
  const verdict = fc.constantFrom<HealthVerdict>(
    HEALTHY,
    { state: 'probation', multiplier: 0.5, reason: 'failing' },
    { state: 'probation', multiplier: 0, reason: 'trial' },
    { state: 'probation', multiplier: 0.1, reason: 'slow start, early' },
    { state: 'probation', multiplier: 0.7, reason: 'slow start' },
    { state: 'ejected', multiplier: 0, reason: 'ejected' },
  )
  const input = (i: number) =>
    fc.record({
      n_ok: fc.integer({ min: 0, max: 500 }),
      n: fc.integer({ min: 0, max: 500 }),
      ttft: fc.option(fc.double({ min: 1, max: 60_000, noNaN: true }), { nil: null }),
      tps: fc.option(fc.double({ min: 0.01, max: 2000, noNaN: true }), { nil: null }),
      availability: fc.option(fc.constantFrom(0, 0.1, 0.49, 0.5, 0.9, 0.99, 1), { nil: null }),
      rl: fc.option(fc.constantFrom(0, 0.2, 1), { nil: null }),
      price: fc.double({ min: 0, max: 50, noNaN: true }),
    }).map((r): OfferingInput => ({
      offering: `v${i}/m`, provider: `v${i}`, upstream_model: 'm', n_ok: r.n_ok, n: Math.max(r.n, r.n_ok),
      ttft_p90_ms: r.ttft, ttfat_p90_ms: null, output_tps_p50: r.tps, availability: r.availability, rate_limited_ratio: r.rl, cv_tps: 0.1,
      price_in_per_mtok: r.price, price_out_per_mtok: r.price * 3,
    }))
  const scenario = fc.integer({ min: 1, max: 8 }).chain((n) =>
    fc.record({
      inputs: fc.tuple(...Array.from({ length: n }, (_, i) => input(i))),
      verdicts: fc.array(verdict, { minLength: n, maxLength: n }),
      profile: fc.constantFrom(...ALL_PROFILES),
      prev: fc.option(fc.array(fc.nat({ max: 1000 }), { minLength: n, maxLength: n }).map((xs) => apportion(xs)), { nil: undefined }),
      lastGood: fc.option(fc.array(fc.nat({ max: 1000 }), { minLength: n, maxLength: n }).map((xs) => apportion(xs)), { nil: undefined }),
      maxStep: fc.constantFrom(0.05, 0.2, 0.5, 1),
      minN: fc.constantFrom(1, 20, 1000),
    }),
  )
  // Named shapes the random ones must include: all failed, all rate-limited, flapping, no data.
  const named: { name: string; inputs: (i: number) => Partial<OfferingInput>; verdict: (i: number) => HealthVerdict }[] = [
    { name: 'all failed', inputs: () => ({ availability: 0, n: 50, n_ok: 0 }), verdict: () => ({ state: 'ejected', multiplier: 0, reason: 'x' }) },
    { name: 'all 429', inputs: () => ({ rate_limited_ratio: 1, availability: null, n: 50, n_ok: 0 }), verdict: () => HEALTHY },
    { name: 'flapping', inputs: (i) => ({ availability: i % 2 ? 0.4 : 1 }), verdict: (i) => (i % 2 ? { state: 'probation', multiplier: 0.5, reason: 'x' } : HEALTHY) },
    { name: 'no data', inputs: () => ({ n: 0, n_ok: 0, ttft_p90_ms: null, output_tps_p50: null, availability: null }), verdict: () => HEALTHY },
  ]

  const check = (d: DecideInput) => {
    const table = decideModel(d)
    const w = table.providers.map((p) => p.weight)
    expect(validateWeights(w)).toBeNull() // non-empty, integers ≥ 0, sum 1000: never all-zero, NaN or negative
    expect(['ok', 'degraded', 'panic']).toContain(table.status)
    if (d.prev) expect(moved(d.inputs.map((x) => d.prev!.get(x.offering)!), w)).toBeLessThanOrEqual(d.params.maxStep + 1e-9)
    else {
      // Fresh decisions: ejected offerings, and those on trial, get nothing unless the model is in panic.
      if (table.status !== 'panic') d.verdicts.forEach((v, i) => (v.state === 'ejected' || v.multiplier === 0) && expect(w[i]).toBe(0))
    }
    const down = d.verdicts.filter((v, i) => v.state === 'ejected' || (v.state === 'probation' && v.multiplier <= 0.5) || (d.inputs[i]!.availability ?? 1) < 0.5).length
    if (down === d.inputs.length) expect(table.status).toBe('panic')
    return table
  }

  it('a lone offering measured at 0% availability is panic, whatever its n says (found by the property test)', () => {
    const input = { ...randomInput(seededRng(5), 0), n_ok: 0, n: 0, availability: 0 }
    expect(check({ inputs: [input], scored: strategies.balanced!.score([input], { minN: 1 }), verdicts: [HEALTHY], params: PARAMS }).status).toBe('panic')
  })

  it('random health states, histories and profiles: valid, within the step cap, panic when most look down', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const scored = strategies[sc.profile]!.score(sc.inputs, { minN: sc.minN })
        const d: DecideInput = {
          inputs: sc.inputs, scored, verdicts: sc.verdicts, params: { ...PARAMS, maxStep: sc.maxStep, sharpness: strategies[sc.profile]!.sharpness },
          ...(sc.prev ? { prev: new Map(sc.inputs.map((x, i) => [x.offering, sc.prev![i]!])) } : {}),
          ...(sc.lastGood ? { lastGood: sc.inputs.map((x, i) => ({ provider: x.provider, offering: x.offering, upstream_model: 'm', weight: sc.lastGood![i]!, state: 'healthy' as const, score: 1, reasons: [], metrics: { window: '30m' as const, ...x } })) } : {}),
        }
        check(d)
      }),
      { numRuns: 3000 },
    )
  })

  it.each(named)('$name: a valid table, and panic with last known good where most look down', ({ inputs: over, verdict }) => {
    const rng = seededRng(11)
    for (const n of [1, 2, 3, 5]) {
      const inputs = Array.from({ length: n }, (_, i) => ({ ...randomInput(rng, i), ...over(i) }))
      const lastGood = inputs.map((x, i) => ({ provider: x.provider, offering: x.offering, upstream_model: 'm', weight: i === 0 ? TOTAL_POINTS : 0, state: 'healthy' as const, score: 1, reasons: [], metrics: { window: '30m' as const, ...x } }))
      const table = check({ inputs, scored: strategies.balanced!.score(inputs, { minN: 20 }), verdicts: inputs.map((_, i) => verdict(i)), lastGood, params: PARAMS })
      if (table.status === 'panic') {
        expect(table.status_reason).toMatch(/assuming the fault may be ours/)
        expect(table.providers.map((p) => p.weight)).toEqual(lastGood.map((p) => p.weight))
      }
    }
  })
})
