import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seededRng, type Rng } from '../../src/core/random.js'
import type { ProbeSample } from '../../src/core/types.js'
import { silentLogger } from '../../src/log.js'
import type { StatRow } from '../../src/stats/aggregate.js'
import { summarizeWindow } from '../../src/stats/window-stats.js'
import { openDatabase } from '../../src/store/db.js'
import { HOUR_MS, MINUTE_MS } from '../../src/store/rollups.js'
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

describe('rollups: statistics match a brute-force computation over raw samples', () => {
  it('across minute and hour tiers, late arrivals, compaction boundaries and arbitrary window edges', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger))
    const rng = seededRng(2026)
    const span = 6 * HOUR_MS
    // Six hours of samples, inserted in batches out of time order, rolled up as they come.
    const all = Array.from({ length: 6000 }, () => randomSample(rng, T0 + rng.next() * span))
    for (let i = 0; i < all.length; i += 500) {
      store.insertMany(all.slice(i, i + 500))
      store.rollUp(SLO)
    }
    // Compact the first four hours into hour rollups, then more samples arrive late into compacted and fresh hours.
    while (store.compact(T0 + 4 * HOUR_MS) > 0);
    const late = Array.from({ length: 800 }, () => randomSample(rng, T0 + rng.next() * span))
    store.insertMany(late.slice(0, 600))
    store.rollUp(SLO)
    store.insertMany(late.slice(600)) // 200 left unrolled: they must come from raw rows
    const windows: [number, number][] = [
      [T0, T0 + span],
      [T0 + 3 * HOUR_MS + 17 * MINUTE_MS + 4_321, T0 + 5 * HOUR_MS + 2 * MINUTE_MS + 999], // crosses the compaction boundary, ragged edges
      [T0 + 30 * MINUTE_MS + 10_000, T0 + 90 * MINUTE_MS - 5_000], // inside compacted hours, not hour-aligned
      [T0 + 4 * HOUR_MS + 12_345, T0 + 4 * HOUR_MS + 7 * MINUTE_MS], // minutes only
      [T0 + 5 * HOUR_MS + 59 * MINUTE_MS + 30_000, T0 + 6 * HOUR_MS], // thirty seconds
    ]
    for (let k = 0; k < 10; k++) {
      const a = T0 + rng.next() * span
      windows.push([Math.floor(a), Math.floor(a + rng.next() * (T0 + span - a))])
    }
    for (const [from, to] of windows) {
      const inputs = store.windowInputs(from, to)
      const raw = store.statRows(from, to)
      for (const offering of OFFERINGS) {
        const got = summarizeWindow(inputs.rollups.filter((r) => r.offering === offering), inputs.raw.filter((r) => r.offering === offering), { minN: 1, slo: SLO, fromMs: from, toMs: to })
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

  it('a roll-up pass counts every sample exactly once, however often it runs', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger))
    const rng = seededRng(7)
    store.insertMany(Array.from({ length: 300 }, () => randomSample(rng, T0 + rng.next() * HOUR_MS)))
    expect(store.rollUp(SLO)).toBe(300)
    expect(store.rollUp(SLO)).toBe(0)
    const inputs = store.windowInputs(T0, T0 + HOUR_MS)
    expect(inputs.raw).toEqual([])
    const total = inputs.rollups.reduce((s, r) => s + r.n + (r.outcomes.cancelled ?? 0), 0)
    expect(total).toBe(300)
    store.close()
  })
})
