import { mean, sampleStandardDeviation } from 'simple-statistics'
import { describe, expect, it } from 'vitest'
import { systemClock } from '../../src/core/clock.js'
import { seededRng } from '../../src/core/random.js'
import { arrivalOffsets, gammaVariate, interarrivalMs } from '../../src/load/arrivals.js'
import { runClosedLoop, runOpenLoop } from '../../src/load/run-load.js'

const gaps = (spec: Parameters<typeof interarrivalMs>[0], n = 20_000) => {
  const rng = seededRng(11)
  return Array.from({ length: n }, () => interarrivalMs(spec, rng))
}
const cv = (xs: number[]) => sampleStandardDeviation(xs) / mean(xs)

describe('arrival processes', () => {
  it('constant: gaps exactly 1/rate', () => {
    expect(arrivalOffsets({ kind: 'constant', rate: 4 }, seededRng(1), 4)).toEqual([0, 250, 500, 750])
  })
  it('poisson: mean 1/rate, CV 1', () => {
    const g = gaps({ kind: 'poisson', rate: 10 })
    expect(mean(g)).toBeCloseTo(100, -1)
    expect(cv(g)).toBeGreaterThan(0.95)
    expect(cv(g)).toBeLessThan(1.05)
  })
  it('gamma: mean 1/rate, CV 1/sqrt(burstiness)', () => {
    for (const b of [0.25, 1, 4]) {
      const g = gaps({ kind: 'gamma', rate: 10, burstiness: b })
      expect(mean(g) / 100).toBeGreaterThan(0.95)
      expect(mean(g) / 100).toBeLessThan(1.05)
      expect(cv(g) * Math.sqrt(b)).toBeGreaterThan(0.93)
      expect(cv(g) * Math.sqrt(b)).toBeLessThan(1.07)
    }
  })
  it('gamma variates have mean k', () => {
    const rng = seededRng(3)
    expect(mean(Array.from({ length: 20_000 }, () => gammaVariate(rng, 2.5)))).toBeCloseTo(2.5, 1)
  })
})

describe('load runners', () => {
  it('open loop keeps to the schedule even when requests are slow (no coordinated omission)', async () => {
    const sent: { i: number; lag: number }[] = []
    const t0 = Date.now()
    // Each request takes 200 ms, far longer than the 10 ms spacing: an open loop sends anyway.
    await runOpenLoop({ arrivals: { kind: 'constant', rate: 100 }, count: 20, clock: systemClock, rng: seededRng(1), fire: async (i, tSched) => { sent.push({ i, lag: Date.now() - tSched }); await new Promise((r) => setTimeout(r, 200)) } })
    expect(sent).toHaveLength(20)
    expect(Date.now() - t0).toBeLessThan(1_000) // 190 ms of arrivals + 200 ms for the last one, not 20 × 200 ms
    expect(Math.max(...sent.map((s) => s.lag))).toBeLessThan(100)
  })
  it('closed loop never exceeds its concurrency', async () => {
    let active = 0
    let peak = 0
    await runClosedLoop({ concurrency: 3, count: 12, clock: systemClock, fire: async () => { peak = Math.max(peak, ++active); await new Promise((r) => setTimeout(r, 5)); active-- } })
    expect(peak).toBe(3)
  })
})
