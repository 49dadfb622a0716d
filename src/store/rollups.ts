import { Aggregate, type RollupRow, type SloTargets, type StatRow } from '../stats/aggregate.js'
import { DAY_MS, HourAccumulator, HOUR_MS, type HourFigures } from '../stats/hour-figures.js'
import type { Db } from './db.js'

export { DAY_MS, HOUR_MS } from '../stats/hour-figures.js'
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit

/**
 * Raw rows as statistics read them, in METRICS.md units; add conditions with
 * `AND`. Rechecks (confirmation probes sent because something failed) are
 * health signals, not a fair sample, so statistics leave them out.
 */
export const STAT_SELECT = `SELECT s.ts_ms, x.offering, x.prompt_bucket, x.source, s.outcome, s.blame,
  s.ttft_us / 1000.0 AS ttft_ms, s.ttfat_us / 1000.0 AS ttfat_ms, s.e2e_us / 1000.0 AS e2e_ms, s.tpot_us / 1000.0 AS tpot_ms,
  s.output_mtps / 1000.0 AS output_tps, s.in_tokens, s.out_tokens, s.cost_usd
  FROM samples s JOIN series x ON x.id = s.series WHERE s.flags NOT LIKE '%recheck%'`

/** Whether a sample counts in statistics (see STAT_SELECT). */
export const countsInStatistics = (s: { flags: readonly string[] }) => !s.flags.includes('recheck')

const COUNT_COLUMNS = ['n', 'n_ok', 'n_provider_err', 'n_quota', 'n_good', 'outcomes', 'in_tokens', 'out_tokens', 'cost_usd', 'ttft_n', 'ttft_sum', 'ttft_sumsq', 'tps_n', 'tps_sum', 'tps_sumsq'] as const
const ROLLUP_COLUMNS = ['tier', 'start_ms', 'offering', 'prompt_bucket', 'source', ...COUNT_COLUMNS, 'ttft_p50', 'ttft_p90', 'tps_p50', 'h_ttft', 'h_ttfat', 'h_e2e', 'h_tpot', 'h_tps'] as const

type StoredRollup = Omit<RollupRow, 'outcomes'> & { outcomes: string }
const parseRow = (r: StoredRollup): RollupRow => ({ ...r, outcomes: JSON.parse(r.outcomes) as Record<string, number> })

type Key = { offering: string; prompt_bucket: string; source: string }
const keyOf = (k: Key) => `${k.offering}\u0000${k.prompt_bucket}\u0000${k.source}`

/**
 * What a window [from, to) is computed from: whole sealed days and hours as
 * rollup rows (merged, never averaged), the figures of every sealed hour
 * inside it (for series over time), and raw rows for everything else: the
 * unsealed recent past and partial hours at the edges.
 */
export interface WindowInputs {
  rollups: RollupRow[]
  hours: HourFigures[]
  raw: StatRow[]
}

/** The read side: prepares only SELECTs, so it works on the statistics worker's read-only connection. */
export function rollupReader(db: Db) {
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?').pluck()
  const rowsInRange = db.prepare('SELECT * FROM rollups WHERE tier = ? AND start_ms >= ? AND start_ms < ?')
  const figuresInRange = db.prepare('SELECT * FROM hour_figures WHERE start_ms >= ? AND start_ms < ?')
  const rawRange = db.prepare(`${STAT_SELECT} AND s.ts_ms >= ? AND s.ts_ms < ?`)
  const sealedUntil = (): number => Number(getMeta.get('sealed_until') ?? 0)
  return {
    sealedUntil,

    /** One read transaction, so the sealed mark and the rows agree. */
    windowInputs: db.transaction((from: number, to: number): WindowInputs => {
      const out: WindowInputs = { rollups: [], hours: [], raw: [] }
      const sealed = sealedUntil()
      const h0 = ceilTo(from, HOUR_MS)
      const h1 = Math.min(floorTo(to, HOUR_MS), sealed)
      const addRows = (tier: 'h' | 'd', a: number, b: number) => {
        if (a < b) for (const r of rowsInRange.all(tier, a, b) as StoredRollup[]) out.rollups.push(parseRow(r))
      }
      const addRaw = (a: number, b: number) => {
        if (a < b) for (const r of rawRange.iterate(a, b) as Iterable<StatRow>) out.raw.push(r)
      }
      if (h0 >= h1) {
        addRaw(from, to)
        return out
      }
      const d0 = ceilTo(h0, DAY_MS)
      const d1 = floorTo(h1, DAY_MS)
      if (d0 < d1) {
        addRows('h', h0, d0)
        addRows('d', d0, d1)
        addRows('h', d1, h1)
      } else addRows('h', h0, h1)
      out.hours = figuresInRange.all(h0, h1) as HourFigures[]
      addRaw(from, h0)
      addRaw(h1, to)
      return out
    }) as (from: number, to: number) => WindowInputs,
  }
}

/** One open (unsealed) hour: an aggregate per offering × bucket × source, and figures per offering. */
class OpenHour {
  readonly groups = new Map<string, { key: Key; agg: Aggregate }>()
  readonly offerings = new Map<string, HourAccumulator>()
  constructor(readonly start: number) {}
  add(r: StatRow, slo: SloTargets) {
    const id = keyOf(r)
    let g = this.groups.get(id)
    if (!g) this.groups.set(id, (g = { key: { offering: r.offering, prompt_bucket: r.prompt_bucket, source: r.source }, agg: new Aggregate() }))
    g.agg.addSample(r, slo)
    let f = this.offerings.get(r.offering)
    if (!f) this.offerings.set(r.offering, (f = new HourAccumulator(this.start, r.offering)))
    f.add(r)
  }
  destroy() {
    for (const g of this.groups.values()) g.agg.destroy()
    for (const f of this.offerings.values()) f.destroy()
  }
}

/**
 * The write side. Hours are aggregated in memory as samples commit, and
 * sealed (written as hour rows, merged into their day row, figures stored,
 * the `sealed_until` mark moved) in one short transaction once the hour is
 * over and a grace period has let in-flight probes land. A sample that still
 * arrives for a sealed hour is merged into its stored rows in the same
 * transaction that inserts it. Nothing in memory is needed for safety: after
 * a crash, `recover` rebuilds the open hours from the raw rows past the mark.
 */
export function rollupWriter(db: Db, slo: SloTargets) {
  const reader = rollupReader(db)
  const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES ('sealed_until', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
  const getRow = db.prepare('SELECT * FROM rollups WHERE tier = ? AND start_ms = ? AND offering = ? AND prompt_bucket = ? AND source = ?')
  const upsert = db.prepare(
    `INSERT INTO rollups (${ROLLUP_COLUMNS.join(', ')}) VALUES (${ROLLUP_COLUMNS.map((c) => `@${c}`).join(', ')})
     ON CONFLICT (tier, start_ms, offering, prompt_bucket, source) DO UPDATE SET ${ROLLUP_COLUMNS.slice(5).map((c) => `${c} = excluded.${c}`).join(', ')}`,
  )
  const putFigures = db.prepare(
    `INSERT INTO hour_figures VALUES (@start_ms, @offering, @n_ok, @n_provider_err, @ttft_p50, @ttft_p90, @tps_p50, @sla_judged, @sla_held)
     ON CONFLICT (start_ms, offering) DO UPDATE SET n_ok = n_ok + excluded.n_ok, n_provider_err = n_provider_err + excluded.n_provider_err`,
  )
  const rawSince = db.prepare(`${STAT_SELECT} AND s.ts_ms >= ?`)
  const pruneRows = db.prepare('DELETE FROM rollups WHERE start_ms < ?')
  const pruneFigures = db.prepare('DELETE FROM hour_figures WHERE start_ms < ?')
  const open = new Map<number, OpenHour>()
  let sealed = reader.sealedUntil()

  const observe = (r: StatRow) => {
    const start = floorTo(r.ts_ms, HOUR_MS)
    let h = open.get(start)
    if (!h) open.set(start, (h = new OpenHour(start)))
    h.add(r, slo)
  }

  /** Merge `agg` into the stored row of this tier, period and key (creating it), as one upsert. */
  const mergeInto = (tier: 'h' | 'd', start: number, key: Key, agg: Aggregate) => {
    const existing = getRow.get(tier, start, key.offering, key.prompt_bucket, key.source) as StoredRollup | undefined
    if (existing) agg.addRow(parseRow(existing))
    upsert.run({ ...agg.counts, outcomes: JSON.stringify(agg.counts.outcomes), ...agg.figures(), ...agg.encoded(), tier, start_ms: start, ...key })
  }

  /** Write one hour's aggregates (sealing or late), merging into what is stored. */
  const writeHour = (start: number, groups: Iterable<{ key: Key; agg: Aggregate }>) => {
    for (const { key, agg } of groups) {
      // The day row first: mergeInto folds the stored row into `agg`, and the day must get this hour's part only.
      const day = new Aggregate()
      day.add(agg)
      try {
        mergeInto('d', floorTo(start, DAY_MS), key, day)
      } finally {
        day.destroy()
      }
      mergeInto('h', start, key, agg)
    }
  }

  return {
    windowInputs: reader.windowInputs,
    sealedUntil: () => sealed,
    /** Hours aggregated in memory, not sealed yet. */
    openHours: () => [...open.keys()].sort((a, b) => a - b),

    /** Rebuild the open hours from raw rows past the sealed mark (start-up). Returns the rows read. */
    recover(): number {
      for (const h of open.values()) h.destroy()
      open.clear()
      sealed = reader.sealedUntil()
      let n = 0
      for (const r of rawSince.iterate(sealed) as Iterable<StatRow>) (observe(r), n++)
      return n
    },

    /**
     * Inside the insert transaction: merge rows of already-sealed hours into
     * their stored rows. Returns the rows that belong to open hours, to be
     * observed once the transaction has committed.
     */
    mergeLate(rows: readonly StatRow[]): StatRow[] {
      const late = new Map<number, Map<string, { key: Key; agg: Aggregate }>>()
      const figures = new Map<string, HourAccumulator>()
      const onTime: StatRow[] = []
      for (const r of rows) {
        if (r.ts_ms >= sealed) {
          onTime.push(r)
          continue
        }
        const start = floorTo(r.ts_ms, HOUR_MS)
        let groups = late.get(start)
        if (!groups) late.set(start, (groups = new Map()))
        let g = groups.get(keyOf(r))
        if (!g) groups.set(keyOf(r), (g = { key: { offering: r.offering, prompt_bucket: r.prompt_bucket, source: r.source }, agg: new Aggregate() }))
        g.agg.addSample(r, slo)
        const fk = `${start}\u0000${r.offering}`
        let f = figures.get(fk)
        if (!f) figures.set(fk, (f = new HourAccumulator(start, r.offering)))
        f.add(r)
      }
      try {
        for (const [start, groups] of late) writeHour(start, groups.values())
        // Late samples add to an hour's counts; its medians and SLA buckets stay as sealed.
        for (const f of figures.values()) putFigures.run({ ...f.figures(slo), ttft_p50: null, ttft_p90: null, tps_p50: null, sla_judged: 0, sla_held: 0 })
      } finally {
        for (const groups of late.values()) for (const g of groups.values()) g.agg.destroy()
        for (const f of figures.values()) f.destroy()
      }
      return onTime
    },

    /** After commit: aggregate rows of open hours in memory. */
    observe(rows: readonly StatRow[]): void {
      for (const r of rows) observe(r)
    },

    /**
     * Seal every hour that ended at least `graceMs` before `nowMs`, oldest
     * first, each in its own short transaction. Returns the hours sealed.
     */
    seal(nowMs: number, graceMs: number): number {
      const until = floorTo(nowMs - graceMs, HOUR_MS)
      let count = 0
      for (const start of [...open.keys()].sort((a, b) => a - b)) {
        if (start + HOUR_MS > until) break
        const hour = open.get(start)!
        db.transaction(() => {
          writeHour(start, hour.groups.values())
          for (const f of hour.offerings.values()) putFigures.run(f.figures(slo))
          setMeta.run(String(start + HOUR_MS))
        })()
        sealed = start + HOUR_MS
        open.delete(start)
        hour.destroy()
        count++
      }
      // Hours nobody probed seal too (every open hour left starts at or after `until`).
      if (until > sealed) {
        setMeta.run(String(until))
        sealed = until
      }
      return count
    },

    /** Delete rollups and hour figures of periods that start before `beforeMs`. */
    prune(beforeMs: number): number {
      return db.transaction(() => pruneRows.run(beforeMs).changes + pruneFigures.run(beforeMs).changes)()
    },

    close(): void {
      for (const h of open.values()) h.destroy()
      open.clear()
    },
  }
}

export type RollupWriter = ReturnType<typeof rollupWriter>
