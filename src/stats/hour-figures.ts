import { isAttempt, type SloTargets, type StatRow } from './aggregate.js'
import { newHistogram, percentile, record, releaseHistogram } from './histogram.js'

export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000
const BUCKET_MS = 300_000

/**
 * One offering's hour, as the series-over-time metrics need it: the hourly
 * medians behind `cv_time_*` and hour-of-day profiles, and how many of its
 * 5-minute SLA buckets were judged and held. Computed exactly when the hour
 * is sealed, stored as plain numbers, so a week of hours costs no histogram.
 */
export interface HourFigures {
  start_ms: number
  offering: string
  n_ok: number
  n_provider_err: number
  ttft_p50: number | null
  ttft_p90: number | null
  tps_p50: number | null
  sla_judged: number
  sla_held: number
}

/** A 5-minute SLA bucket: few samples, so its TTFTs are kept as they are and its P90 is exact. */
class Bucket {
  readonly ttft: number[] = []
  ok = 0
  providerErr = 0
  p90(): number | null {
    if (this.ttft.length === 0) return null
    const sorted = this.ttft.sort((a, b) => a - b)
    return sorted[Math.ceil(0.9 * sorted.length) - 1]!
  }
}

/** Accumulates one offering's hour sample by sample; read it with figures(), then destroy() it. */
export class HourAccumulator {
  private readonly ttft = newHistogram()
  private readonly tps = newHistogram()
  private readonly buckets = new Map<number, Bucket>()
  private ok = 0
  private providerErr = 0

  constructor(
    readonly startMs: number,
    readonly offering: string,
  ) {}

  add(r: StatRow): void {
    if (!isAttempt(r.outcome)) return
    const ok = r.outcome === 'ok'
    const perr = r.blame === 'provider'
    if (!ok && !perr) return
    const key = Math.floor(r.ts_ms / BUCKET_MS)
    let b = this.buckets.get(key)
    if (!b) this.buckets.set(key, (b = new Bucket()))
    if (ok) {
      this.ok++
      b.ok++
      record(this.ttft, r.ttft_ms)
      record(this.tps, r.output_tps)
      if (r.ttft_ms !== null) b.ttft.push(r.ttft_ms)
    } else {
      this.providerErr++
      b.providerErr++
    }
  }

  figures(slo: SloTargets): HourFigures {
    let judged = 0
    let held = 0
    for (const b of this.buckets.values()) {
      judged++
      const p90 = b.p90()
      if (p90 !== null && p90 <= slo.ttft_ms && b.ok / (b.ok + b.providerErr) >= slo.availability) held++
    }
    return {
      start_ms: this.startMs, offering: this.offering, n_ok: this.ok, n_provider_err: this.providerErr,
      ttft_p50: percentile(this.ttft, 50), ttft_p90: percentile(this.ttft, 90), tps_p50: percentile(this.tps, 50),
      sla_judged: judged, sla_held: held,
    }
  }

  destroy(): void {
    releaseHistogram(this.ttft)
    releaseHistogram(this.tps)
  }
}

/** Hour figures for raw rows (the parts of a window no sealed hour covers), one per offering × hour present. */
export function figuresFromRaw(rows: readonly StatRow[], slo: SloTargets): HourFigures[] {
  const acc = new Map<string, HourAccumulator>()
  for (const r of rows) {
    const start = Math.floor(r.ts_ms / HOUR_MS) * HOUR_MS
    const key = `${start}\u0000${r.offering}`
    let a = acc.get(key)
    if (!a) acc.set(key, (a = new HourAccumulator(start, r.offering)))
    a.add(r)
  }
  const out = [...acc.values()].map((a) => a.figures(slo))
  for (const a of acc.values()) a.destroy()
  return out
}
