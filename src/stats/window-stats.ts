import { mean, sampleStandardDeviation } from 'simple-statistics'
import { Aggregate, type RollupRow, type SloTargets, type StatRow } from './aggregate.js'
import { percentile, type Histogram } from './histogram.js'
import { figuresFromRaw, type HourFigures } from './hour-figures.js'

export type { SloTargets, StatRow }

/** The per-window metrics of docs/METRICS.md for one offering. `null` = fewer than `min_n` behind it. */
export interface WindowStats {
  n: number
  n_ok: number
  n_provider_errors: number
  n_rate_limited: number
  ttft_p50: number | null
  ttft_p90: number | null
  ttft_p95: number | null
  ttft_p99: number | null
  ttfat_p50: number | null
  ttfat_p90: number | null
  ttfat_p95: number | null
  ttfat_p99: number | null
  e2e_p50: number | null
  e2e_p90: number | null
  e2e_p95: number | null
  e2e_p99: number | null
  tpot_p50: number | null
  tpot_p90: number | null
  tpot_p95: number | null
  tpot_p99: number | null
  output_tps_p50: number | null
  output_tps_p10: number | null
  output_tps_p5: number | null
  cv_ttft: number | null
  cv_tps: number | null
  cv_time_ttft: number | null
  cv_time_tps: number | null
  tail_ratio_ttft: number | null
  spread_tps: number | null
  availability: number | null
  rate_limited_ratio: number | null
  slo_attainment: number | null
  goodput_rps: number | null
  sla_bucket_compliance: number | null
  system_tps: number | null
  cost_per_good_request: number | null
  errors_by_outcome: Record<string, number>
}

export interface SummarizeOptions {
  minN: number
  slo: SloTargets
  fromMs: number
  toMs: number
}

const r = (x: number | null, digits = 3) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits)

/** stdev / mean from count, sum and sum of squares (exact, not from the histogram). */
function cvFromSums(n: number, sum: number, sumsq: number): number | null {
  if (n < 2 || sum === 0) return null
  const m = sum / n
  const variance = Math.max(0, (sumsq - (sum * sum) / n) / (n - 1))
  return Math.sqrt(variance) / m
}

function cv(xs: number[]): number | null {
  if (xs.length < 2) return null
  const m = mean(xs)
  return m === 0 ? null : sampleStandardDeviation(xs) / m
}

/**
 * Summarize one offering over [fromMs, toMs) from what the store returned for
 * it (see rollupReader.windowInputs): rollup rows of whole sealed days and
 * hours, the figures of every hour in the window (sealed ones as stored, the
 * rest computed from raw rows by the caller), and raw rows for the rest. Pure
 * apart from transient histograms, which it destroys. Percentiles come from
 * merged HDR histograms (within 1%), of successful requests only; CVs from
 * exact sums; `cv_time_*` and SLA buckets from the hour figures; availability
 * counts provider-blamed failures only, with rate limiting reported beside it.
 */
export function summarizeWindow(rollups: readonly RollupRow[], hours: readonly HourFigures[], raw: readonly StatRow[], opts: SummarizeOptions): WindowStats {
  const main = new Aggregate()
  try {
    for (const row of rollups) main.addRow(row)
    for (const x of raw) main.addSample(x, opts.slo)
    const hourTtft: number[] = []
    const hourTps: number[] = []
    let slaHeld = 0
    let slaJudged = 0
    for (const h of hours) {
      if (h.ttft_p50 !== null) hourTtft.push(h.ttft_p50)
      if (h.tps_p50 !== null) hourTps.push(h.tps_p50)
      slaJudged += h.sla_judged
      slaHeld += h.sla_held
    }
    return finish(main, { hourTtft, hourTps, slaHeld, slaJudged }, opts)
  } finally {
    main.destroy()
  }
}

function finish(main: Aggregate, t: { hourTtft: number[]; hourTps: number[]; slaHeld: number; slaJudged: number }, opts: SummarizeOptions): WindowStats {
  const { minN } = opts
  const c = main.counts
  const h = main.hist
  const enough = c.n_ok >= minN
  const judged = c.n_ok + c.n_provider_err
  const seconds = Math.max(1, (opts.toMs - opts.fromMs) / 1000)
  const p = (hist: Histogram, q: number) => (enough ? r(percentile(hist, q)) : null)
  const ttftP50 = percentile(h.ttft, 50)
  const tpsP50 = percentile(h.tps, 50)
  return {
    n: c.n,
    n_ok: c.n_ok,
    n_provider_errors: c.n_provider_err,
    n_rate_limited: c.n_quota,
    ttft_p50: p(h.ttft, 50), ttft_p90: p(h.ttft, 90), ttft_p95: p(h.ttft, 95), ttft_p99: p(h.ttft, 99),
    ttfat_p50: p(h.ttfat, 50), ttfat_p90: p(h.ttfat, 90), ttfat_p95: p(h.ttfat, 95), ttfat_p99: p(h.ttfat, 99),
    e2e_p50: p(h.e2e, 50), e2e_p90: p(h.e2e, 90), e2e_p95: p(h.e2e, 95), e2e_p99: p(h.e2e, 99),
    tpot_p50: p(h.tpot, 50), tpot_p90: p(h.tpot, 90), tpot_p95: p(h.tpot, 95), tpot_p99: p(h.tpot, 99),
    output_tps_p50: p(h.tps, 50), output_tps_p10: p(h.tps, 10), output_tps_p5: p(h.tps, 5),
    cv_ttft: enough ? r(cvFromSums(c.ttft_n, c.ttft_sum, c.ttft_sumsq), 4) : null,
    cv_tps: enough ? r(cvFromSums(c.tps_n, c.tps_sum, c.tps_sumsq), 4) : null,
    cv_time_ttft: enough ? r(cv(t.hourTtft), 4) : null,
    cv_time_tps: enough ? r(cv(t.hourTps), 4) : null,
    tail_ratio_ttft: enough && ttftP50 ? r(percentile(h.ttft, 90)! / ttftP50, 4) : null,
    spread_tps: enough && tpsP50 ? r((percentile(h.tps, 95)! - percentile(h.tps, 5)!) / tpsP50, 4) : null,
    availability: judged >= minN ? r(c.n_ok / judged, 5) : null,
    rate_limited_ratio: c.n >= minN ? r(c.n_quota / c.n, 5) : null,
    slo_attainment: judged >= minN ? r(c.n_good / judged, 5) : null,
    goodput_rps: c.n >= minN ? r(c.n_good / seconds, 5) : null,
    sla_bucket_compliance: c.n >= minN && t.slaJudged > 0 ? r(t.slaHeld / t.slaJudged, 5) : null,
    system_tps: c.n >= minN ? r(c.out_tokens / seconds) : null,
    cost_per_good_request: c.n_good > 0 && c.n >= minN ? r(c.cost_usd / c.n_good, 8) : null,
    errors_by_outcome: { ...c.outcomes },
  }
}

/** Summarize raw rows only (tests, small windows). */
export function summarize(rows: readonly StatRow[], opts: SummarizeOptions): WindowStats {
  return summarizeWindow([], figuresFromRaw(rows, opts.slo), rows, opts)
}
