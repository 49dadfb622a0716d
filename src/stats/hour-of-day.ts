import type { RollupRow, StatRow } from './aggregate.js'
import { decode, newHistogram, percentile, record, type Histogram } from './histogram.js'

export interface HourOfDayPoint {
  /** UTC hour of day, 0–23. */
  hour: number
  n_ok: number
  ttft_p50: number | null
  output_tps_p50: number | null
}

/**
 * Median TTFT and decode speed per hour of the day (UTC) over a window's
 * inputs: "who holds up at 3 a.m., and who at the evening peak". Hours with
 * fewer than `minN` successful requests report nulls.
 */
export function hourOfDayProfile(rollups: readonly RollupRow[], raw: readonly StatRow[], minN: number): HourOfDayPoint[] {
  const ttft: Histogram[] = Array.from({ length: 24 }, newHistogram)
  const tps: Histogram[] = Array.from({ length: 24 }, newHistogram)
  const ok = new Array<number>(24).fill(0)
  const hourOf = (t: number) => new Date(t).getUTCHours()
  for (const r of rollups) {
    const h = hourOf(r.start_ms)
    ok[h]! += r.n_ok
    for (const [enc, into] of [[r.h_ttft, ttft[h]!], [r.h_tps, tps[h]!]] as const) {
      if (enc === null) continue
      const d = decode(enc)
      into.add(d)
      d.destroy()
    }
  }
  for (const x of raw) {
    if (x.outcome !== 'ok') continue
    const h = hourOf(x.ts_ms)
    ok[h]!++
    record(ttft[h]!, x.ttft_ms)
    record(tps[h]!, x.output_tps)
  }
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000)
  const out = ok.map((n, hour) => ({ hour, n_ok: n, ttft_p50: n >= minN ? round(percentile(ttft[hour]!, 50)) : null, output_tps_p50: n >= minN ? round(percentile(tps[hour]!, 50)) : null }))
  for (const h of [...ttft, ...tps]) h.destroy()
  return out
}
