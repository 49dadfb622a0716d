import { mean, sampleStandardDeviation } from 'simple-statistics'
import { Aggregate, type Counts, type RollupRow, type SloTargets, type StatRow } from './aggregate.js'
import { decode, newHistogram, percentile, record, type Histogram } from './histogram.js'

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

/** A time group (an hour for cv_time, a 5-minute bucket for SLA compliance): two histograms and the counts it needs. */
class Group {
  key: string | number | null = null
  readonly ttft: Histogram = newHistogram()
  readonly tps: Histogram = newHistogram()
  ok = 0
  providerErr = 0
  reset(key: string | number) {
    this.key = key
    this.ttft.reset()
    this.tps.reset()
    this.ok = 0
    this.providerErr = 0
  }
  addCounts(c: Pick<Counts, 'n_ok' | 'n_provider_err'>) {
    this.ok += c.n_ok
    this.providerErr += c.n_provider_err
  }
  destroy() {
    this.ttft.destroy()
    this.tps.destroy()
  }
}

type Item = { t: number; row: RollupRow; raw?: undefined } | { t: number; raw: StatRow; row?: undefined }

/**
 * Summarize one offering over [fromMs, toMs) from stored rollup rows and raw
 * rows (any mix; see RollupStore.windowInputs). Pure apart from transient
 * histograms, which it destroys. Percentiles come from merged HDR histograms
 * (within 1%), of successful requests only; CVs come from exact sums;
 * availability counts provider-blamed failures only; rate limiting is reported
 * beside it. Hour rollups count as one SLA bucket each (the 5-minute detail is
 * gone once minutes are compacted).
 */
export function summarizeWindow(rollups: readonly RollupRow[], raw: readonly StatRow[], opts: SummarizeOptions): WindowStats {
  const { slo } = opts
  const items: Item[] = [...rollups.map((row) => ({ t: row.start_ms, row })), ...raw.map((x) => ({ t: x.ts_ms, raw: x }))]
  items.sort((a, b) => a.t - b.t)
  const main = new Aggregate()
  const hour = new Group()
  const bucket = new Group()
  const hourTtft: number[] = []
  const hourTps: number[] = []
  let slaHeld = 0
  let slaJudged = 0
  const closeHour = () => {
    if (hour.key !== null && hour.ttft.totalCount > 0) hourTtft.push(percentile(hour.ttft, 50)!)
    if (hour.key !== null && hour.tps.totalCount > 0) hourTps.push(percentile(hour.tps, 50)!)
  }
  const closeBucket = () => {
    if (bucket.key === null || bucket.ok + bucket.providerErr === 0) return
    slaJudged++
    const p90 = percentile(bucket.ttft, 90)
    if (p90 !== null && p90 <= slo.ttft_ms && bucket.ok / (bucket.ok + bucket.providerErr) >= slo.availability) slaHeld++
  }
  for (const it of items) {
    const hourKey = Math.floor(it.t / 3_600_000)
    const bucketKey = it.row?.tier === 'h' ? `h${it.row.start_ms}` : Math.floor(it.t / 300_000)
    if (hour.key !== hourKey) (closeHour(), hour.reset(hourKey))
    if (bucket.key !== bucketKey) (closeBucket(), bucket.reset(bucketKey))
    if (it.row) {
      const row = it.row
      main.addRow(row, ['ttfat', 'e2e', 'tpot'])
      // ttft and tps are needed three times over: decode each once.
      for (const [key, enc] of [['ttft', row.h_ttft], ['tps', row.h_tps]] as const) {
        if (enc === null) continue
        const h = decode(enc)
        main.hist[key].add(h)
        hour[key].add(h)
        if (key === 'ttft') bucket.ttft.add(h)
        h.destroy()
      }
      hour.addCounts(row)
      bucket.addCounts(row)
    } else {
      const x = it.raw!
      main.addSample(x, slo)
      if (x.outcome === 'ok') {
        record(hour.ttft, x.ttft_ms)
        record(hour.tps, x.output_tps)
        record(bucket.ttft, x.ttft_ms)
      }
      const c = { n_ok: x.outcome === 'ok' ? 1 : 0, n_provider_err: x.blame === 'provider' ? 1 : 0 }
      hour.addCounts(c)
      bucket.addCounts(c)
    }
  }
  closeHour()
  closeBucket()
  try {
    return finish(main, { hourTtft, hourTps, slaHeld, slaJudged }, opts)
  } finally {
    main.destroy()
    hour.destroy()
    bucket.destroy()
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
  return summarizeWindow([], rows, opts)
}
