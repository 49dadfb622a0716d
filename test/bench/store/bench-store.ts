/**
 * `npm run bench:store`: the store at procurement scale, next to baselines in the same run.
 *
 *   1. ingest: our store (batched transactions + the roll-up pass that keeps
 *      statistics current) vs a bare better-sqlite3 batched insert of the same rows;
 *   2. a 7-day leaderboard (P50/P90 TTFT, P50/P5 decode speed, availability, CV)
 *      for 40 offerings over BENCH_SAMPLES samples (default 10 million), from
 *      rollups vs a raw scan of the same window;
 *   3. bytes on disk per million samples (indexes and rollups included), and RSS.
 */
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seededRng, lognormalFromQuantiles } from '../../../src/core/random.js'
import type { ProbeSample } from '../../../src/core/types.js'
import { silentLogger } from '../../../src/log.js'
import type { RollupRow, StatRow } from '../../../src/stats/aggregate.js'
import { summarizeWindow } from '../../../src/stats/window-stats.js'
import { openDatabase } from '../../../src/store/db.js'
import { HOUR_MS } from '../../../src/store/rollups.js'
import { sqliteSampleStore } from '../../../src/store/sample-store.js'

const N = Number(process.env.BENCH_SAMPLES ?? 10_000_000)
const INGEST_N = Number(process.env.BENCH_INGEST ?? 200_000)
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
    id: `${ts.toString(36)}-${i.toString(36)}`, ts_ms: ts, offering, provider: offering.split('/')[0]!, model: offering.split('/')[1]!, region: 'eu', source: 'probe', prompt_bucket: i % 3 ? 'short' : 'medium',
    t_sched: ts, start_lag_ms: r3(rng.next()), connect_ms: null, ttfb_ms: failed ? null : r3(ttft * 0.2), ttft_ms: failed ? null : r3(ttft), ttfat_ms: failed ? null : r3(ttft),
    e2e_ms: failed ? null : r3(ttft + 127_000 / tps), decode_ms: failed ? null : r3(127_000 / tps), tpot_ms: failed ? null : r3(1000 / tps), output_tps: failed ? null : r3(tps), e2e_tps: failed ? null : r3(tps * 0.8),
    gap_p50_ms: failed ? null : r3(1000 / tps), gap_p99_ms: failed ? null : r3(3000 / tps), gap_max_ms: failed ? null : r3(5000 / tps),
    in_tokens: 120, out_tokens: failed ? null : 128, reasoning_tokens: null, ref_out_tokens: failed ? null : 127, usage_diff_pct: failed ? null : 0.79, usage_source: failed ? null : 'reported',
    cost_usd: failed ? null : 0.000171, outcome: failed ? 'http.5xx' : 'ok', blame: failed ? 'provider' : null, http_status: failed ? 500 : 200,
    error_message: failed ? 'HTTP 500 server_error: The server had an error while processing your request.' : null, censored_ms: null, retry_after_ms: null, flags: [],
  }
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const dbBytes = (path: string) => ['', '-wal', '-shm'].reduce((s, suf) => s + (() => { try { return statSync(path + suf).size } catch { return 0 } })(), 0)

function ingestBench(dir: string) {
  const rows = Array.from({ length: INGEST_N }, (_, i) => makeSample(START + i * 1000))
  // Baseline: the same rows, the same table, one prepared INSERT, transactions of 500: no rollups.
  const bare = new Database(join(dir, 'bare.db'))
  bare.pragma('journal_mode = WAL')
  bare.pragma('synchronous = NORMAL')
  const ours = sqliteSampleStore(openDatabase(join(dir, 'ours.db'), silentLogger))
  const schema = (openDatabase(join(dir, 'schema.db'), silentLogger).prepare("SELECT sql FROM sqlite_master WHERE name = 'samples'").pluck().get() as string)
  bare.exec(schema)
  const cols = Object.keys(rows[0]!)
  const insert = bare.prepare(`INSERT INTO samples (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`)
  const insertMany = bare.transaction((batch: ProbeSample[]) => { for (const s of batch) insert.run({ ...s, flags: '' }) })
  let t = performance.now()
  for (let i = 0; i < rows.length; i += 500) insertMany(rows.slice(i, i + 500))
  const bareRate = rows.length / ((performance.now() - t) / 1000)
  t = performance.now()
  for (let i = 0; i < rows.length; i += 500) {
    ours.insertMany(rows.slice(i, i + 500))
    if ((i / 500) % 10 === 9) ours.rollUp(SLO) // the daemon rolls up every few seconds: here every 5,000 rows
  }
  while (ours.rollUp(SLO) > 0);
  const ourRate = rows.length / ((performance.now() - t) / 1000)
  bare.close()
  ours.close()
  return { bareRate, ourRate }
}

function leaderboardFromRollups(store: ReturnType<typeof sqliteSampleStore>) {
  const inputs = store.windowInputs(START, END)
  const byOffering = new Map<string, { rollups: RollupRow[]; raw: StatRow[] }>(OFFERINGS.map((o) => [o, { rollups: [], raw: [] }]))
  for (const r of inputs.rollups) byOffering.get(r.offering)!.rollups.push(r)
  for (const r of inputs.raw) byOffering.get(r.offering)!.raw.push(r)
  return [...byOffering].map(([o, g]) => {
    const s = summarizeWindow(g.rollups, g.raw, { minN: 20, slo: SLO, fromMs: START, toMs: END })
    return { o, ttft_p50: s.ttft_p50, ttft_p90: s.ttft_p90, tps_p50: s.output_tps_p50, tps_p5: s.output_tps_p5, availability: s.availability, cv: s.cv_tps }
  })
}

function leaderboardFromRaw(db: Database.Database) {
  const rows = db.prepare('SELECT offering, outcome, blame, ttft_ms, output_tps FROM samples WHERE ts_ms >= ? AND ts_ms < ?').all(START, END) as { offering: string; outcome: string; blame: string | null; ttft_ms: number | null; output_tps: number | null }[]
  const by = new Map<string, { ttft: number[]; tps: number[]; ok: number; prov: number }>()
  for (const r of rows) {
    let g = by.get(r.offering)
    if (!g) by.set(r.offering, (g = { ttft: [], tps: [], ok: 0, prov: 0 }))
    if (r.outcome === 'ok') (g.ok++, g.ttft.push(r.ttft_ms!), g.tps.push(r.output_tps!))
    if (r.blame === 'provider') g.prov++
  }
  const q = (xs: number[], p: number) => xs[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!
  return [...by].map(([o, g]) => {
    g.ttft.sort((a, b) => a - b)
    g.tps.sort((a, b) => a - b)
    const mean = g.tps.reduce((a, b) => a + b, 0) / g.tps.length
    const sd = Math.sqrt(g.tps.reduce((a, b) => a + (b - mean) ** 2, 0) / (g.tps.length - 1))
    return { o, ttft_p50: q(g.ttft, 50), ttft_p90: q(g.ttft, 90), tps_p50: q(g.tps, 50), tps_p5: q(g.tps, 5), availability: g.ok / (g.ok + g.prov), cv: sd / mean }
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
    const store = sqliteSampleStore(openDatabase(path, silentLogger))
    const t0 = performance.now()
    const step = WEEK / N
    const BATCH = 5_000
    for (let i = 0; i < N; i += BATCH) {
      store.insertMany(Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => makeSample(START + (i + k) * step)))
      store.rollUp(SLO)
      if (i % 1_000_000 === 0) process.stderr.write(`${fmt(i)} samples\n`)
    }
    while (store.rollUp(SLO) > 0);
    // Minutes older than 3 h (the default storage.minute_rollup_hours) become hours, as the hourly housekeeping does.
    while (store.compact(END - 3 * HOUR_MS) > 0);
    const loadS = (performance.now() - t0) / 1000
    const db = new Database(path)
    db.pragma('wal_checkpoint(TRUNCATE)')
    const bytes = dbBytes(path)
    const rollupRows = db.prepare('SELECT tier, count(*) AS n FROM rollups GROUP BY tier').all() as { tier: string; n: number }[]
    // Leaderboards: warm once, then the median of 5 runs each.
    const time = (fn: () => unknown) => {
      fn()
      const ts: number[] = []
      for (let k = 0; k < 5; k++) {
        const t = performance.now()
        fn()
        ts.push(performance.now() - t)
      }
      return ts.sort((a, b) => a - b)[2]!
    }
    const fromRollups = time(() => leaderboardFromRollups(store))
    const fromRaw = time(() => leaderboardFromRaw(db))
    const a = leaderboardFromRollups(store)
    const b = new Map(leaderboardFromRaw(db).map((x) => [x.o, x]))
    const maxRelErr = Math.max(...a.flatMap((x) => (['ttft_p50', 'ttft_p90', 'tps_p50', 'tps_p5'] as const).map((k) => Math.abs(x[k]! - b.get(x.o)![k]) / b.get(x.o)![k])))
    const rss = process.memoryUsage().rss
    db.close()
    store.close()
    const perM = bytes / (N / 1e6)
    const goals = [
      ['ingest ≥ 0.5× bare insert', ingest.ourRate / ingest.bareRate >= 0.5],
      ['7-day leaderboard < 100 ms', fromRollups < 100],
      ['≥ 50× faster than the raw scan', fromRaw / fromRollups >= 50],
      ['< 150 MB on disk per million samples', perM < 150e6],
    ] as const
    out.push(`bench:store — ${fmt(N)} samples over 7 days × ${OFFERINGS.length} offerings (loaded and rolled up in ${fmt(loadS)} s); ingest measured on ${fmt(INGEST_N)} rows`)
    out.push('')
    out.push('| measure | ours | baseline | ratio |')
    out.push('|---|---|---|---|')
    out.push(`| ingest, rows/s (batches of 500) | ${fmt(ingest.ourRate)} (store + roll-up) | ${fmt(ingest.bareRate)} (bare better-sqlite3) | ${fmt(ingest.ourRate / ingest.bareRate, 2)}× |`)
    out.push(`| 7-day leaderboard, 40 offerings, ms (median of 5) | ${fmt(fromRollups, 1)} (rollups) | ${fmt(fromRaw, 1)} (raw scan) | ${fmt(fromRaw / fromRollups, 1)}× faster |`)
    out.push(`| largest percentile difference, rollups vs exact | ${fmt(maxRelErr * 100, 2)}% | | |`)
    out.push(`| bytes on disk per million samples | ${fmt(perM / 1e6, 1)} MB | | |`)
    out.push(`| rollup rows | ${rollupRows.map((r) => `${r.tier === 'h' ? 'hour' : 'minute'} ${fmt(r.n)}`).join(', ')} | | |`)
    out.push(`| RSS at the end | ${fmt(rss / 1e6)} MB | | |`)
    out.push('')
    for (const [name, met] of goals) out.push(`- ${name}: ${met ? 'met' : 'NOT met'}`)
    process.stdout.write(`${out.join('\n')}\n`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
