import type { WindowInputs } from '../store/rollups.js'
import type { RollupRow, SloTargets, StatRow } from './aggregate.js'
import { DAY_MS, figuresFromRaw, HOUR_MS, type HourFigures } from './hour-figures.js'
import { hourOfDayProfile, type HourOfDayPoint } from './hour-of-day.js'
import { summarizeWindow, type WindowStats } from './window-stats.js'
import { WINDOWS, type WindowName } from './windows.js'

/** A window's statistics in a form that crosses a thread boundary (arrays, not maps). */
export interface WindowResult {
  /** A named window, or `custom` for an explicit [from, to). */
  window: WindowName | 'custom'
  from_ms: number
  to_ms: number
  computed_at_ms: number
  byOffering: [string, WindowStats][]
  /** Per prompt bucket: [bucket, [offering, stats][]] (short and long prompts rank vendors differently). */
  byBucket: [string, [string, WindowStats][]][]
  hourOfDay: [string, HourOfDayPoint[]][]
}

export interface ComputeParams {
  offerings: readonly string[]
  minN: number
  slo: SloTargets
}

/**
 * Every offering's statistics for one named window ending at `nowMs`. Windows
 * of a day or more start on the hour (up to an hour longer than named), so
 * they are whole sealed hours and days plus the unsealed present, never a
 * raw scan of a partial hour a week ago.
 */
export function computeWindow(read: (from: number, to: number) => WindowInputs, p: ComputeParams, w: WindowName, nowMs: number): WindowResult {
  const to = nowMs + 1
  const from = WINDOWS[w] >= DAY_MS ? Math.floor((to - WINDOWS[w]) / HOUR_MS) * HOUR_MS : to - WINDOWS[w]
  return computeRange(read, p, { window: w, from, to }, nowMs)
}

/** Every offering's statistics over [from, to). Hour-of-day profiles for spans of a day or more. */
export function computeRange(read: (from: number, to: number) => WindowInputs, p: ComputeParams, r: { window: WindowName | 'custom'; from: number; to: number }, nowMs: number): WindowResult {
  const { window: w, from, to } = r
  const inputs = read(from, to)
  const grouped = new Map<string, { rollups: RollupRow[]; hours: HourFigures[]; raw: StatRow[] }>(p.offerings.map((id) => [id, { rollups: [], hours: [], raw: [] }]))
  for (const row of inputs.rollups) grouped.get(row.offering)?.rollups.push(row)
  for (const h of inputs.hours) grouped.get(h.offering)?.hours.push(h)
  for (const row of inputs.raw) grouped.get(row.offering)?.raw.push(row)
  const byOffering: [string, WindowStats][] = []
  const hourOfDay: [string, HourOfDayPoint[]][] = []
  const opts = { minN: p.minN, slo: p.slo, fromMs: from, toMs: to }
  const buckets = new Map<string, Map<string, WindowStats>>()
  for (const [id, g] of grouped) {
    const hours = [...g.hours, ...figuresFromRaw(g.raw, p.slo)]
    byOffering.push([id, summarizeWindow(g.rollups, hours, g.raw, opts)])
    if (to - from >= DAY_MS) hourOfDay.push([id, hourOfDayProfile(hours, p.minN)])
    // Per bucket: everything but the series over time (hour figures are kept per offering).
    const names = new Set([...g.rollups.map((r) => r.prompt_bucket), ...g.raw.map((r) => r.prompt_bucket)])
    for (const b of names) {
      let m = buckets.get(b)
      if (!m) buckets.set(b, (m = new Map()))
      m.set(id, summarizeWindow(g.rollups.filter((r) => r.prompt_bucket === b), [], g.raw.filter((r) => r.prompt_bucket === b), opts))
    }
  }
  const byBucket = [...buckets].map(([b, m]): [string, [string, WindowStats][]] => [b, [...m]])
  return { window: w, from_ms: from, to_ms: to, computed_at_ms: nowMs, byOffering, byBucket, hourOfDay }
}
