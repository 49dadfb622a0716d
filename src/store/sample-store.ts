import type { ProbeSample } from '../core/types.js'
import type { SloTargets, StatRow } from '../stats/aggregate.js'
import type { Db } from './db.js'
import { countsInStatistics, rollupWriter, STAT_SELECT, type WindowInputs } from './rollups.js'
import { decodeSample, encodeSample, SAMPLE_COLUMNS, seriesKey, type SeriesKey, type StoredSample } from './sample-codec.js'

export interface SampleQuery {
  offering?: string
  fromMs?: number
  toMs?: number
  limit?: number
}

/**
 * Where samples live. One interface, so the statistics and API stages do not
 * care which database is behind it (SQLite now; others can follow).
 */
export interface SampleStore {
  /** Insert in one transaction; rows of already-sealed hours are merged into their rollups in the same one. */
  insertMany(samples: readonly ProbeSample[]): void
  statRows(fromMs: number, toMs: number): StatRow[]
  /** Seal the hours that ended `graceMs` before `nowMs` into hour and day rollups; returns how many. */
  seal(nowMs: number, graceMs: number): number
  /** Start of the first hour not sealed yet: raw rows from here on are what windows read raw. */
  sealedUntil(): number
  pruneRollups(beforeMs: number): number
  /** What a window [from, to) needs: rollups where sealed hours cover it, raw rows elsewhere. */
  windowInputs(fromMs: number, toMs: number): WindowInputs
  recent(q: SampleQuery): ProbeSample[]
  count(): number
  /** Delete raw samples before `tsMs` (never past the sealed mark: unsealed rows are the only copy). */
  pruneBefore(tsMs: number): number
  close(): void
}

export function sqliteSampleStore(db: Db, slo: SloTargets): SampleStore {
  const insert = db.prepare(`INSERT INTO samples (${SAMPLE_COLUMNS.join(', ')}) VALUES (${SAMPLE_COLUMNS.map(() => '?').join(', ')})`)
  const findSeries = db.prepare('SELECT id FROM series WHERE offering = ? AND provider = ? AND model = ? AND region = ? AND source = ? AND prompt_bucket = ?').pluck()
  const addSeries = db.prepare('INSERT INTO series (offering, provider, model, region, source, prompt_bucket) VALUES (?, ?, ?, ?, ?, ?)')
  const seriesById = new Map<number, SeriesKey>()
  const seriesIds = new Map<string, number>()
  for (const r of db.prepare('SELECT * FROM series').all() as (SeriesKey & { id: number })[]) {
    const { id, ...key } = r
    seriesById.set(id, key)
    seriesIds.set(seriesKey(key), id)
  }
  const seriesOf = (s: ProbeSample): number => {
    const k = seriesKey(s)
    let id = seriesIds.get(k)
    if (id === undefined) {
      const args = [s.offering, s.provider, s.model, s.region, s.source, s.prompt_bucket] as const
      id = (findSeries.get(...args) as number | undefined) ?? Number(addSeries.run(...args).lastInsertRowid)
      seriesIds.set(k, id)
      seriesById.set(id, { offering: s.offering, provider: s.provider, model: s.model, region: s.region, source: s.source, prompt_bucket: s.prompt_bucket })
    }
    return id
  }
  const rollups = rollupWriter(db, slo)
  const row = new Array<unknown>(SAMPLE_COLUMNS.length)
  const insertMany = db.transaction((rows: readonly ProbeSample[]) => {
    for (const s of rows) insert.run(encodeSample(s, seriesOf(s), row))
    return rollups.mergeLate(rows.filter(countsInStatistics))
  })
  const statRows = db.prepare(`${STAT_SELECT} AND s.ts_ms >= ? AND s.ts_ms < ?`)
  const count = db.prepare('SELECT count(*) AS n FROM samples').pluck()
  const prune = db.prepare('DELETE FROM samples WHERE ts_ms < ?')
  rollups.recover()
  return {
    insertMany(samples) {
      try {
        rollups.observe(insertMany(samples))
      } catch (err) {
        // A failed transaction may have created series ids that rolled back with it.
        seriesIds.clear()
        throw err
      }
    },
    statRows: (fromMs, toMs) => statRows.all(fromMs, toMs) as StatRow[],
    recent(q) {
      const where: string[] = []
      const args: unknown[] = []
      if (q.offering) (where.push('s.series IN (SELECT id FROM series WHERE offering = ?)'), args.push(q.offering))
      if (q.fromMs !== undefined) (where.push('s.ts_ms >= ?'), args.push(q.fromMs))
      if (q.toMs !== undefined) (where.push('s.ts_ms < ?'), args.push(q.toMs))
      const sql = `SELECT * FROM samples s ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.ts_ms DESC LIMIT ?`
      const rows = db.prepare(sql).all(...args, Math.min(q.limit ?? 100, 1000)) as (StoredSample & { series: number })[]
      return rows.map((r) => decodeSample(r, seriesById.get(r.series)!))
    },
    seal: (nowMs, graceMs) => rollups.seal(nowMs, graceMs),
    sealedUntil: () => rollups.sealedUntil(),
    pruneRollups: (beforeMs) => rollups.prune(beforeMs),
    windowInputs: (fromMs, toMs) => rollups.windowInputs(fromMs, toMs),
    count: () => count.get() as number,
    pruneBefore: (tsMs) => prune.run(Math.min(tsMs, rollups.sealedUntil())).changes,
    close() {
      rollups.close()
      db.close()
    },
  }
}
