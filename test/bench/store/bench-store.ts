/**
 * `npm run bench:store`: the store at procurement scale, next to baselines in the same run.
 *
 *   1. ingest: our store (encoding, batched transactions, and sealing hours into
 *      rollups as the daemon does) vs a bare better-sqlite3 batched insert of the
 *      same rows, already encoded, into the same table;
 *   2. a 7-day leaderboard (P50/P90 TTFT, P50/P5 decode speed, availability, CV)
 *      for 40 offerings over BENCH_SAMPLES samples (default 10 million), from
 *      rollups vs a raw scan of the same window;
 *   3. bytes on disk per million samples (indexes and rollups included), and RSS.
 *
 * The leaderboard runs the daemon's own code path (computeRange over
 * windowInputs, every metric of every offering), not a special query.
 */
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seededRng, lognormalFromQuantiles } from '../../../src/core/random.js'
import type { ProbeSample } from '../../../src/core/types.js'
import { silentLogger } from '../../../src/log.js'
import { computeRange, computeWindow } from '../../../src/stats/compute-window.js'
import { openDatabase } from '../../../src/store/db.js'
import { HOUR_MS } from '../../../src/store/rollups.js'
import { encodeSample, SAMPLE_COLUMNS } from '../../../src/store/sample-codec.js'
import { sqliteSampleStore } from '../../../src/store/sample-store.js'
import { randomUUID } from 'node:crypto'

const N = Number(process.env.BENCH_SAMPLES ?? 10_000_000)
const INGEST_N = Number(process.env.BENCH_INGEST ?? 100_000)
const OFFERINGS = Array.from({ length: 40 }, (_, i) => `vendor${String(i).padStart(2, '0')}/model-${i % 4}`)
const SLO = { ttft_ms: 2000, tpot_ms: 100, e2e_ms: 30_000, availability: 0.99 }
const WEEK = 7 * 24 * HOUR_MS
const END = Date.UTC(2026, 10, 23)
const START = END - WEEK

const rng = seededRng(42)
let seq = 0
function makeSample(ts: number): ProbeSample {
  const i = seq++
  const offering = OFFERINGS[i % OFFERINGS.length]!
  const failed = rng.next() < 0.02
  const ttft = lognormalFromQuantiles(rng, 300 + (i % 40) * 20, 500 + (i % 40) * 30)
  const tps = 30 + (i % 40) * 3 + rng.next() * 10
  const r3 = (x: number) => Math.round(x * 1000) / 1000
  return {
    id: randomUUID(), ts_ms: Math.round(ts), offering, provider: offering.split('/')[0]!, model: offering.split('/')[1]!, region: 'eu', source: 'probe', prompt_bucket: i % 3 ? 'short' : 'medium',
    t_sched: Math.round(ts), start_lag_ms: r3(rng.next()), connect_ms: null, ttfb_ms: failed ? null : r3(ttft * 0.2), ttft_ms: failed ? null : r3(ttft), ttfat_ms: failed ? null : r3(ttft),
    e2e_ms: failed ? null : r3(ttft + 127_000 / tps), decode_ms: failed ? null : r3(127_000 / tps), tpot_ms: failed ? null : r3(1000 / tps), output_tps: failed ? null : r3(tps), e2e_tps: failed ? null : r3(tps * 0.8),
    gap_p50_ms: failed ? null : r3(1000 / tps), gap_p99_ms: failed ? null : r3(3000 / tps), gap_max_ms: failed ? null : r3(5000 / tps),
    in_tokens: 120, out_tokens: failed ? null : 128, reasoning_tokens: null, ref_out_tokens: failed ? null : 127, usage_diff_pct: failed ? null : 0.79, usage_source: failed ? null : 'reported',
    cost_usd: failed ? null : 0.000171, outcome: failed ? 'http.5xx' : 'ok', blame: failed ? 'provider' : null, http_status: failed ? 500 : 200,
    error_message: failed ? 'HTTP 500 server_error: The server had an error while processing your request.' : null, censored_ms: null, retry_after_ms: null, flags: [],
  }
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const dbBytes = (path: string) => ['', '-wal', '-shm'].reduce((s, suf) => s + (() => { try { return statSync(path + suf).size } catch { return 0 } })(), 0)

const GRACE_MS = 300_000
const PARAMS = { offerings: OFFERINGS, minN: 20, slo: SLO }

/** Ingest runs at the sample density of the 10M-sample week (one every 60 ms: 16.5/s over 40 offerings). */
const INGEST_STEP_MS = WEEK / 10_000_000

function ingestBench(dir: string) {
  const rows = Array.from({ length: INGEST_N }, (_, i) => makeSample(START + i * INGEST_STEP_MS))
  const series = new Map(OFFERINGS.flatMap((o, k) => ['short', 'medium'].map((b, j) => [`${o}\u0000${b}`, k * 2 + j + 1] as const)))
  const seriesOf = (s: ProbeSample) => series.get(`${s.offering}\u0000${s.prompt_bucket}`)!
  const encoded = rows.map((r) => encodeSample(r, seriesOf(r)))
  let file = 0
  const fresh = () => {
    const db = openDatabase(join(dir, `ingest-${file++}.db`), silentLogger)
    for (const [key, id] of series) db.prepare('INSERT INTO series VALUES (?, ?, ?, ?, ?, ?, ?)').run(id, key.split('\u0000')[0], 'p', 'm', 'eu', 'probe', key.split('\u0000')[1])
    return db
  }
  const rate = (run: () => void) => {
    const t = performance.now()
    run()
    return rows.length / ((performance.now() - t) / 1000)
  }
  /**
   * Baseline: the same rows into the same table and index (our schema), one prepared INSERT,
   * transactions of 500, each sample bound as the schema's columns (the same codec) as it goes,
   * and no statistics kept. `encodedFirst` times SQLite alone, rows encoded beforehand.
   */
  const bareRun = (encodedFirst: boolean) => {
    const db = fresh()
    const insert = db.prepare(`INSERT INTO samples (${SAMPLE_COLUMNS.join(', ')}) VALUES (${SAMPLE_COLUMNS.map(() => '?').join(', ')})`)
    const row = new Array<unknown>(SAMPLE_COLUMNS.length)
    const insertMany = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(encodedFirst ? encoded[i]! : encodeSample(rows[i]!, seriesOf(rows[i]!), row))
    })
    const r = rate(() => {
      for (let i = 0; i < rows.length; i += 500) insertMany(i, Math.min(i + 500, rows.length))
    })
    db.close()
    return r
  }
  // Ours: the store's insert (encoding included), sealing finished hours after every batch as the daemon's timer would.
  const oursRun = () => {
    const store = sqliteSampleStore(fresh(), SLO)
    const r = rate(() => {
      for (let i = 0; i < rows.length; i += 500) {
        const batch = rows.slice(i, i + 500)
        store.insertMany(batch)
        store.seal(batch[batch.length - 1]!.ts_ms, GRACE_MS)
      }
    })
    store.close()
    return r
  }
  // Interleaved rounds, medians: this machine is shared, and one slow moment must not decide a ratio.
  const runs = { bare: [] as number[], ours: [] as number[], sqlite: [] as number[] }
  for (let round = 0; round < 5; round++) {
    runs.bare.push(bareRun(false))
    runs.ours.push(oursRun())
    runs.sqlite.push(bareRun(true))
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  return { bareRate: median(runs.bare), ourRate: median(runs.ours), sqliteRate: median(runs.sqlite) }
}

function leaderboard(store: ReturnType<typeof sqliteSampleStore>, range: { from: number; to: number }) {
  const r = computeRange(store.windowInputs, PARAMS, { window: 'custom', ...range }, range.to)
  return r.byOffering.map(([o, s]) => ({ o, ttft_p50: s.ttft_p50, ttft_p90: s.ttft_p90, tps_p50: s.output_tps_p50, tps_p5: s.output_tps_p5, availability: s.availability, cv: s.cv_tps }))
}

/**
 * The baseline: the same leaderboard from a raw scan, streamed row by row into
 * per-offering arrays of numbers (no row objects kept), sorted for exact percentiles.
 */
function leaderboardFromRaw(db: Database.Database) {
  const stmt = db.prepare('SELECT x.offering, s.outcome, s.blame, s.ttft_us, s.output_mtps FROM samples s JOIN series x ON x.id = s.series WHERE s.ts_ms >= ? AND s.ts_ms < ?').raw()
  const by = new Map<string, { ttft: number[]; tps: number[]; ok: number; prov: number }>()
  for (const [offering, outcome, blame, ttft, tps] of stmt.iterate(START, END) as Iterable<[string, string, string | null, number | null, number | null]>) {
    let g = by.get(offering)
    if (!g) by.set(offering, (g = { ttft: [], tps: [], ok: 0, prov: 0 }))
    if (outcome === 'ok') (g.ok++, g.ttft.push(ttft! / 1000), g.tps.push(tps! / 1000))
    if (blame === 'provider') g.prov++
  }
  const q = (xs: Float64Array, p: number) => xs[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!
  return [...by].map(([o, g]) => {
    const ttft = Float64Array.from(g.ttft).sort()
    const tps = Float64Array.from(g.tps).sort()
    let sum = 0
    for (const x of tps) sum += x
    const mean = sum / tps.length
    let ss = 0
    for (const x of tps) ss += (x - mean) ** 2
    return { o, ttft_p50: q(ttft, 50), ttft_p90: q(ttft, 90), tps_p50: q(tps, 50), tps_p5: q(tps, 5), availability: g.ok / (g.ok + g.prov), cv: Math.sqrt(ss / (tps.length - 1)) / mean }
  })
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'weighbridge-bench-store-'))
  const out: string[] = []
  try {
    const ingest = ingestBench(dir)
    process.stderr.write('ingest done\n')
    // The week: N samples spread evenly over 7 days and 40 offerings, rolled up as the daemon would.
    const path = join(dir, 'week.db')
    const store = sqliteSampleStore(openDatabase(path, silentLogger), SLO)
    const t0 = performance.now()
    const step = WEEK / N
    const BATCH = 5_000
    for (let i = 0; i < N; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => makeSample(START + (i + k) * step))
      store.insertMany(batch)
      store.seal(batch[batch.length - 1]!.ts_ms, GRACE_MS)
      if (i % 1_000_000 === 0) process.stderr.write(`${fmt(i)} samples\n`)
    }
    // The week is over and the grace period has passed: every hour of it is sealed.
    store.seal(END + GRACE_MS, GRACE_MS)
    const loadS = (performance.now() - t0) / 1000
    const db = new Database(path)
    db.pragma('wal_checkpoint(TRUNCATE)')
    const bytes = dbBytes(path)
    const rollupRows = db.prepare('SELECT tier, count(*) AS n FROM rollups GROUP BY tier').all() as { tier: string; n: number }[]
    const rollupBytes = db.prepare("SELECT sum(pgsize) FROM dbstat WHERE name IN ('rollups', 'rollups_key', 'hour_figures')").pluck().get() as number | null
    // Leaderboards: warm once, then the median of 5 runs each.
    const time = (fn: () => unknown, runs: number) => {
      fn()
      const ts: number[] = []
      for (let k = 0; k < runs; k++) {
        const t = performance.now()
        fn()
        ts.push(performance.now() - t)
      }
      return ts.sort((a, b) => a - b)[Math.floor(runs / 2)]!
    }
    const fromRollups = time(() => leaderboard(store, { from: START, to: END }), 5)
    // The daemon's memory: this process holds what the daemon's writer and statistics worker hold
    // (the store, open hours, histograms); measured before the raw scan, which only the baseline needs.
    globalThis.gc?.()
    const rss = process.memoryUsage().rss
    const fromRaw = time(() => leaderboardFromRaw(db), 2)
    const a = leaderboard(store, { from: START, to: END })
    const b = new Map(leaderboardFromRaw(db).map((x) => [x.o, x]))
    const maxRelErr = Math.max(...a.flatMap((x) => (['ttft_p50', 'ttft_p90', 'tps_p50', 'tps_p5'] as const).map((k) => Math.abs(x[k]! - b.get(x.o)![k]) / b.get(x.o)![k])))
    // The daemon's named 7d window at a moment that is not on the hour: 37 more minutes of probing, not sealed yet.
    const NOW = END + 37 * 60_000
    const tail = Array.from({ length: Math.round((NOW - END) / step) }, (_, k) => makeSample(END + k * step))
    for (let i = 0; i < tail.length; i += BATCH) store.insertMany(tail.slice(i, i + BATCH))
    const named = time(() => computeWindow(store.windowInputs, PARAMS, '7d', NOW), 5)
    db.close()
    store.close()
    const perM = bytes / (N / 1e6)
    const goals = [
      ['ingest ≥ 0.5× bare insert', ingest.ourRate / ingest.bareRate >= 0.5],
      ['7-day leaderboard < 100 ms', fromRollups < 100],
      ['≥ 50× faster than the raw scan', fromRaw / fromRollups >= 50],
      ['< 150 MB on disk per million samples', perM < 150e6],
    ] as const
    out.push(`bench:store — ${fmt(N)} samples over 7 days × ${OFFERINGS.length} offerings (loaded and rolled up in ${fmt(loadS)} s); ingest: median of 5 interleaved rounds of ${fmt(INGEST_N)} rows each`)
    out.push('')
    out.push('| measure | ours | baseline | ratio |')
    out.push('|---|---|---|---|')
    out.push(`| ingest, rows/s (batches of 500) | ${fmt(ingest.ourRate)} (store: encode, insert, seal hours) | ${fmt(ingest.bareRate)} (bare better-sqlite3 insert of the same rows) | ${fmt(ingest.ourRate / ingest.bareRate, 2)}× |`)
    out.push(`| (for reference) bare insert of rows encoded beforehand: SQLite alone, rows/s | | ${fmt(ingest.sqliteRate)} | ${fmt(ingest.ourRate / ingest.sqliteRate, 2)}× |`)
    out.push(`| 7-day leaderboard, 40 offerings, ms (median of 5; raw: of 2) | ${fmt(fromRollups, 1)} (rollups, every metric) | ${fmt(fromRaw, 1)} (raw scan, these six) | ${fmt(fromRaw / fromRollups, 1)}× faster |`)
    out.push(`| the daemon's \`7d\` window at now = a round hour + 37 min (${fmt(tail.length)} unsealed raw rows), ms | ${fmt(named, 1)} | | |`)
    out.push(`| largest percentile difference, rollups vs exact | ${fmt(maxRelErr * 100, 2)}% | | |`)
    out.push(`| bytes on disk per million samples | ${fmt(perM / 1e6, 1)} MB | | |`)
    out.push(`| rollup rows (and their bytes, included above) | ${rollupRows.map((r) => `${r.tier === 'h' ? 'hour' : 'day'} ${fmt(r.n)}`).join(', ')}; ${fmt((rollupBytes ?? 0) / 1e6, 1)} MB | | |`)
    out.push(`| RSS after loading and the leaderboard (before the raw scan), after GC | ${fmt(rss / 1e6)} MB | | |`)
    out.push('')
    for (const [name, met] of goals) out.push(`- ${name}: ${met ? 'met' : 'NOT met'}`)
    process.stdout.write(`${out.join('\n')}\n`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
