import type { Clock } from '../core/clock.js'
import type { Logger } from '../log.js'
import type { SampleStore } from '../store/sample-store.js'
import type { RollupRow, StatRow } from './aggregate.js'
import { hourOfDayProfile, type HourOfDayPoint } from './hour-of-day.js'
import { summarizeWindow, type SloTargets, type WindowStats } from './window-stats.js'
import { WINDOWS, WINDOW_NAMES, type WindowName } from './windows.js'

export interface WindowSnapshot {
  window: WindowName
  from_ms: number
  to_ms: number
  computed_at_ms: number
  byOffering: ReadonlyMap<string, WindowStats>
  /** Hour-of-day profile per offering (windows of a day or longer). */
  hourOfDay: ReadonlyMap<string, HourOfDayPoint[]>
}

export interface StatsService {
  /** The latest computed snapshot: never touches the database. */
  get(window: WindowName): WindowSnapshot | undefined
  /** Recompute windows now (called by the timer; tests call it directly). */
  refresh(windows?: readonly WindowName[]): void
  start(): void
  stop(): void
}

export interface StatsServiceOptions {
  store: SampleStore
  clock: Clock
  log: Logger
  offerings: readonly string[]
  minN: number
  slo: SloTargets
  refreshMs: number
}

/** Windows of an hour or less are refreshed every tick; longer ones once a minute. */
const LONG_REFRESH_MS = 60_000

/**
 * Computes window statistics off the request path and keeps them as immutable
 * snapshots, so the API reads memory, never SQLite. Windows are computed from
 * minute/hour rollups where they cover the window, and raw rows elsewhere.
 */
export function createStatsService(o: StatsServiceOptions): StatsService {
  const snapshots = new Map<WindowName, WindowSnapshot>()
  let timer: NodeJS.Timeout | undefined
  const computeWindow = (w: WindowName) => {
    const to = o.clock.wallMs() + 1
    const from = to - WINDOWS[w]
    const inputs = o.store.windowInputs(from, to)
    const grouped = new Map<string, { rollups: RollupRow[]; raw: StatRow[] }>(o.offerings.map((id) => [id, { rollups: [], raw: [] }]))
    for (const row of inputs.rollups) grouped.get(row.offering)?.rollups.push(row)
    for (const row of inputs.raw) grouped.get(row.offering)?.raw.push(row)
    const byOffering = new Map<string, WindowStats>()
    const hourOfDay = new Map<string, HourOfDayPoint[]>()
    for (const [id, g] of grouped) {
      byOffering.set(id, summarizeWindow(g.rollups, g.raw, { minN: o.minN, slo: o.slo, fromMs: from, toMs: to }))
      if (WINDOWS[w] >= 86_400_000) hourOfDay.set(id, hourOfDayProfile(g.rollups, g.raw, o.minN))
    }
    snapshots.set(w, { window: w, from_ms: from, to_ms: to, computed_at_ms: o.clock.wallMs(), byOffering, hourOfDay })
  }
  const refresh = (windows: readonly WindowName[] = WINDOW_NAMES) => {
    for (const w of windows) {
      try {
        computeWindow(w)
      } catch (err) {
        o.log.error({ err, window: w }, 'computing window statistics failed; serving the previous snapshot')
      }
    }
  }
  const tick = () => {
    const now = o.clock.wallMs()
    const due = WINDOW_NAMES.filter((w) => WINDOWS[w] <= 3_600_000 || now - (snapshots.get(w)?.computed_at_ms ?? 0) >= LONG_REFRESH_MS)
    refresh(due)
  }
  return {
    get: (w) => snapshots.get(w),
    refresh,
    start() {
      tick()
      timer = setInterval(tick, o.refreshMs)
      timer.unref()
    },
    stop: () => clearInterval(timer),
  }
}
