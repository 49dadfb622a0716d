import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/log.js'
import { startDaemon } from '../../src/main.js'
import { tempDir } from '../helpers/tmp.js'

/**
 * The canary-key test: the daemon runs with fake keys against a simulated
 * vendor and a hostile one that echoes the key back in every way it can (an
 * error body, an in-band SSE error, a plain-text 500). Afterwards the keys
 * must appear nowhere: not in the log (debug level), the database, its WAL,
 * the persisted weights, the audit log, or any API response.
 */
const KEY_A = 'sk-canary-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1111'
const KEY_B = 'sk-canary-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2222'
const ADMIN = 'canary-admin-token-cccccccccccccccccccc'

describe('canary keys', () => {
  it('appear nowhere: logs, database, WAL, state files, exports, responses', { timeout: 60_000 }, async () => {
    let n = 0
    const echoer = createServer((req, res) => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
      req.resume()
      switch (n++ % 3) {
        case 0:
          return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}. You can find your API key at https://example.invalid.`, type: 'invalid_request_error', code: 'invalid_api_key' } }))
        case 1:
          res.writeHead(200, { 'content-type': 'text/event-stream' })
          res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] })}\n\n`)
          return void res.end(`data: ${JSON.stringify({ error: { message: `quota exceeded for key ${key}`, type: 'insufficient_quota' } })}\n\n`)
        default:
          return void res.writeHead(500, { 'content-type': 'text/plain' }).end(`upstream rejected Authorization: Bearer ${key}`)
      }
    })
    await new Promise<void>((r) => echoer.listen(0, '127.0.0.1', r))
    const echoUrl = `http://127.0.0.1:${(echoer.address() as AddressInfo).port}/v1`
    const dir = tempDir()
    const config = parseConfig(`
server: { host: 127.0.0.1, port: 0 }
stats: { min_n: 2, refresh_s: 60 }
weights: { min_n: 2, window: 5m }
prompt_buckets: { short: { input_tokens: 20, max_tokens: 8 } }
schedules: [{ name: s, cron: "0 0 1 1 *", bucket: short }]
models: [{ id: m }]
providers:
  - { id: sim, protocol: openai-chat, base_url: "sim://sim", api_key_env: CANARY_A }
  - { id: echo, protocol: openai-chat, base_url: "${echoUrl}", api_key_env: CANARY_B }
offerings:
  - { provider: sim, model: m, upstream_model: s, price: { input_per_mtok: 1, output_per_mtok: 1 } }
  - { provider: echo, model: m, upstream_model: e, price: { input_per_mtok: 1, output_per_mtok: 1 } }
simulator: { vendors: [{ id: sim, protocol: openai-chat, auth: any, behaviour: { ttft_ms: { p50: 10, p90: 12 }, decode_tps: { p50: 500, cv: 0 }, output_tokens: { p50: 8 } }, models: { s: {} } }] }
`)
    let logText = ''
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => ((logText += chunk.toString()), cb()) })
    const dbPath = join(dir, 'wb.db')
    const daemon = await startDaemon({ config, log: createLogger('debug', sink), dbPath, schedules: false, env: { CANARY_A: KEY_A, CANARY_B: KEY_B, WEIGHBRIDGE_ADMIN_TOKEN: ADMIN } })
    const bodies: string[] = []
    try {
      for (let i = 0; i < 6; i++) await daemon.scheduler.runRound(config.schedules[0]!)
      daemon.writer.flush()
      await daemon.stats.refresh()
      daemon.weights.recompute()
      const get = async (path: string, init?: RequestInit) => bodies.push(`${path}\n${await (await fetch(`${daemon.url}${path}`, init)).text()}`)
      for (const f of ['json', 'litellm', 'portkey', 'envoy', 'nginx']) await get(`/v1/weights?format=${f}`)
      for (const path of ['/v1/weights/history', '/v1/leaderboard?model=m', '/v1/samples?limit=1000', '/v1/samples?offering=echo/m', '/v1/models', '/v1/profile?offering=echo/m', '/healthz', '/metrics', '/nope'])
        await get(path)
      await get('/v1/admin/reload', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })
      // The hostile vendor really did answer with the key, in all three ways, and it was measured.
      const samples = JSON.parse(bodies.find((b) => b.startsWith('/v1/samples?offering=echo/m'))!.split('\n').slice(1).join('\n')) as { samples: { outcome: string; error_message: string | null }[] }
      expect(new Set(samples.samples.map((s) => s.outcome))).toEqual(new Set(['auth.key', 'stream.error_event', 'http.5xx']))
      expect(samples.samples.some((s) => s.error_message?.includes('[redacted]'))).toBe(true)
    } finally {
      await daemon.stop()
      echoer.close()
    }
    const files = readdirSync(dir).map((f) => join(dir, f))
    expect(files.some((f) => f.endsWith('wb.db'))).toBe(true)
    const haystacks: [string, string][] = [
      ['log', logText],
      ...bodies.map((b): [string, string] => [`response ${b.split('\n')[0]}`, b]),
      ...files.filter((f) => existsSync(f)).map((f): [string, string] => [f, readFileSync(f).toString('latin1')]),
    ]
    expect(logText.length).toBeGreaterThan(1000) // the log really was written, at debug level
    // The search can find things: the hostile vendor's messages are there, only their keys are not.
    const db = haystacks.find(([w]) => w.endsWith('wb.db'))![1] + (haystacks.find(([w]) => w.endsWith('wb.db-wal'))?.[1] ?? '')
    expect(db).toContain('Incorrect API key provided: [redacted]')
    expect(logText).toContain('echo/m')
    for (const [where, text] of haystacks)
      for (const secret of [KEY_A, KEY_B, ADMIN, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1111', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2222']) expect(text.includes(secret), `${secret} found in ${where}`).toBe(false)
  })
})
