import { median } from 'simple-statistics'
import type { HourFigures } from './hour-figures.js'

export interface HourOfDayPoint {
  /** UTC hour of day, 0–23. */
  hour: number
  n_ok: number
  ttft_p50: number | null
  output_tps_p50: number | null
}

/**
 * Median TTFT and decode speed per hour of the day (UTC) over a window:
 * "who holds up at 3 a.m., and who at the evening peak". Each point is the
 * median of that hour's medians across the window's days (so one busy day does
 * not outvote the others). Hours with fewer than `minN` successful requests
 * report nulls.
 */
export function hourOfDayProfile(hours: readonly HourFigures[], minN: number): HourOfDayPoint[] {
  const ttft = Array.from({ length: 24 }, () => [] as number[])
  const tps = Array.from({ length: 24 }, () => [] as number[])
  const ok = new Array<number>(24).fill(0)
  for (const h of hours) {
    const hour = new Date(h.start_ms).getUTCHours()
    ok[hour]! += h.n_ok
    if (h.ttft_p50 !== null) ttft[hour]!.push(h.ttft_p50)
    if (h.tps_p50 !== null) tps[hour]!.push(h.tps_p50)
  }
  const med = (xs: number[]) => (xs.length === 0 ? null : Math.round(median(xs) * 1000) / 1000)
  return ok.map((n, hour) => ({ hour, n_ok: n, ttft_p50: n >= minN ? med(ttft[hour]!) : null, output_tps_p50: n >= minN ? med(tps[hour]!) : null }))
}
