import Database from 'better-sqlite3'
import * as hdr from 'hdr-histogram-js'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/log.js'
import { openDatabase } from '../../src/store/db.js'
import { migrate } from '../../src/store/migrate.js'
import { migrations } from '../../src/store/migrations.js'
import { sqliteSampleStore, type SampleStore } from '../../src/store/sample-store.js'
import { createSampleWriter } from '../../src/store/sample-writer.js'
import { sample, TEST_SLO } from '../helpers/sample.js'
import { tempDir } from '../helpers/tmp.js'

describe('SQLite store', () => {
  it('migrates a new file to the latest version, in WAL mode, and is idempotent', () => {
    const path = join(tempDir(), 'wb.db')
    const db = openDatabase(path, silentLogger)
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
    expect(migrate(db)).toEqual({ from: migrations.at(-1)!.version, to: migrations.at(-1)!.version })
    db.close()
  })

  it('a failing migration leaves the previous version intact', () => {
    const db = new Database(join(tempDir(), 'wb.db'))
    const bad = [...migrations, { version: 99, name: 'broken', sql: 'CREATE TABLE ok_table (x); THIS IS NOT SQL;' }]
    expect(() => migrate(db, bad)).toThrow()
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version)
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'ok_table'").get()).toEqual({ n: 0 })
    db.close()
  })

  it('refuses a database newer than this build', () => {
    const path = join(tempDir(), 'wb.db')
    const raw = new Database(path)
    raw.pragma('user_version = 999')
    raw.close()
    expect(() => openDatabase(path, silentLogger)).toThrow(/newer than this build/)
  })

  it('migrates a version-3 file: samples re-encoded losslessly, hour rollups kept, day rows and the sealed mark built', () => {
    const path = join(tempDir(), 'wb.db')
    const old = new Database(path)
    migrate(old, migrations.filter((m) => m.version <= 3))
    const T = Date.UTC(2026, 10, 20, 10)
    const samples = [
      sample({ ts_ms: T + 1000, t_sched: T + 999.5, start_lag_ms: 0.5, ttft_ms: 212.345, output_tps: 61.234, usage_diff_pct: -1.25, flags: ['usage_missing'] }),
      sample({ id: 'not-a-uuid', ts_ms: T + 2000, outcome: 'http.5xx', blame: 'provider', ttft_ms: null, error_message: 'HTTP 500', http_status: 500 }),
    ]
    const cols = Object.keys(samples[0]!)
    const insert = old.prepare(`INSERT INTO samples (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`)
    for (const x of samples) insert.run({ ...x, flags: x.flags.join(',') })
    const h = hdr.build({ numberOfSignificantValueDigits: 2 })
    h.recordValue(212_345)
    const enc = hdr.encodeIntoCompressedBase64(h)
    const rollupCols = 'tier, start_ms, offering, prompt_bucket, source, n, n_ok, n_provider_err, n_quota, n_good, outcomes, in_tokens, out_tokens, cost_usd, ttft_n, ttft_sum, ttft_sumsq, tps_n, tps_sum, tps_sumsq, h_ttft'
    old.prepare(`INSERT INTO rollups (${rollupCols}) VALUES ('h', ?, 'a/m', 'short', 'probe', 2, 1, 1, 0, 1, '{"http.5xx":1}', 24, 20, 0.00001, 1, 212.345, 45090.4, 1, 61.234, 3749.6, ?)`).run(T, enc)
    old.close()

    const store = sqliteSampleStore(openDatabase(path, silentLogger), TEST_SLO)
    expect(store.recent({ limit: 10 }).reverse()).toEqual(samples)
    expect(store.sealedUntil()).toBe(T + 3_600_000)
    const inputs = store.windowInputs(Date.UTC(2026, 10, 20), Date.UTC(2026, 10, 21))
    expect(inputs.rollups.map((r) => [r.tier, r.start_ms, r.n, r.n_ok])).toEqual([['h', T, 2, 1]])
    expect(inputs.hours).toMatchObject([{ start_ms: T, offering: 'a/m', n_ok: 1, n_provider_err: 1 }])
    expect(Math.abs(inputs.hours[0]!.ttft_p50! - 212.345) / 212.345).toBeLessThan(0.01)
    store.close()
    const check = new Database(path, { readonly: true })
    expect(check.prepare("SELECT n, n_ok FROM rollups WHERE tier = 'd'").all()).toEqual([{ n: 2, n_ok: 1 }])
    check.close()
  })

  it('round-trips every sample field', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger), TEST_SLO)
    const s = sample({ reasoning_tokens: 5, outcome: 'stream.truncated', blame: 'provider', error_message: 'x', censored_ms: 300 })
    store.insertMany([s])
    expect(store.recent({ limit: 10 })).toEqual([s])
    expect(store.count()).toBe(1)
    store.close()
  })

  it('reads windows half-open [from, to) and prunes by age, never before the hour is sealed', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger), TEST_SLO)
    store.insertMany([sample({ ts_ms: 1000 }), sample({ ts_ms: 2000 }), sample({ ts_ms: 3000 })])
    expect(store.statRows(1000, 3000).map((r) => r.ts_ms)).toEqual([1000, 2000])
    expect(store.pruneBefore(2000)).toBe(0) // not sealed into rollups yet: the raw rows are the only copy
    store.seal(3_600_000 + 300_000, 300_000)
    expect(store.pruneBefore(2000)).toBe(1)
    expect(store.count()).toBe(2)
    store.close()
  })

  it('stores rechecks but leaves them out of statistics, raw or sealed', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger), TEST_SLO)
    const T = Date.UTC(2026, 10, 20, 10)
    const recheck = sample({ ts_ms: T + 2000, outcome: 'http.5xx', blame: 'provider', ttft_ms: null, flags: ['recheck'] })
    store.insertMany([sample({ ts_ms: T + 1000 }), recheck])
    expect(store.recent({ limit: 10 }).map((x) => x.flags)).toEqual([['recheck'], []])
    expect(store.statRows(T, T + 3_600_000)).toHaveLength(1)
    store.seal(T + 3_600_000 + 300_000, 300_000)
    store.insertMany([{ ...recheck, id: crypto.randomUUID() }]) // late, into the sealed hour: still left out
    const inputs = store.windowInputs(T, T + 3_600_000)
    expect(inputs.rollups.map((r) => [r.n, r.n_provider_err])).toEqual([[1, 0]])
    store.close()
  })

  it('moves a corrupt database file aside and starts a new one', () => {
    const dir = tempDir()
    const path = join(dir, 'wb.db')
    writeFileSync(path, 'this is not a sqlite database, just some bytes '.repeat(200))
    const warnings: string[] = []
    const log = { ...silentLogger, error: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as typeof silentLogger
    const db = openDatabase(path, log)
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version)
    db.close()
    const aside = readdirSync(dir).filter((f) => f.startsWith('wb.db.corrupt-'))
    expect(aside).toHaveLength(1)
    expect(warnings[0]).toMatch(/corrupt/)
  })
})

describe('sample writer', () => {
  it('batches samples and writes everything on close', () => {
    const path = join(tempDir(), 'wb.db')
    const store = sqliteSampleStore(openDatabase(path, silentLogger), TEST_SLO)
    const writer = createSampleWriter(store, silentLogger, { flushMs: 60_000, maxBatch: 10 })
    for (let i = 0; i < 25; i++) writer.add(sample())
    expect(store.count()).toBe(20) // two full batches flushed at once
    writer.close()
    expect(store.count()).toBe(25)
    expect(writer.stats).toMatchObject({ written: 25, pending: 0, dropped: 0 })
    store.close()
  })

  it('keeps samples buffered when a write fails, and writes them once it works again', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger), TEST_SLO)
    let fail = true
    const flaky: SampleStore = { ...store, insertMany: (rows) => (fail ? (() => { throw new Error('SQLITE_FULL') })() : store.insertMany(rows)) }
    const writer = createSampleWriter(flaky, silentLogger, { flushMs: 60_000 })
    writer.add(sample())
    writer.add(sample())
    writer.flush()
    expect(writer.stats).toMatchObject({ written: 0, pending: 2, failedFlushes: 1 })
    fail = false
    writer.flush()
    expect(store.count()).toBe(2)
    writer.close()
    store.close()
  })
})
