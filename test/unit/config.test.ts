import { describe, expect, it } from 'vitest'
import { DEMO_CONFIG } from '../../src/cli.js'
import { loadConfigFile, parseConfig } from '../../src/config/load.js'
import { ConfigError } from '../../src/core/errors.js'

const FIVE = new URL('../fixtures/config/five-mistakes.yaml', import.meta.url).pathname

function issues(text: string) {
  try {
    parseConfig(text)
  } catch (err) {
    if (err instanceof ConfigError) return err.issues
    throw err
  }
  return []
}

const MINIMAL = `
providers: [{ id: a, protocol: openai-chat, base_url: "https://a.example/v1" }]
models: [{ id: m }]
offerings: [{ provider: a, model: m, upstream_model: x, price: { input_per_mtok: 1, output_per_mtok: 2 } }]
`

describe('config', () => {
  it('the shipped demo config is valid and has ≥ 6 vendors and ≥ 2 models, one reasoning', () => {
    const c = loadConfigFile(DEMO_CONFIG)
    expect(c.simulator!.vendors.length).toBeGreaterThanOrEqual(6)
    expect(c.models.length).toBeGreaterThanOrEqual(2)
    expect(c.models.some((m) => m.reasoning)).toBe(true)
    for (const m of c.models) expect(c.offerings.filter((o) => o.model === m.id).length).toBeGreaterThanOrEqual(3)
  })

  it('fills defaults from the schema', () => {
    const c = parseConfig(MINIMAL)
    expect(c.server.port).toBe(8787)
    expect(c.providers[0]!.timeouts).toEqual({ connect_ms: 10_000, headers_ms: 30_000, first_token_ms: 60_000, idle_ms: 30_000, total_ms: 300_000 })
    expect(c.storage.path).toBe('data/weighbridge.db')
  })

  it('lists every mistake at once, each with its path and line', () => {
    let err: ConfigError | undefined
    try {
      loadConfigFile(FIVE)
    } catch (e) {
      err = e as ConfigError
    }
    expect(err).toBeInstanceOf(ConfigError)
    const byPath = Object.fromEntries(err!.issues.map((i) => [i.path, i.message]))
    expect(Object.keys(byPath).sort()).toEqual([
      'offerings[0].price.output_per_mtok',
      'offerings[1].provider',
      'providers[1].protocol',
      'providers[2].base_url',
      'schedules[0].cron',
      'schedules[0].retries',
    ])
    expect(byPath['providers[1].protocol']).toMatch(/openai-chat.*line 7/)
    expect(byPath['providers[2].base_url']).toMatch(/ftp:.*line 11/)
    expect(byPath['offerings[1].provider']).toMatch(/unknown provider "delta".*line 19/)
    expect(byPath['schedules[0].cron']).toMatch(/61/)
    expect(byPath['schedules[0].retries']).toMatch(/unknown key.*line 26/)
  })

  it('rejects unknown keys everywhere (strict)', () => {
    expect(issues(MINIMAL + 'server: { prot: 1 }\n').map((i) => i.path)).toEqual(['server.prot'])
    expect(issues(MINIMAL.replace('base_url', 'timeouts: { idle: 5 }, base_url')).map((i) => i.path)).toEqual(['providers[0].timeouts.idle'])
  })

  it('reports YAML syntax errors with their line', () => {
    const found = issues('providers:\n  - id: a\n   bad: [\n')
    expect(found[0]!.message).toMatch(/line \d+/)
  })

  it('checks cross-references: sim:// vendors, duplicate ids, schedule buckets and models', () => {
    const text = `
providers:
  - { id: a, protocol: openai-chat, base_url: "sim://nowhere" }
  - { id: a, protocol: anthropic-messages, base_url: "sim://v" }
models: [{ id: m }]
offerings: [{ provider: a, model: m, upstream_model: x, price: { input_per_mtok: 1, output_per_mtok: 2 } }]
schedules: [{ name: s, cron: "* * * * *", bucket: huge, models: [m, n] }]
simulator: { vendors: [{ id: v, protocol: openai-chat, models: { x: {} } }] }
`
    expect(issues(text).map((i) => i.path).sort()).toEqual(['providers[0].base_url', 'providers[1].id', 'providers[1].protocol', 'schedules[0].bucket', 'schedules[0].models[1]'])
  })

  it('refuses a weights.min_n below stats.min_n (it could never take effect)', () => {
    const found = issues(`${MINIMAL}stats: { min_n: 20 }\nweights: { min_n: 5 }\n`)
    expect(found.map((i) => i.path)).toEqual(['weights.min_n'])
    expect(found[0]!.message).toMatch(/at least stats.min_n \(20\)/)
  })

  it('refuses plain http off loopback (the key would travel unencrypted) unless allow_http is set', () => {
    const http = (url: string, extra = '') => MINIMAL.replace('base_url: "https://a.example/v1"', `base_url: "${url}"${extra}`)
    const found = issues(http('http://vendor.internal:8000/v1'))
    expect(found.map((i) => i.path)).toEqual(['providers[0].base_url'])
    expect(found[0]!.message).toMatch(/plain http to vendor.internal would send the API key unencrypted; use https:\/\/, or set allow_http: true/)
    expect(issues(http('http://vendor.internal:8000/v1', ', allow_http: true'))).toEqual([])
    for (const loopback of ['http://127.0.0.1:9/v1', 'http://localhost:9/v1', 'http://[::1]:9/v1']) expect(issues(http(loopback)), loopback).toEqual([])
  })

  it('validates simulated vendor overrides per model, with their path', () => {
    const text = `${MINIMAL}simulator: { vendors: [{ id: v, protocol: openai-chat, behaviour: { ttft_ms: { p50: 500, p90: 600 } }, models: { x: { ttft_ms: { p90: 100 } } } }] }\n`
    const found = issues(text)
    expect(found.map((i) => i.path)).toEqual(['simulator.vendors[0].models.x.ttft_ms.p90'])
  })
})
