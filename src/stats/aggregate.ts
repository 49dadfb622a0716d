import type { Outcome } from '../core/outcome.js'
import { addEncoded, encode, newHistogram, percentile, record, releaseHistogram, type Histogram } from './histogram.js'

/** What a raw sample contributes to statistics. */
export interface StatRow {
  ts_ms: number
  offering: string
  prompt_bucket: string
  source: string
  outcome: Outcome
  blame: string | null
  ttft_ms: number | null
  ttfat_ms: number | null
  e2e_ms: number | null
  tpot_ms: number | null
  output_tps: number | null
  in_tokens: number | null
  out_tokens: number | null
  cost_usd: number | null
}

export interface SloTargets {
  ttft_ms: number
  tpot_ms: number
  e2e_ms: number
  availability: number
}

/** Counts and sums of a set of samples: exact, and mergeable by addition. */
export interface Counts {
  n: number
  n_ok: number
  n_provider_err: number
  n_quota: number
  n_good: number
  outcomes: Record<string, number>
  in_tokens: number
  out_tokens: number
  cost_usd: number
  ttft_n: number
  ttft_sum: number
  ttft_sumsq: number
  tps_n: number
  tps_sum: number
  tps_sumsq: number
}

/** Encoded histograms of a rollup row (HdrHistogram V2 bytes; null = nothing recorded). */
export interface EncodedHistograms {
  h_ttft: Uint8Array | null
  h_ttfat: Uint8Array | null
  h_e2e: Uint8Array | null
  h_tpot: Uint8Array | null
  h_tps: Uint8Array | null
}

/**
 * The per-period figures that series over time need (cv_time, SLA buckets,
 * hour-of-day), kept as plain numbers so a week of hours is read without
 * touching a histogram.
 */
export interface PeriodFigures {
  ttft_p50: number | null
  ttft_p90: number | null
  tps_p50: number | null
}

/** A rollup row as stored: an hour ('h') or a day ('d') of one offering × prompt bucket × source. */
export interface RollupRow extends Counts, EncodedHistograms, PeriodFigures {
  tier: 'h' | 'd'
  start_ms: number
  offering: string
  prompt_bucket: string
  source: string
}

export const HIST_KEYS = ['ttft', 'ttfat', 'e2e', 'tpot', 'tps'] as const
export type HistKey = (typeof HIST_KEYS)[number]

/** Our own cancellations and probes we never sent are not attempts: they say nothing about the vendor. */
export const isAttempt = (outcome: string) => outcome !== 'cancelled' && outcome !== 'skipped'

export function isGood(r: StatRow, slo: SloTargets): boolean {
  return r.outcome === 'ok' && (r.ttft_ms ?? Infinity) <= slo.ttft_ms && (r.tpot_ms ?? 0) <= slo.tpot_ms && (r.e2e_ms ?? Infinity) <= slo.e2e_ms
}

export function emptyCounts(): Counts {
  return { n: 0, n_ok: 0, n_provider_err: 0, n_quota: 0, n_good: 0, outcomes: {}, in_tokens: 0, out_tokens: 0, cost_usd: 0, ttft_n: 0, ttft_sum: 0, ttft_sumsq: 0, tps_n: 0, tps_sum: 0, tps_sumsq: 0 }
}

/**
 * A live, mergeable aggregate: counts plus HDR histograms. Build one, add raw
 * samples or stored rollup rows to it, read or encode it, then `destroy()` it.
 */
export class Aggregate {
  readonly counts = emptyCounts()
  readonly hist: Record<HistKey, Histogram> = { ttft: newHistogram(), ttfat: newHistogram(), e2e: newHistogram(), tpot: newHistogram(), tps: newHistogram() }

  addSample(r: StatRow, slo: SloTargets): void {
    const c = this.counts
    if (r.outcome !== 'ok') c.outcomes[r.outcome] = (c.outcomes[r.outcome] ?? 0) + 1
    if (!isAttempt(r.outcome)) return
    c.n++
    c.cost_usd += r.cost_usd ?? 0
    c.in_tokens += r.in_tokens ?? 0
    if (r.blame === 'provider') c.n_provider_err++
    if (r.blame === 'quota') c.n_quota++
    if (r.outcome !== 'ok') return
    c.n_ok++
    if (isGood(r, slo)) c.n_good++
    c.out_tokens += r.out_tokens ?? 0
    if (r.ttft_ms !== null) (c.ttft_n++, (c.ttft_sum += r.ttft_ms), (c.ttft_sumsq += r.ttft_ms * r.ttft_ms))
    if (r.output_tps !== null) (c.tps_n++, (c.tps_sum += r.output_tps), (c.tps_sumsq += r.output_tps * r.output_tps))
    record(this.hist.ttft, r.ttft_ms)
    record(this.hist.ttfat, r.ttfat_ms)
    record(this.hist.e2e, r.e2e_ms)
    record(this.hist.tpot, r.tpot_ms)
    record(this.hist.tps, r.output_tps)
  }

  addCounts(o: Counts): void {
    const c = this.counts
    for (const k of ['n', 'n_ok', 'n_provider_err', 'n_quota', 'n_good', 'in_tokens', 'out_tokens', 'cost_usd', 'ttft_n', 'ttft_sum', 'ttft_sumsq', 'tps_n', 'tps_sum', 'tps_sumsq'] as const) c[k] += o[k]
    for (const [k, v] of Object.entries(o.outcomes)) c.outcomes[k] = (c.outcomes[k] ?? 0) + v
  }

  addRow(row: RollupRow, only?: readonly HistKey[]): void {
    this.addCounts(row)
    for (const k of only ?? HIST_KEYS) addEncoded(this.hist[k], row[`h_${k}`])
  }

  add(other: Aggregate): void {
    this.addCounts(other.counts)
    for (const k of HIST_KEYS) this.hist[k].add(other.hist[k])
  }

  encoded(): EncodedHistograms {
    return { h_ttft: encode(this.hist.ttft), h_ttfat: encode(this.hist.ttfat), h_e2e: encode(this.hist.e2e), h_tpot: encode(this.hist.tpot), h_tps: encode(this.hist.tps) }
  }

  figures(): PeriodFigures {
    return { ttft_p50: percentile(this.hist.ttft, 50), ttft_p90: percentile(this.hist.ttft, 90), tps_p50: percentile(this.hist.tps, 50) }
  }

  destroy(): void {
    for (const k of HIST_KEYS) releaseHistogram(this.hist[k])
  }
}
