import type { ProbeSample, SampleFlag } from '../core/types.js'
import type { SloTargets, StatRow } from '../stats/aggregate.js'
import type { Db } from './db.js'
import { rollupStore, type WindowInputs } from './rollups.js'

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
  insertMany(samples: readonly ProbeSample[]): void
  statRows(fromMs: number, toMs: number): StatRow[]
  /** Roll up samples committed since the last pass into minute rollups; returns how many. */
  rollUp(slo: SloTargets): number
  /** Merge minute rollups older than `beforeMs` into hour rollups; returns minute rows merged. */
  compact(beforeMs: number): number
  pruneRollups(beforeMs: number): number
  /** What a window [from, to) needs: rollups where they cover it, raw rows elsewhere. */
  windowInputs(fromMs: number, toMs: number): WindowInputs
  recent(q: SampleQuery): ProbeSample[]
  count(): number
  pruneBefore(tsMs: number): number
  close(): void
}

const COLUMNS = [
  'id', 'ts_ms', 'offering', 'provider', 'model', 'region', 'source', 'prompt_bucket', 't_sched', 'start_lag_ms',
  'connect_ms', 'ttfb_ms', 'ttft_ms', 'ttfat_ms', 'e2e_ms', 'decode_ms', 'tpot_ms', 'output_tps', 'e2e_tps',
  'gap_p50_ms', 'gap_p99_ms', 'gap_max_ms', 'in_tokens', 'out_tokens', 'reasoning_tokens', 'ref_out_tokens',
  'usage_diff_pct', 'usage_source', 'cost_usd', 'outcome', 'blame', 'http_status', 'error_message', 'censored_ms', 'retry_after_ms', 'flags',
] as const satisfies readonly (keyof ProbeSample)[]

// Compile-time check that every ProbeSample field has a column.
type Missing = Exclude<keyof ProbeSample, (typeof COLUMNS)[number]>
const _allColumns: Missing extends never ? true : Missing = true
void _allColumns

/** INTEGER columns must get integers: STRICT tables reject 12.0-looking floats from JSON maths. */
const INTEGER_COLUMNS = new Set(['ts_ms', 'in_tokens', 'out_tokens', 'reasoning_tokens', 'ref_out_tokens', 'http_status'])

export function sqliteSampleStore(db: Db): SampleStore {
  const insert = db.prepare(`INSERT OR IGNORE INTO samples (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`)
  const insertMany = db.transaction((rows: readonly ProbeSample[]) => {
    for (const s of rows) {
      const row: Record<string, unknown> = {}
      for (const c of COLUMNS) {
        const v = s[c]
        row[c] = c === 'flags' ? s.flags.join(',') : INTEGER_COLUMNS.has(c) && typeof v === 'number' ? Math.round(v) : v
      }
      insert.run(row)
    }
  })
  const statRows = db.prepare(`SELECT ts_ms, offering, prompt_bucket, source, outcome, blame, ttft_ms, ttfat_ms, e2e_ms, tpot_ms, output_tps, in_tokens, out_tokens, cost_usd FROM samples WHERE ts_ms >= ? AND ts_ms < ?`)
  const rollups = rollupStore(db)
  const count = db.prepare('SELECT count(*) AS n FROM samples').pluck()
  const prune = db.prepare('DELETE FROM samples WHERE ts_ms < ?')
  return {
    insertMany: (samples) => void insertMany(samples),
    statRows: (fromMs, toMs) => statRows.all(fromMs, toMs) as StatRow[],
    recent(q) {
      const where: string[] = []
      const args: unknown[] = []
      if (q.offering) (where.push('offering = ?'), args.push(q.offering))
      if (q.fromMs !== undefined) (where.push('ts_ms >= ?'), args.push(q.fromMs))
      if (q.toMs !== undefined) (where.push('ts_ms < ?'), args.push(q.toMs))
      const sql = `SELECT * FROM samples ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts_ms DESC LIMIT ?`
      const rows = db.prepare(sql).all(...args, Math.min(q.limit ?? 100, 1000)) as (Omit<ProbeSample, 'flags'> & { flags: string })[]
      return rows.map((r) => ({ ...r, flags: r.flags ? (r.flags.split(',') as SampleFlag[]) : [] }))
    },
    rollUp: (slo) => rollups.rollUp(slo),
    compact: (beforeMs) => rollups.compact(beforeMs),
    pruneRollups: (beforeMs) => rollups.pruneHours(beforeMs),
    windowInputs: (fromMs, toMs) => rollups.windowInputs(fromMs, toMs),
    count: () => count.get() as number,
    pruneBefore: (tsMs) => prune.run(tsMs).changes,
    close: () => db.close(),
  }
}
