import { describe, expect, it } from 'vitest'
import { percentileSorted } from '../../src/core/percentile.js'
import type { StatRow } from '../../src/stats/aggregate.js'
import { summarize } from '../../src/stats/window-stats.js'

const SLO = { ttft_ms: 500, tpot_ms: 50, e2e_ms: 5000, availability: 0.99 }
const row = (over: Partial<StatRow> = {}): StatRow => ({ ts_ms: 0, offering: 'a/m', prompt_bucket: 'short', source: 'probe', in_tokens: 10, outcome: 'ok', blame: null, ttft_ms: 100, ttfat_ms: 100, e2e_ms: 1000, tpot_ms: 10, output_tps: 100, out_tokens: 100, cost_usd: 0.001, ...over })
const opts = { minN: 5, slo: SLO, fromMs: 0, toMs: 3_600_000 }

describe('percentiles', () => {
  it('interpolate linearly between closest ranks (NumPy default)', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentileSorted(xs, 50)).toBeCloseTo(50.5)
    expect(percentileSorted(xs, 90)).toBeCloseTo(90.1)
    expect(percentileSorted(xs, 99)).toBeCloseTo(99.01)
    expect(percentileSorted([7], 90)).toBe(7)
    expect(percentileSorted([], 50)).toBeNull()
  })
})

describe('window statistics', () => {
  it('percentiles come from successful requests only, within the histogram precision (1%)', () => {
    const rows = [...Array.from({ length: 100 }, (_, i) => row({ ttft_ms: i + 1 })), row({ outcome: 'timeout.ttft', blame: 'provider', ttft_ms: null })]
    const s = summarize(rows, opts)
    expect(s.n).toBe(101)
    expect(s.n_ok).toBe(100)
    // Nearest rank: p50 = 50, p90 = 90, p99 = 99.
    for (const [got, want] of [[s.ttft_p50, 50], [s.ttft_p90, 90], [s.ttft_p99, 99]] as const) expect(Math.abs(got! - want) / want).toBeLessThanOrEqual(0.01)
    expect(Math.abs(s.tail_ratio_ttft! - 90 / 50) / (90 / 50)).toBeLessThanOrEqual(0.02)
  })

  it('availability counts provider blame only; 429s are reported beside it; our cancellations are not attempts', () => {
    const rows = [
      ...Array.from({ length: 8 }, () => row()),
      row({ outcome: 'http.5xx', blame: 'provider' }),
      row({ outcome: 'timeout.idle', blame: 'provider' }),
      row({ outcome: 'http.429', blame: 'quota' }),
      row({ outcome: 'auth.key', blame: 'local' }),
      row({ outcome: 'cancelled', blame: 'local' }),
    ]
    const s = summarize(rows, opts)
    expect(s.n).toBe(12)
    expect(s.availability).toBeCloseTo(8 / 10)
    expect(s.rate_limited_ratio).toBeCloseTo(1 / 12, 4)
    expect(s.errors_by_outcome).toEqual({ 'http.5xx': 1, 'timeout.idle': 1, 'http.429': 1, 'auth.key': 1, cancelled: 1 })
  })

  it('SLO attainment counts provider errors against; goodput and cost per good request follow', () => {
    const rows = [...Array.from({ length: 6 }, () => row()), row({ ttft_ms: 900 }), row({ tpot_ms: 80 }), row({ outcome: 'http.5xx', blame: 'provider', cost_usd: null })]
    const s = summarize(rows, opts)
    expect(s.slo_attainment).toBeCloseTo(6 / 9, 4)
    expect(s.goodput_rps).toBeCloseTo(6 / 3600, 5)
    expect(s.cost_per_good_request).toBeCloseTo((8 * 0.001) / 6, 7)
    expect(s.system_tps).toBeCloseTo((8 * 100) / 3600, 3)
  })

  it('fluctuation: cv of per-request values, cv_time of hourly medians', () => {
    const tps = [50, 100, 150, 100, 100, 100]
    const rows = tps.map((v, i) => row({ output_tps: v, ts_ms: i < 3 ? 0 : 3_600_000, ttft_ms: i < 3 ? 100 : 300 }))
    const s = summarize(rows, { ...opts, toMs: 7_200_000 })
    const mean = tps.reduce((a, b) => a + b) / tps.length
    const sd = Math.sqrt(tps.reduce((a, b) => a + (b - mean) ** 2, 0) / (tps.length - 1))
    expect(s.cv_tps).toBeCloseTo(sd / mean, 4)
    // hourly TTFT medians 100 and 300: mean 200, sample sd 141.42
    expect(s.cv_time_ttft).toBeCloseTo(141.4214 / 200, 3)
    expect(s.cv_time_tps).toBe(0)
  })

  it('publishes null below min_n, with its n', () => {
    const s = summarize([row(), row()], opts)
    expect(s.n).toBe(2)
    expect(s.ttft_p50).toBeNull()
    expect(s.availability).toBeNull()
    expect(s.cv_tps).toBeNull()
  })

  it('SLA bucket compliance: share of 5-minute buckets meeting the P90 and availability targets', () => {
    const ok = (t: number, ttft = 100) => row({ ts_ms: t, ttft_ms: ttft })
    const rows = [ok(0), ok(1), ok(2), ok(300_000, 900), ok(300_001, 900), ok(600_000), row({ ts_ms: 600_001, outcome: 'http.5xx', blame: 'provider' })]
    expect(summarize(rows, opts).sla_bucket_compliance).toBeCloseTo(1 / 3, 4)
  })
})
