import { mean, sampleStandardDeviation } from 'simple-statistics'
import { percentileSorted } from '../core/percentile.js'
import type { StatRow } from '../store/sample-store.js'

export interface SloTargets {
  ttft_ms: number
  tpot_ms: number
  e2e_ms: number
  availability: number
}

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

function values(rows: readonly StatRow[], key: 'ttft_ms' | 'ttfat_ms' | 'e2e_ms' | 'tpot_ms' | 'output_tps'): number[] {
  const out: number[] = []
  for (const row of rows) {
    const v = row[key]
    if (v !== null && Number.isFinite(v)) out.push(v)
  }
  return out.sort((a, b) => a - b)
}

function cv(xs: readonly number[]): number | null {
  if (xs.length < 2) return null
  const m = mean(xs as number[])
  return m === 0 ? null : sampleStandardDeviation(xs as number[]) / m
}

const isCountedAttempt = (row: StatRow) => row.outcome !== 'cancelled' && row.outcome !== 'skipped'
const isGood = (row: StatRow, slo: SloTargets) =>
  row.outcome === 'ok' && (row.ttft_ms ?? Infinity) <= slo.ttft_ms && (row.tpot_ms ?? 0) <= slo.tpot_ms && (row.e2e_ms ?? Infinity) <= slo.e2e_ms

/** Hourly medians of a metric: the drift over the day, apart from per-request scatter. */
function hourlyMedians(ok: readonly StatRow[], key: 'ttft_ms' | 'output_tps'): number[] {
  const byHour = new Map<number, number[]>()
  for (const row of ok) {
    const v = row[key]
    if (v === null) continue
    const h = Math.floor(row.ts_ms / 3_600_000)
    const list = byHour.get(h) ?? []
    list.push(v)
    byHour.set(h, list)
  }
  return [...byHour.values()].map((l) => percentileSorted(l.sort((a, b) => a - b), 50)!)
}

/** Share of 5-minute buckets (with traffic) where the P90 TTFT target and the availability target both held. */
function slaCompliance(rows: readonly StatRow[], slo: SloTargets, minN: number): number | null {
  const buckets = new Map<number, StatRow[]>()
  for (const row of rows) {
    const b = Math.floor(row.ts_ms / 300_000)
    const list = buckets.get(b) ?? []
    list.push(row)
    buckets.set(b, list)
  }
  let held = 0
  let judged = 0
  for (const list of buckets.values()) {
    const ok = list.filter((x) => x.outcome === 'ok')
    const provErr = list.filter((x) => x.blame === 'provider').length
    if (ok.length + provErr === 0) continue
    judged++
    const p90 = percentileSorted(values(ok, 'ttft_ms'), 90)
    const avail = ok.length / (ok.length + provErr)
    if (p90 !== null && p90 <= slo.ttft_ms && avail >= slo.availability) held++
  }
  return rows.length >= minN && judged > 0 ? held / judged : null
}

/**
 * Summarize one offering's rows over `[fromMs, toMs)`. Pure. Percentiles are of
 * successful requests only; availability counts provider-blamed failures only;
 * rate limiting is reported beside it.
 */
export function summarize(rows: readonly StatRow[], opts: SummarizeOptions): WindowStats {
  const { minN, slo } = opts
  const attempts = rows.filter(isCountedAttempt)
  const ok = attempts.filter((x) => x.outcome === 'ok')
  const provErr = attempts.filter((x) => x.blame === 'provider').length
  const rateLimited = attempts.filter((x) => x.blame === 'quota').length
  const enough = ok.length >= minN
  const seconds = Math.max(1, (opts.toMs - opts.fromMs) / 1000)
  const ttft = values(ok, 'ttft_ms')
  const ttfat = values(ok, 'ttfat_ms')
  const e2e = values(ok, 'e2e_ms')
  const tpot = values(ok, 'tpot_ms')
  const tps = values(ok, 'output_tps')
  const p = (xs: number[], q: number) => (enough ? r(percentileSorted(xs, q)) : null)
  const good = attempts.filter((x) => isGood(x, slo)).length
  const cost = attempts.reduce((s, x) => s + (x.cost_usd ?? 0), 0)
  const outTokens = ok.reduce((s, x) => s + (x.out_tokens ?? 0), 0)
  const judged = ok.length + provErr
  const errors: Record<string, number> = {}
  for (const x of rows) if (x.outcome !== 'ok') errors[x.outcome] = (errors[x.outcome] ?? 0) + 1
  const ttftP50 = percentileSorted(ttft, 50)
  const tpsP50 = percentileSorted(tps, 50)
  const hourTtft = hourlyMedians(ok, 'ttft_ms')
  const hourTps = hourlyMedians(ok, 'output_tps')
  return {
    n: attempts.length,
    n_ok: ok.length,
    n_provider_errors: provErr,
    n_rate_limited: rateLimited,
    ttft_p50: p(ttft, 50), ttft_p90: p(ttft, 90), ttft_p95: p(ttft, 95), ttft_p99: p(ttft, 99),
    ttfat_p50: p(ttfat, 50), ttfat_p90: p(ttfat, 90), ttfat_p95: p(ttfat, 95), ttfat_p99: p(ttfat, 99),
    e2e_p50: p(e2e, 50), e2e_p90: p(e2e, 90), e2e_p95: p(e2e, 95), e2e_p99: p(e2e, 99),
    tpot_p50: p(tpot, 50), tpot_p90: p(tpot, 90), tpot_p95: p(tpot, 95), tpot_p99: p(tpot, 99),
    output_tps_p50: p(tps, 50), output_tps_p10: p(tps, 10), output_tps_p5: p(tps, 5),
    cv_ttft: enough ? r(cv(ttft), 4) : null,
    cv_tps: enough ? r(cv(tps), 4) : null,
    cv_time_ttft: enough ? r(cv(hourTtft), 4) : null,
    cv_time_tps: enough ? r(cv(hourTps), 4) : null,
    tail_ratio_ttft: enough && ttftP50 ? r(percentileSorted(ttft, 90)! / ttftP50, 4) : null,
    spread_tps: enough && tpsP50 ? r((percentileSorted(tps, 95)! - percentileSorted(tps, 5)!) / tpsP50, 4) : null,
    availability: judged >= minN ? r(ok.length / judged, 5) : null,
    rate_limited_ratio: attempts.length >= minN ? r(rateLimited / attempts.length, 5) : null,
    slo_attainment: judged >= minN ? r(good / judged, 5) : null,
    goodput_rps: attempts.length >= minN ? r(good / seconds, 5) : null,
    sla_bucket_compliance: r(slaCompliance(attempts, slo, minN), 5),
    system_tps: attempts.length >= minN ? r(outTokens / seconds) : null,
    cost_per_good_request: good > 0 && attempts.length >= minN ? r(cost / good, 8) : null,
    errors_by_outcome: errors,
  }
}
