import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/log.js'
import { startDaemon, type Daemon } from '../../src/main.js'
import type { WeightsDocument } from '../../src/routing/publisher.js'
import { threeVendorConfig } from '../helpers/daemon-config.js'
import { tempDir } from '../helpers/tmp.js'

let daemon: Daemon | undefined
afterEach(async () => daemon?.stop())

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init)
  return { status: res.status, body: (await res.json()) as T, headers: res.headers }
}

describe('daemon end to end: schedule → undici → sample → SQLite → statistics → weights → HTTP', () => {
  it('ranks and weights vendors the way the simulator scripted them', async () => {
    const dbPath = join(tempDir(), 'wb.db')
    const config = threeVendorConfig()
    daemon = await startDaemon({ config, log: silentLogger, dbPath, schedules: false })
    for (let i = 0; i < 6; i++) await daemon.scheduler.runRound(config.schedules[0]!)
    daemon.writer.flush()
    await daemon.stats.refresh()
    daemon.weights.recompute()

    const health = await json<{ status: string; writer: { written: number } }>(`${daemon.url}/healthz`)
    expect(health.status).toBe(200)
    expect(health.body.writer.written).toBe(36)

    const w = await json<WeightsDocument>(`${daemon.url}/v1/weights`)
    expect(w.status).toBe(200)
    expect(w.body.status).toBe('ok')
    expect(Object.keys(w.body.models).sort()).toEqual(['chat-model', 'think-model'])
    for (const [model, mw] of Object.entries(w.body.models)) {
      const weights = mw.providers.map((p) => p.weight)
      expect(weights.reduce((a, b) => a + b), model).toBe(1000)
      expect(new Set(weights).size, model).toBeGreaterThan(1)
      const by = Object.fromEntries(mw.providers.map((p) => [p.provider, p]))
      expect(by.quick!.weight).toBeGreaterThan(by.middle!.weight)
      expect(by.middle!.weight).toBeGreaterThan(by.crawl!.weight)
      expect(by.quick!.state).toBe('healthy')
      expect(by.quick!.metrics.n_ok).toBe(6)
    }

    const lb = await json<{ offerings: { provider: string; rank: number; stats: { ttft_p50: number; output_tps_p50: number } }[] }>(`${daemon.url}/v1/leaderboard?model=chat-model&window=5m`)
    expect(lb.body.offerings.map((o) => o.provider)).toEqual(['quick', 'middle', 'crawl'])
    const [quick, middle, crawl] = lb.body.offerings
    expect(quick!.stats.ttft_p50).toBeGreaterThanOrEqual(27)
    expect(quick!.stats.ttft_p50).toBeLessThan(120) // scripted 30 ms; margin for a loaded CI machine
    expect(crawl!.stats.ttft_p50).toBeGreaterThanOrEqual(180)
    expect(crawl!.stats.output_tps_p50).toBeGreaterThan(35)
    expect(crawl!.stats.output_tps_p50).toBeLessThan(60)
    expect(middle!.stats.output_tps_p50).toBeGreaterThan(crawl!.stats.output_tps_p50)
    // An explicit [from, to) covering the same samples ranks the same way, computed on the worker.
    const from = new Date(Date.now() - 3_600_000).toISOString()
    const custom = await json<{ window: string; offerings: { provider: string; stats: { n_ok: number } }[] }>(`${daemon.url}/v1/leaderboard?model=chat-model&from=${from}&to=${Date.now() + 1000}`)
    expect(custom.status).toBe(200)
    expect(custom.body.window).toBe('custom')
    expect(custom.body.offerings.map((o) => o.provider)).toEqual(['quick', 'middle', 'crawl'])
    expect(custom.body.offerings.map((o) => o.stats.n_ok)).toEqual([6, 6, 6])
    const profile = await json<{ hours: { hour: number; n_ok: number; ttft_p50: number | null }[] }>(`${daemon.url}/v1/profile?offering=quick/chat-model&window=24h`)
    expect(profile.body.hours).toHaveLength(24)
    expect(profile.body.hours.reduce((s, h) => s + h.n_ok, 0)).toBe(6) // summed: the run may straddle an hour boundary
    const byTps = await json<{ offerings: { provider: string }[] }>(`${daemon.url}/v1/leaderboard?model=think-model&window=1h&sort=tps`)
    expect(byTps.body.offerings.map((o) => o.provider)).toEqual(['quick', 'middle', 'crawl'])
  })

  it('serves weights with ETag / 304, per model, and rejects bad queries with a clear error', async () => {
    daemon = await startDaemon({ config: threeVendorConfig(), log: silentLogger, dbPath: join(tempDir(), 'wb.db'), schedules: false })
    const first = await fetch(`${daemon.url}/v1/weights?model=chat-model`)
    const etag = first.headers.get('etag')!
    expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/)
    expect(Object.keys(((await first.json()) as WeightsDocument).models)).toEqual(['chat-model'])
    expect((await fetch(`${daemon.url}/v1/weights?model=chat-model`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    // With no data yet the table is equal weights, marked degraded: never empty or zero.
    const w = await json<WeightsDocument>(`${daemon.url}/v1/weights?profile=latency`)
    expect(w.body.status).toBe('degraded')
    expect(w.body.models['chat-model']!.providers.map((p) => p.weight)).toEqual([334, 333, 333])
    for (const [path, status, code] of [
      ['/v1/weights?profile=fastest', 400, 'BAD_PROFILE'],
      ['/v1/weights?model=nope', 404, 'UNKNOWN_MODEL'],
      ['/v1/leaderboard', 400, 'MODEL_REQUIRED'],
      ['/v1/leaderboard?model=chat-model&window=2h', 400, 'BAD_WINDOW'],
      ['/v1/samples?limit=0', 400, 'BAD_LIMIT'],
      ['/v1/profile', 400, 'OFFERING_REQUIRED'],
      ['/v1/leaderboard?model=chat-model&from=yesterday&to=1795450000000', 400, 'BAD_RANGE'],
      ['/v1/leaderboard?model=chat-model&from=1795450000000', 400, 'BAD_RANGE'],
      ['/v1/leaderboard?model=chat-model&from=1795450000000&to=1795440000000', 400, 'BAD_RANGE'],
      ['/v1/leaderboard?model=chat-model&window=5m&from=1&to=2', 400, 'BAD_RANGE'],
      ['/v1/profile?offering=quick/chat-model&window=5m', 400, 'BAD_WINDOW'],
      ['/v2/nothing', 404, 'NOT_FOUND'],
    ] as const) {
      const r = await json<{ error: { code: string; message: string } }>(daemon.url + path)
      expect(r.status, path).toBe(status)
      expect(r.body.error.code, path).toBe(code)
    }
  })

  it('graceful stop cancels in-flight probes, records them as cancelled, and closes the database cleanly', async () => {
    const dbPath = join(tempDir(), 'wb.db')
    // crawl decodes at 2 tokens/s: its 12-token answers take ~6 s, so they are in flight when we stop.
    const config = threeVendorConfig({ crawlTps: 2 })
    daemon = await startDaemon({ config, log: silentLogger, dbPath, schedules: false })
    const round = daemon.scheduler.runRound(config.schedules[0]!)
    const t0 = Date.now()
    while (daemon.scheduler.completed < 4 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20))
    expect(daemon.scheduler.inFlight).toBeGreaterThan(0)
    await daemon.stop()
    await round
    daemon = undefined
    const db = new Database(dbPath, { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const rows = db.prepare('SELECT provider, outcome, blame FROM sample_view').all() as { provider: string; outcome: string; blame: string }[]
    db.close()
    expect(rows).toHaveLength(6)
    const cancelled = rows.filter((r) => r.outcome === 'cancelled')
    expect(cancelled.map((r) => r.provider)).toEqual(['crawl', 'crawl'])
    expect(cancelled.every((r) => r.blame === 'local')).toBe(true)
  })

  it('refuses to start when a provider key variable is missing, naming it', async () => {
    const config = threeVendorConfig()
    config.providers[0]!.api_key_env = 'QUICK_API_KEY'
    await expect(startDaemon({ config, log: silentLogger, dbPath: join(tempDir(), 'wb.db'), env: {}, schedules: false })).rejects.toThrow(/providers\[0\]\.api_key_env: environment variable QUICK_API_KEY is not set/)
  })

  it('a recheck probes one offering soon after a failure, and is stored flagged as such', async () => {
    const dbPath = join(tempDir(), 'wb.db')
    daemon = await startDaemon({ config: threeVendorConfig(), log: silentLogger, dbPath, schedules: false })
    const t = Date.now()
    daemon.scheduler.recheck('middle/chat-model', 'short', 20)
    while (daemon.scheduler.completed < 1 && Date.now() - t < 10_000) await new Promise((r) => setTimeout(r, 20))
    daemon.writer.flush()
    const [s] = daemon.store.recent({ limit: 5 })
    expect(s).toMatchObject({ offering: 'middle/chat-model', prompt_bucket: 'short', outcome: 'ok', flags: ['recheck'] })
  })
})

