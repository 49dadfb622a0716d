import type { WindowInputs } from '../store/rollups.js'
import type { RollupRow, SloTargets, StatRow } from './aggregate.js'
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
  hourOfDay: [string, HourOfDayPoint[]][]
}

export interface ComputeParams {
  offerings: readonly string[]
  minN: number
  slo: SloTargets
}

/** Every offering's statistics for one named window ending at `nowMs`, from what the store returned. */
export function computeWindow(read: (from: number, to: number) => WindowInputs, p: ComputeParams, w: WindowName, nowMs: number): WindowResult {
  const to = nowMs + 1
  return computeRange(read, p, { window: w, from: to - WINDOWS[w], to }, nowMs)
}

/** Every offering's statistics over [from, to). Hour-of-day profiles for spans of a day or more. */
export function computeRange(read: (from: number, to: number) => WindowInputs, p: ComputeParams, r: { window: WindowName | 'custom'; from: number; to: number }, nowMs: number): WindowResult {
  const { window: w, from, to } = r
  const inputs = read(from, to)
  const grouped = new Map<string, { rollups: RollupRow[]; raw: StatRow[] }>(p.offerings.map((id) => [id, { rollups: [], raw: [] }]))
  for (const row of inputs.rollups) grouped.get(row.offering)?.rollups.push(row)
  for (const row of inputs.raw) grouped.get(row.offering)?.raw.push(row)
  const byOffering: [string, WindowStats][] = []
  const hourOfDay: [string, HourOfDayPoint[]][] = []
  for (const [id, g] of grouped) {
    byOffering.push([id, summarizeWindow(g.rollups, g.raw, { minN: p.minN, slo: p.slo, fromMs: from, toMs: to })])
    if (to - from >= 86_400_000) hourOfDay.push([id, hourOfDayProfile(g.rollups, g.raw, p.minN)])
  }
  return { window: w, from_ms: from, to_ms: to, computed_at_ms: nowMs, byOffering, hourOfDay }
}
