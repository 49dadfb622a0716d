import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { runCli, DEMO_CONFIG } from '../../src/cli.js'
import { freePort, tempDir } from '../helpers/tmp.js'

const FIVE = new URL('../fixtures/config/five-mistakes.yaml', import.meta.url).pathname
const ROOT = new URL('../../', import.meta.url).pathname

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out = new PassThrough()
  const err = new PassThrough()
  let stdout = ''
  let stderr = ''
  out.on('data', (d: Buffer) => (stdout += d.toString()))
  err.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await runCli(argv, { stdout: out, stderr: err, env, untilStopped: () => new Promise(() => {}) })
  return { code, stdout, stderr }
}

describe('weighbridge CLI', () => {
  it('config check lists every problem with its path and exits non-zero', async () => {
    const r = await cli(['config', 'check', FIVE])
    expect(r.code).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/6 problem\(s\)/)
    for (const path of ['providers[1].protocol', 'providers[2].base_url', 'offerings[0].price.output_per_mtok', 'offerings[1].provider', 'schedules[0].cron', 'schedules[0].retries'])
      expect(lines.some((l) => l.trim().startsWith(`${path}:`)), path).toBe(true)
  })

  it('config check accepts the demo config', async () => {
    const r = await cli(['config', 'check', DEMO_CONFIG])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/OK \(6 providers, 2 models, 10 offerings/)
  })

  it('probe sends one-off requests to one offering and prints each measured sample', async () => {
    const r = await cli(['probe', '--offering', 'swiftinfer/deepseek-v3.2', '--n', '2'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatch(/^summary: n=2 ok=2 \| ttft p50=[\d.]+ms/)
    for (const l of lines.slice(0, 2)) expect(l).toMatch(/swiftinfer\/deepseek-v3\.2 ok ttfb=[\d.]+ms ttft=[\d.]+ms .* output_tps=[\d.]+ .*usage=reported/)
    const json = await cli(['probe', '--offering', 'cloudmax/deepseek-r1', '--json'])
    const sample = JSON.parse(json.stdout) as { outcome: string; reasoning_tokens: number; ttfat_ms: number; ttft_ms: number }
    expect(sample.outcome).toBe('ok')
    expect(sample.ttfat_ms).toBeGreaterThan(sample.ttft_ms)
  })

  it('sim starts the simulated vendors, prints their base URLs, and stops on request', async () => {
    const out = new PassThrough()
    let stdout = ''
    out.on('data', (d: Buffer) => (stdout += d.toString()))
    let stop!: (s: string) => void
    const running = runCli(['sim'], { stdout: out, stderr: new PassThrough(), env: {}, untilStopped: () => new Promise((r) => (stop = r)) })
    const t0 = Date.now()
    while (stdout.trim().split('\n').length < 6 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20))
    const rows = stdout.trim().split('\n').map((l) => l.split('\t'))
    expect(rows.map((r) => r[0])).toEqual(['swiftinfer', 'steadyai', 'budgetgpu', 'cloudmax', 'flakyhost', 'tailspin'])
    const cloudmax = rows.find((r) => r[0] === 'cloudmax')!
    expect(cloudmax[1]).toBe('anthropic-messages')
    const models = (await (await fetch(`${cloudmax[2]}/models`)).json()) as { data: { id: string }[] }
    expect(models.data.map((m) => m.id)).toEqual(['deepseek-chat', 'deepseek-reasoner'])
    stop('SIGINT')
    expect(await running).toBe(0)
  })

  it('usage errors name the problem and exit 2', async () => {
    const r = await cli(['probe', '--offering', 'nobody/nothing'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no offering "nobody\/nothing"; known: swiftinfer\/deepseek-v3\.2/)
    expect((await cli(['serve', '--port', 'eighty'])).stderr).toMatch(/--port must be an integer/)
    expect((await cli(['frobnicate'])).code).toBe(2)
  })

  it('serve refuses an invalid config', async () => {
    const r = await cli(['serve', '--config', FIVE])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/CONFIG_INVALID.*\n.*providers\[1\]\.protocol/)
  })
})

describe('weighbridge serve as a real process', () => {
  it('honours PORT and --db, serves, and on SIGTERM cancels in-flight probes and exits 0', async () => {
    const dir = tempDir()
    const dbPath = join(dir, 'serve.db')
    // A one-vendor config whose answers take ~4 s, probed every second: probes are always in flight.
    const configPath = join(dir, 'slow.yaml')
    writeFileSync(configPath, `
server: { host: 127.0.0.1, port: 1 }
schedules: [{ name: s, cron: "* * * * * *", bucket: short }]
prompt_buckets: { short: { input_tokens: 20, max_tokens: 20 } }
models: [{ id: m }]
providers: [{ id: slow, protocol: openai-chat, base_url: "sim://slow" }]
offerings: [{ provider: slow, model: m, upstream_model: slow-m, price: { input_per_mtok: 1, output_per_mtok: 1 } }]
simulator: { vendors: [{ id: slow, protocol: openai-chat, auth: none, behaviour: { ttft_ms: { p50: 20, p90: 20 }, decode_tps: { p50: 5, cv: 0 }, output_tokens: { p50: 1000 } }, models: { slow-m: {} } }] }
`)
    const port = await freePort()
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin.ts', 'serve', '--config', configPath, '--db', dbPath, '--log-level', 'info'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    const t0 = Date.now()
    while (!stdout.includes('serving on') && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50))
    expect(stdout).toContain(`http://127.0.0.1:${port}`)
    // Wait until at least two probes are in flight.
    let inFlight = 0
    while (inFlight < 2 && Date.now() - t0 < 25_000) {
      inFlight = ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { probes: { in_flight: number } }).probes.in_flight
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(inFlight).toBeGreaterThanOrEqual(2)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(stderr).toMatch(/stopped cleanly/)
    const db = new Database(dbPath, { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const cancelled = db.prepare("SELECT count(*) FROM sample_view WHERE outcome = 'cancelled'").pluck().get() as number
    db.close()
    expect(cancelled).toBeGreaterThanOrEqual(2)
  })

  it('after kill -9, a restarted daemon serves the last published weights within 5 s (marked stale until fresh statistics)', async () => {
    const dir = tempDir()
    const dbPath = join(dir, 'kill.db')
    const configPath = join(dir, 'fast.yaml')
    writeFileSync(configPath, `
server: { host: 127.0.0.1, port: 1 }
stats: { min_n: 2, refresh_s: 0.2 }
weights: { min_n: 2, recompute_s: 0.2, window: 5m }
schedules: [{ name: s, cron: "* * * * * *", bucket: short }]
prompt_buckets: { short: { input_tokens: 20, max_tokens: 8 } }
models: [{ id: m }]
providers:
  - { id: quick, protocol: openai-chat, base_url: "sim://quick" }
  - { id: slower, protocol: openai-chat, base_url: "sim://slower" }
offerings:
  - { provider: quick, model: m, upstream_model: q, price: { input_per_mtok: 1, output_per_mtok: 1 } }
  - { provider: slower, model: m, upstream_model: s, price: { input_per_mtok: 1, output_per_mtok: 1 } }
simulator:
  vendors:
    - { id: quick, protocol: openai-chat, auth: none, behaviour: { ttft_ms: { p50: 20, p90: 25 }, decode_tps: { p50: 400, cv: 0 }, output_tokens: { p50: 8 } }, models: { q: {} } }
    - { id: slower, protocol: openai-chat, auth: none, behaviour: { ttft_ms: { p50: 200, p90: 250 }, decode_tps: { p50: 100, cv: 0 }, output_tokens: { p50: 8 } }, models: { s: {} } }
`)
    const start = async () => {
      const port = await freePort()
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin.ts', 'serve', '--config', configPath, '--db', dbPath, '--log-level', 'info'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
      const out = { text: '' }
      child.stdout.on('data', (d: Buffer) => (out.text += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out.text += d.toString()))
      const exited = new Promise<void>((r) => child.on('exit', () => r()))
      return { child, port, out, exited }
    }
    type Doc = { status: string; models: Record<string, { providers: { offering: string; weight: number; score: number | null }[] }> }
    const weightsOf = async (port: number): Promise<Doc | null> => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/weights`)
        return res.status === 200 ? ((await res.json()) as Doc) : null
      } catch {
        return null
      }
    }
    const a = await start()
    let before: Doc | null = null
    const t0 = Date.now()
    while (Date.now() - t0 < 25_000) {
      const doc = await weightsOf(a.port)
      if (doc?.status === 'ok' && doc.models.m!.providers.every((p) => p.score !== null)) {
        before = doc
        break
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(before, a.out.text).not.toBeNull()
    await new Promise((r) => setTimeout(r, 300)) // let the persisted file catch up with what we read
    before = await weightsOf(a.port)
    a.child.kill('SIGKILL')
    await a.exited

    const b = await start()
    const t1 = Date.now()
    let first: Doc | null = null
    while (!first && Date.now() - t1 < 5_000) {
      first = await weightsOf(b.port)
      if (!first) await new Promise((r) => setTimeout(r, 25))
    }
    const elapsed = Date.now() - t1
    b.child.kill('SIGKILL')
    await b.exited
    expect(first, b.out.text).not.toBeNull()
    expect(elapsed).toBeLessThan(5_000)
    expect(b.out.text).toMatch(/serving the last persisted weights, marked stale/)
    // Served at once: either the restored table (stale, same weights), or already a fresh one if statistics won the race.
    if (first!.status === 'stale') expect(first!.models.m!.providers.map((p) => p.weight)).toEqual(before!.models.m!.providers.map((p) => p.weight))
    else expect(['ok', 'degraded']).toContain(first!.status)
  })

  it('SIGHUP or POST /v1/admin/reload with a broken config keeps the old one serving and reports every error; a valid one is applied', async () => {
    const dir = tempDir()
    const configPath = join(dir, 'reload.yaml')
    const good = (extraModel: string) => `
server: { host: 127.0.0.1, port: 1 }
schedules: []
models: [{ id: m }${extraModel}]
providers: [{ id: quick, protocol: openai-chat, base_url: "sim://quick" }]
offerings: [{ provider: quick, model: m, upstream_model: q, price: { input_per_mtok: 1, output_per_mtok: 1 } }]
simulator: { vendors: [{ id: quick, protocol: openai-chat, auth: none, models: { q: {} } }] }
`
    writeFileSync(configPath, good(''))
    const port = await freePort()
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin.ts', 'serve', '--config', configPath, '--db', join(dir, 'r.db'), '--log-level', 'info'], { cwd: ROOT, env: { ...process.env, PORT: String(port), WEIGHBRIDGE_ADMIN_TOKEN: 'admin-token-for-test' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    const until = async (what: () => Promise<boolean> | boolean) => {
      const t0 = Date.now()
      while (!(await what()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50))
    }
    const health = async () => (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { last_reload: { ok: boolean; errors: string[] } | null }
    const models = async () => ((await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { models: { id: string }[] }).models.map((m) => m.id)
    try {
      await until(() => out.includes('serving on'))
      expect(await models()).toEqual(['m'])
      // Three mistakes at once: all three are reported, nothing is applied.
      writeFileSync(configPath, good('').replace('protocol: openai-chat, base_url', 'protocol: grpc, base_url').replace('output_per_mtok: 1 }', 'output_per_mtok: -1 }').replace('schedules: []', 'schedules: []\nsurprise: true'))
      child.kill('SIGHUP')
      await until(async () => (await health()).last_reload !== null)
      const failed = (await health()).last_reload!
      expect(failed.ok).toBe(false)
      expect(failed.errors.join('\n')).toMatch(/providers\[0\]\.protocol/)
      expect(failed.errors.join('\n')).toMatch(/offerings\[0\]\.price\.output_per_mtok/)
      expect(failed.errors.join('\n')).toMatch(/surprise/)
      expect(await models()).toEqual(['m']) // the old config keeps serving
      // A valid change is applied: a second model appears.
      writeFileSync(configPath, good(', { id: m2 }'))
      child.kill('SIGHUP')
      await until(async () => {
        try {
          return (await health()).last_reload?.ok === true
        } catch {
          return false // the swap closes and reopens the listener
        }
      })
      expect(await models()).toEqual(['m', 'm2'])
      expect(out).toMatch(/config reload rejected; the running config is unchanged/)
      expect(out).toMatch(/config reloaded/)
      // The same over HTTP, with the admin token: 422 listing the problems, then 202 and applied.
      const post = () => fetch(`http://127.0.0.1:${port}/v1/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer admin-token-for-test' } })
      writeFileSync(configPath, good(', { id: m2 }').replace('upstream_model: q,', 'upstream_model: 7,'))
      const bad = await post()
      expect(bad.status).toBe(422)
      expect(((await bad.json()) as { error: { details: string[] } }).error.details.join('\n')).toMatch(/offerings\[0\]\.upstream_model/)
      expect(await models()).toEqual(['m', 'm2'])
      writeFileSync(configPath, good(', { id: m2 }, { id: m3 }'))
      expect((await post()).status).toBe(202)
      await until(async () => {
        try {
          return (await models()).includes('m3')
        } catch {
          return false
        }
      })
      expect(await models()).toEqual(['m', 'm2', 'm3'])
    } finally {
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  })
})

