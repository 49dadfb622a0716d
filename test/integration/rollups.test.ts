import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seededRng, type Rng } from '../../src/core/random.js'
import type { ProbeSample } from '../../src/core/types.js'
import { silentLogger } from '../../src/log.js'
import type { StatRow } from '../../src/stats/aggregate.js'
import { figuresFromRaw } from '../../src/stats/hour-figures.js'
import { summarize, summarizeWindow } from '../../src/stats/window-stats.js'
import { openDatabase } from '../../src/store/db.js'
import { HOUR_MS, type WindowInputs } from '../../src/store/rollups.js'
import { sqliteSampleStore } from '../../src/store/sample-store.js'
import { sample } from '../helpers/sample.js'
import { tempDir } from '../helpers/tmp.js'

const SLO = { ttft_ms: 400, tpot_ms: 30, e2e_ms: 3000, availability: 0.9 }
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const OFFERINGS = ['a/m', 'b/m', 'c/m']
const OUTCOMES = [['http.5xx', 'provider'], ['http.429', 'quota'], ['auth.key', 'local'], ['cancelled', 'local'], ['timeout.idle', 'provider']] as const

function randomSample(rng: Rng, t: number): ProbeSample {
  const offering = OFFERINGS[Math.floor(rng.next() * OFFERINGS.length)]!
  const failed = rng.next() < 0.15 ? OUTCOMES[Math.floor(rng.next() * OUTCOMES.length)]! : null
  const ttft = 50 + rng.next() ** 2 * 2000
  const tps = 20 + rng.next() * 200
  return sample({
    id: crypto.randomUUID(), ts_ms: Math.floor(t), offering, provider: offering.split('/')[0]!, prompt_bucket: rng.next() < 0.5 ? 'short' : 'long',
    ttft_ms: failed ? null : ttft, ttfat_ms: failed ? null : ttft + rng.next() * 100, e2e_ms: failed ? null : ttft + 1000 + rng.next() * 2000,
    tpot_ms: failed ? null : 1000 / tps, output_tps: failed ? null : tps, out_tokens: failed ? null : 100, in_tokens: 50, cost_usd: failed ? 0 : 0.0002,
    outcome: failed ? failed[0] : 'ok', blame: failed ? failed[1] : null,
  })
}

/** Nearest-rank percentile of exact values: what an HDR histogram approximates. */
function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!
}

function bruteForce(rows: StatRow[]) {
  const attempts = rows.filter((r) => r.outcome !== 'cancelled' && r.outcome !== 'skipped')
  const ok = attempts.filter((r) => r.outcome === 'ok')
  const prov = attempts.filter((r) => r.blame === 'provider').length
  const tps = ok.map((r) => r.output_tps!)
  const mean = tps.reduce((a, b) => a + b, 0) / tps.length
  const sd = Math.sqrt(tps.reduce((a, b) => a + (b - mean) ** 2, 0) / (tps.length - 1))
  return {
    n: attempts.length, n_ok: ok.length,
    ttft_p50: nearestRank(ok.map((r) => r.ttft_ms!), 50), ttft_p90: nearestRank(ok.map((r) => r.ttft_ms!), 90), ttft_p99: nearestRank(ok.map((r) => r.ttft_ms!), 99),
    e2e_p90: nearestRank(ok.map((r) => r.e2e_ms!), 90), tps_p50: nearestRank(tps, 50), tps_p5: nearestRank(tps, 5),
    availability: ok.length + prov > 0 ? ok.length / (ok.length + prov) : null,
    rate_limited: attempts.length > 0 ? attempts.filter((r) => r.blame === 'quota').length / attempts.length : null,
    cv_tps: tps.length >= 2 ? sd / mean : null,
  }
}

/** Relative tolerance, plus the rounding of published values (3 decimals for ms, 5 for ratios). */
const within = (got: number | null, want: number | null, rel: number, abs = 1e-3) => {
  expect(got === null, `null mismatch: ${got} vs ${want}`).toBe(want === null)
  if (got !== null && want !== null) expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + abs)
}

const MINUTE_MS = 60_000
const GRACE = 5 * MINUTE_MS
const perOffering = (inputs: WindowInputs, offering: string) => ({
  rollups: inputs.rollups.filter((r) => r.offering === offering),
  hours: [...inputs.hours.filter((h) => h.offering === offering), ...figuresFromRaw(inputs.raw.filter((r) => r.offering === offering), SLO)],
  raw: inputs.raw.filter((r) => r.offering === offering),
})
const fromStore = (inputs: WindowInputs, offering: string, from: number, to: number) => {
  const g = perOffering(inputs, offering)
  return summarizeWindow(g.rollups, g.hours, g.raw, { minN: 1, slo: SLO, fromMs: from, toMs: to })
}

describe('rollups: statistics match a brute-force computation over raw samples', () => {
  // 60 hours from 10:00 on day 1: a whole sealed day (day rows) between partial ones.
  const span = 60 * HOUR_MS
  const windowsFor = (rng: Rng, sealed: number): [number, number][] => {
    const w: [number, number][] = [
      [T0, T0 + span],
      [T0 + 3 * HOUR_MS + 17 * MINUTE_MS + 4_321, T0 + 40 * HOUR_MS + 2 * MINUTE_MS + 999], // crosses a whole day, ragged edges
      [T0 + 30 * MINUTE_MS + 10_000, T0 + 90 * MINUTE_MS - 5_000], // inside sealed hours, not hour-aligned
      [sealed - 2 * HOUR_MS - 12_345, sealed + 3 * HOUR_MS + 7 * MINUTE_MS], // across the sealed mark
      [T0 + span - 30_000, T0 + span], // thirty seconds, unsealed
      [Date.UTC(2026, 10, 21), Date.UTC(2026, 10, 22)], // exactly the sealed day
    ]
    for (let k = 0; k < 10; k++) {
      const a = T0 + rng.next() * span
      w.push([Math.floor(a), Math.floor(a + rng.next() * (T0 + span - a))])
    }
    return w
  }

  it('sealed hours and days give the same statistics as the raw rows they came from', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger), SLO)
    const rng = seededRng(2026)
    const all = Array.from({ length: 6000 }, (_, i) => randomSample(rng, T0 + (i / 6000) * span + rng.next() * 60_000))
    for (let i = 0; i < all.length; i += 500) {
      store.insertMany(all.slice(i, i + 500))
      store.seal(all[Math.min(i + 499, all.length - 1)]!.ts_ms, GRACE)
    }
    const sealed = store.sealedUntil()
    expect(sealed).toBeGreaterThan(Date.UTC(2026, 10, 22, 12))
    expect(sealed).toBeLessThan(T0 + span)
    for (const [from, to] of windowsFor(rng, sealed)) {
      const inputs = store.windowInputs(from, to)
      const raw = store.statRows(from, to)
      for (const offering of OFFERINGS) {
        const got = fromStore(inputs, offering, from, to)
        const want = summarize(raw.filter((r) => r.offering === offering), { minN: 1, slo: SLO, fromMs: from, toMs: to })
        const ctx = `${offering} [${new Date(from).toISOString()}, ${new Date(to).toISOString()})`
        // Merged HDR histograms equal the histogram of the raw values: percentiles match exactly; sums to rounding.
        for (const k of Object.keys(want) as (keyof typeof want)[]) {
          const [a, b] = [got[k], want[k]]
          if (typeof a === 'number' && typeof b === 'number') expect(a, `${ctx} ${k}`).toBeCloseTo(b, 3)
          else expect(a, `${ctx} ${k}`).toEqual(b)
        }
      }
    }
    store.close()
  })

  it('with late arrivals into sealed hours and days, and a restart that rebuilds the open hours', () => {
    const path = join(tempDir(), 'wb.db')
    let store = sqliteSampleStore(openDatabase(path, silentLogger), SLO)
    const rng = seededRng(99)
    const all = Array.from({ length: 6000 }, () => randomSample(rng, T0 + rng.next() * span))
    all.sort((a, b) => a.ts_ms - b.ts_ms)
    for (let i = 0; i < all.length; i += 500) {
      store.insertMany(all.slice(i, i + 500))
      store.seal(all[Math.min(i + 499, all.length - 1)]!.ts_ms, GRACE)
    }
    // Samples arrive late into sealed hours (and the sealed day) and into open ones; then the process restarts.
    const late = Array.from({ length: 800 }, () => randomSample(rng, T0 + rng.next() * span))
    store.insertMany(late.slice(0, 600))
    store.close()
    store = sqliteSampleStore(openDatabase(path, silentLogger), SLO)
    store.insertMany(late.slice(600))
    store.seal(T0 + span - 2 * HOUR_MS, GRACE)
    for (const [from, to] of windowsFor(rng, store.sealedUntil())) {
      const inputs = store.windowInputs(from, to)
      const raw = store.statRows(from, to)
      for (const offering of OFFERINGS) {
        const got = fromStore(inputs, offering, from, to)
        const want = bruteForce(raw.filter((r) => r.offering === offering))
        const ctx = `${offering} [${new Date(from).toISOString()}, ${new Date(to).toISOString()})`
        expect({ n: got.n, n_ok: got.n_ok }, ctx).toEqual({ n: want.n, n_ok: want.n_ok })
        within(got.ttft_p50, want.ttft_p50, 0.011)
        within(got.ttft_p90, want.ttft_p90, 0.011)
        within(got.ttft_p99, want.ttft_p99, 0.011)
        within(got.e2e_p90, want.e2e_p90, 0.011)
        within(got.output_tps_p50, want.tps_p50, 0.011)
        within(got.output_tps_p5, want.tps_p5, 0.011)
        within(got.availability, want.availability, 0, 1e-5)
        within(got.rate_limited_ratio, want.rate_limited, 0, 1e-5)
        within(got.cv_tps, want.cv_tps, 0, 1e-4)
      }
    }
    store.close()
  })

  it('counts every sample exactly once, however often sealing runs', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger), SLO)
    const rng = seededRng(7)
    store.insertMany(Array.from({ length: 300 }, () => randomSample(rng, T0 + rng.next() * HOUR_MS)))
    expect(store.seal(T0 + HOUR_MS, GRACE)).toBe(0) // within the grace period: not yet
    expect(store.seal(T0 + HOUR_MS + GRACE, GRACE)).toBe(1)
    expect(store.seal(T0 + 5 * HOUR_MS, GRACE)).toBe(0)
    expect(store.sealedUntil()).toBe(T0 + 4 * HOUR_MS) // empty hours seal too
    const inputs = store.windowInputs(T0, T0 + HOUR_MS)
    expect(inputs.raw).toEqual([])
    const total = inputs.rollups.reduce((s, r) => s + r.n + (r.outcomes.cancelled ?? 0), 0)
    expect(total).toBe(300)
    store.close()
  })
})
