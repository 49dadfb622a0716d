import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../log.js'
import type { WindowInputs } from '../store/rollups.js'
import type { SloTargets } from './aggregate.js'
import { computeRange, computeWindow, type WindowResult } from './compute-window.js'
import type { HourOfDayPoint } from './hour-of-day.js'
import type { WorkerReply, WorkerRequest } from './stats-worker.js'
import type { WindowStats } from './window-stats.js'
import { WINDOWS, WINDOW_NAMES, type WindowName } from './windows.js'

export interface WindowSnapshot {
  window: WindowName | 'custom'
  from_ms: number
  to_ms: number
  computed_at_ms: number
  byOffering: ReadonlyMap<string, WindowStats>
  /** Per prompt bucket, per offering (no series-over-time metrics: those are per offering). */
  byBucket: ReadonlyMap<string, ReadonlyMap<string, WindowStats>>
  /** Hour-of-day profile per offering (windows of a day or longer). */
  hourOfDay: ReadonlyMap<string, HourOfDayPoint[]>
}

/** Where window statistics are computed: on a worker thread (the daemon) or in-process (an in-memory database). */
type Computed = { results: WindowResult[]; errors: { window: WindowName | 'custom'; message: string }[] }
export interface WindowSource {
  /** Named windows ending now, and optionally one explicit [from, to). */
  compute(windows: WindowName[], nowMs: number, range?: { from: number; to: number }): Promise<Computed>
  close(): Promise<void>
}

export interface StatsService {
  /** The latest computed snapshot: never touches the database. */
  get(window: WindowName): WindowSnapshot | undefined
  /** Recompute windows now (the timer calls it; tests await it). */
  refresh(windows?: readonly WindowName[]): Promise<void>
  /**
   * Statistics over an explicit [from, to), computed like the named windows
   * (on the worker), not cached. Null when another one is being computed: one
   * at a time, so ad-hoc queries cannot crowd out the refreshes gateways rely on.
   */
  range(from: number, to: number): Promise<WindowSnapshot | null>
  start(): void
  stop(): Promise<void>
}

export interface StatsServiceOptions {
  source: WindowSource
  clock: Clock
  log: Logger
  refreshMs: number
}

/** Windows of an hour or less are refreshed every tick; longer ones once a minute. */
const LONG_REFRESH_MS = 60_000

type Params = { offerings: readonly string[]; minN: number; slo: SloTargets }

/** Compute in this thread: for `:memory:` databases and tools; blocks while it runs. */
export function inProcessSource(read: (from: number, to: number) => WindowInputs, params: Params): WindowSource {
  return {
    compute: async (windows, nowMs, range) => {
      const out: Computed = { results: [], errors: [] }
      if (range) out.results.push(computeRange(read, params, { window: 'custom', ...range }, nowMs))
      for (const w of windows) {
        try {
          out.results.push(computeWindow(read, params, w, nowMs))
        } catch (err) {
          out.errors.push({ window: w, message: err instanceof Error ? err.message : String(err) })
        }
      }
      return out
    },
    close: async () => {},
  }
}

/**
 * Compiled, the worker is a .js file. Run from source (tests, tsx scripts) it is
 * TypeScript, and Node 20 does not apply `--import` loader hooks to workers, so
 * a two-line bootstrap registers tsx inside the worker before importing it.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./stats-worker.js', import.meta.url), { workerData })
  // Resolve tsx's ESM entry from here (the "import" condition), so the bootstrap does not depend on the cwd.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const target = new URL('./stats-worker.ts', import.meta.url).href
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}) })`
  return new Worker(boot, { eval: true, workerData })
}

/** Compute on a worker thread with its own read-only connection to `dbPath`. */
export function workerSource(dbPath: string, params: Params): WindowSource {
  const worker = startWorker({ dbPath, params })
  worker.unref()
  let nextId = 1
  const pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>()
  worker.on('message', (reply: WorkerReply) => {
    pending.get(reply.id)?.resolve(reply)
    pending.delete(reply.id)
  })
  let dead: Error | null = null
  const failAll = (err: Error) => {
    dead ??= err
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  worker.on('error', failAll)
  worker.on('exit', (code) => failAll(new Error(`statistics worker exited (code ${code})`)))
  return {
    compute: (windows, nowMs, range) =>
      new Promise((resolve, reject) => {
        if (dead) return reject(dead) // said loudly on every refresh, never a silent stale snapshot
        const id = nextId++
        pending.set(id, { resolve, reject })
        worker.postMessage({ id, windows, nowMs, ...(range ? { range } : {}) } satisfies WorkerRequest)
      }),
    close: async () => void (await worker.terminate()),
  }
}

/**
 * Keeps window statistics as immutable snapshots, recomputed off the request
 * path, so the API reads memory, never SQLite. Windows are computed from
 * minute/hour rollups where they cover the window, and raw rows elsewhere.
 */
export function createStatsService(o: StatsServiceOptions): StatsService {
  const snapshots = new Map<WindowName, WindowSnapshot>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | null = null
  const toSnapshot = (r: WindowResult): WindowSnapshot => ({ ...r, byOffering: new Map(r.byOffering), byBucket: new Map(r.byBucket.map(([b, xs]) => [b, new Map(xs)])), hourOfDay: new Map(r.hourOfDay) })
  let rangeBusy = false
  const refresh = async (windows: readonly WindowName[] = WINDOW_NAMES) => {
    const { results, errors } = await o.source.compute([...windows], o.clock.wallMs())
    for (const r of results) if (r.window !== 'custom') snapshots.set(r.window, toSnapshot(r))
    for (const e of errors) o.log.error({ window: e.window, error: e.message }, 'computing window statistics failed; serving the previous snapshot')
  }
  const tick = () => {
    if (running) return // the previous refresh is still computing: skip, never pile up
    const now = o.clock.wallMs()
    const due = WINDOW_NAMES.filter((w) => WINDOWS[w] <= 3_600_000 || now - (snapshots.get(w)?.computed_at_ms ?? 0) >= LONG_REFRESH_MS)
    running = refresh(due)
      .catch((err: unknown) => o.log.error({ err }, 'statistics refresh failed; serving the previous snapshots'))
      .finally(() => (running = null))
  }
  return {
    get: (w) => snapshots.get(w),
    refresh,
    async range(from, to) {
      if (rangeBusy) return null
      rangeBusy = true
      try {
        const { results, errors } = await o.source.compute([], o.clock.wallMs(), { from, to })
        if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '))
        return results[0] ? toSnapshot(results[0]) : null
      } finally {
        rangeBusy = false
      }
    },
    start() {
      tick()
      timer = setInterval(tick, o.refreshMs)
      timer.unref()
    },
    async stop() {
      clearInterval(timer)
      await running
      await o.source.close()
    },
  }
}
