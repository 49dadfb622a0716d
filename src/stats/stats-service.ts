import type { Clock } from '../core/clock.js'
import type { Logger } from '../log.js'
import type { SampleStore, StatRow } from '../store/sample-store.js'
import { summarize, type SloTargets, type WindowStats } from './window-stats.js'
import { WINDOWS, WINDOW_NAMES, type WindowName } from './windows.js'

export interface WindowSnapshot {
  window: WindowName
  from_ms: number
  to_ms: number
  computed_at_ms: number
  byOffering: ReadonlyMap<string, WindowStats>
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
 * snapshots, so the API reads memory, never SQLite. (Raw-row scans for now;
 * rollups make the long windows cheap later without changing this interface.)
 */
export function createStatsService(o: StatsServiceOptions): StatsService {
  const snapshots = new Map<WindowName, WindowSnapshot>()
  let timer: NodeJS.Timeout | undefined
  const computeWindow = (w: WindowName) => {
    const to = o.clock.wallMs() + 1
    const from = to - WINDOWS[w]
    const rows = o.store.statRows(from, to)
    const grouped = new Map<string, StatRow[]>(o.offerings.map((id) => [id, []]))
    for (const row of rows) grouped.get(row.offering)?.push(row)
    const byOffering = new Map<string, WindowStats>()
    for (const [id, list] of grouped) byOffering.set(id, summarize(list, { minN: o.minN, slo: o.slo, fromMs: from, toMs: to }))
    snapshots.set(w, { window: w, from_ms: from, to_ms: to, computed_at_ms: o.clock.wallMs(), byOffering })
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
