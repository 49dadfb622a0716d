import { Aggregate, type RollupRow, type SloTargets, type StatRow } from '../stats/aggregate.js'
import type { Db } from './db.js'

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit

const STAT_COLUMNS = 'ts_ms, offering, prompt_bucket, source, outcome, blame, ttft_ms, ttfat_ms, e2e_ms, tpot_ms, output_tps, in_tokens, out_tokens, cost_usd'
const ROLLUP_COLUMNS = [
  'tier', 'start_ms', 'offering', 'prompt_bucket', 'source', 'n', 'n_ok', 'n_provider_err', 'n_quota', 'n_good', 'outcomes', 'in_tokens', 'out_tokens', 'cost_usd',
  'ttft_n', 'ttft_sum', 'ttft_sumsq', 'tps_n', 'tps_sum', 'tps_sumsq', 'h_ttft', 'h_ttfat', 'h_e2e', 'h_tpot', 'h_tps',
] as const

type StoredRollup = Omit<RollupRow, 'outcomes'> & { outcomes: string }
const parseRow = (r: StoredRollup): RollupRow => ({ ...r, outcomes: JSON.parse(r.outcomes) as Record<string, number> })

type Key = { offering: string; prompt_bucket: string; source: string }

/** Aggregates per (bucket start, offering, prompt bucket, source), created on first use. */
class Groups {
  private readonly map = new Map<string, { start: number; key: Key; agg: Aggregate }>()
  get(start: number, key: Key): Aggregate {
    const id = `${start}\u0000${key.offering}\u0000${key.prompt_bucket}\u0000${key.source}`
    let g = this.map.get(id)
    if (!g) this.map.set(id, (g = { start, key, agg: new Aggregate() }))
    return g.agg
  }
  /** Hand each group over, then release its histograms. */
  flush(write: (start: number, key: Key, agg: Aggregate) => void): void {
    for (const g of this.map.values()) {
      write(g.start, g.key, g.agg)
      g.agg.destroy()
    }
  }
}

/** Everything a window needs: rollup rows fully inside it, and the raw rows nothing rolled up covers. */
export interface WindowInputs {
  rollups: RollupRow[]
  raw: StatRow[]
}

/**
 * The read side of the rollups: what any window needs. Prepares only SELECTs,
 * so it works on a read-only connection (the statistics worker's).
 */
export function rollupReader(db: Db) {
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?').pluck()
  const rowsInRange = db.prepare('SELECT * FROM rollups WHERE tier = ? AND start_ms >= ? AND start_ms < ?')
  const hourCompacted = db.prepare("SELECT 1 FROM rollups WHERE tier = 'h' AND start_ms = ? LIMIT 1").pluck()
  const rawRange = db.prepare(`SELECT ${STAT_COLUMNS} FROM samples WHERE ts_ms >= ? AND ts_ms < ? AND rowid <= ?`)
  const rawUnrolled = db.prepare(`SELECT ${STAT_COLUMNS} FROM samples WHERE rowid > ? AND ts_ms >= ? AND ts_ms < ?`)
  const watermark = (): number => Number(getMeta.get('rollup_watermark') ?? 0)
  return {
    watermark,

    /**
     * The inputs of any window [from, to): whole hours from rollups of either
     * tier; partial hours from minute rollups and raw rows at sub-minute edges
     * (or all raw rows, where that hour was already compacted); and raw rows the
     * last roll-up pass has not reached yet. One read transaction, so the
     * watermark and the rows agree.
     */
    windowInputs: db.transaction((from: number, to: number): WindowInputs => {
      const wm = watermark()
      const out: WindowInputs = { rollups: [], raw: [] }
      const addRows = (tier: 'm' | 'h', a: number, b: number) => {
        if (a < b) for (const r of rowsInRange.all(tier, a, b) as StoredRollup[]) out.rollups.push(parseRow(r))
      }
      const addRaw = (a: number, b: number) => {
        if (a < b) out.raw.push(...(rawRange.all(a, b, wm) as StatRow[]))
      }
      /** A range inside one hour. */
      const partial = (a: number, b: number) => {
        if (a >= b) return
        if (hourCompacted.get(floorTo(a, HOUR_MS))) return addRaw(a, b)
        const m0 = ceilTo(a, MINUTE_MS)
        const m1 = floorTo(b, MINUTE_MS)
        if (m0 >= m1) return addRaw(a, b)
        addRaw(a, m0)
        addRows('m', m0, m1)
        addRaw(m1, b)
      }
      const h0 = ceilTo(from, HOUR_MS)
      const h1 = floorTo(to, HOUR_MS)
      if (h0 < h1) {
        partial(from, h0)
        addRows('h', h0, h1)
        addRows('m', h0, h1)
        partial(h1, to)
      } else if (from < h0 && h0 < to) {
        partial(from, h0)
        partial(h0, to)
      } else partial(from, to)
      out.raw.push(...(rawUnrolled.all(wm, from, to) as StatRow[]))
      return out
    }) as (from: number, to: number) => WindowInputs,
  }
}

/**
 * Minute and hour rollups over the raw samples, kept in step by commit order:
 * a pass rolls up the raw rows above a watermark (rowid) and moves the
 * watermark in the same transaction, so each sample is counted exactly once,
 * whenever it arrives and whatever minute its timestamp falls in.
 */
export function rollupStore(db: Db) {
  const reader = rollupReader(db)
  const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
  const pending = db.prepare(`SELECT rowid, ${STAT_COLUMNS} FROM samples WHERE rowid > ? ORDER BY rowid LIMIT ?`)
  const maxRowid = db.prepare('SELECT max(rowid) FROM samples').pluck()
  const getRow = db.prepare('SELECT * FROM rollups WHERE tier = ? AND start_ms = ? AND offering = ? AND prompt_bucket = ? AND source = ?')
  const upsert = db.prepare(`INSERT OR REPLACE INTO rollups (${ROLLUP_COLUMNS.join(', ')}) VALUES (${ROLLUP_COLUMNS.map((c) => `@${c}`).join(', ')})`)
  const minutesBefore = db.prepare("SELECT * FROM rollups WHERE tier = 'm' AND start_ms < ? ORDER BY start_ms LIMIT ?")
  const deleteRow = db.prepare('DELETE FROM rollups WHERE tier = ? AND start_ms = ? AND offering = ? AND prompt_bucket = ? AND source = ?')
  const pruneHours = db.prepare("DELETE FROM rollups WHERE tier = 'h' AND start_ms < ?")
  const { watermark } = reader

  /** Merge `agg` into the stored row with this key (creating it), as one upsert. */
  const mergeInto = (tier: 'm' | 'h', start: number, key: Key, agg: Aggregate) => {
    const existing = getRow.get(tier, start, key.offering, key.prompt_bucket, key.source) as StoredRollup | undefined
    if (existing) agg.addRow(parseRow(existing))
    // Only the key fields: the source may be a row of another tier, whose own tier/start must not leak in.
    upsert.run({ ...agg.counts, outcomes: JSON.stringify(agg.counts.outcomes), ...agg.encoded(), tier, start_ms: start, offering: key.offering, prompt_bucket: key.prompt_bucket, source: key.source })
  }

  return {
    ...reader,

    /** Roll up raw rows committed since the last pass (at most `limit`); returns how many. Short transaction. */
    rollUp(slo: SloTargets, limit = 20_000): number {
      return db.transaction(() => {
        let wm = watermark()
        // Rowids restart if every raw row was pruned away; the watermark must follow.
        if (wm > 0 && ((maxRowid.get() as number | null) ?? 0) < wm) wm = 0
        const rows = pending.all(wm, limit) as (StatRow & { rowid: number })[]
        if (rows.length === 0) return 0
        const groups = new Groups()
        for (const r of rows) groups.get(floorTo(r.ts_ms, MINUTE_MS), r).addSample(r, slo)
        groups.flush((start, key, agg) => mergeInto('m', start, key, agg))
        setMeta.run('rollup_watermark', String(rows[rows.length - 1]!.rowid))
        return rows.length
      })()
    },

    /** Merge minute rows that start before `beforeMs` (rounded down to the hour) into hour rows. */
    compact(beforeMs: number, limit = 5_000): number {
      return db.transaction(() => {
        const rows = (minutesBefore.all(floorTo(beforeMs, HOUR_MS), limit) as StoredRollup[]).map(parseRow)
        const groups = new Groups()
        for (const r of rows) {
          groups.get(floorTo(r.start_ms, HOUR_MS), r).addRow(r)
          deleteRow.run('m', r.start_ms, r.offering, r.prompt_bucket, r.source)
        }
        groups.flush((start, key, agg) => mergeInto('h', start, key, agg))
        return rows.length
      })()
    },

    pruneHours: (beforeMs: number) => pruneHours.run(beforeMs).changes
  }
}

export type RollupStore = ReturnType<typeof rollupStore>
