import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { runProbe } from '../../src/probe/run-probe.js'
import { adapterFor } from '../../src/providers/registry.js'
import type { SimVendorHandle } from '../../src/sim/server.js'
import { startVendor, type DeepPartialBehaviour } from '../helpers/sim.js'
import { stubServer } from '../helpers/stub.js'
import { makePrompt, makeTarget, probeDeps } from '../helpers/target.js'

let vendor: SimVendorHandle | undefined
afterEach(async () => vendor?.close())

const opts = () => ({ source: 'probe' as const, tSched: Date.now() })

async function probeSim(behaviour: DeepPartialBehaviour, over: { protocol?: 'openai-chat' | 'anthropic-messages'; auth?: 'none' | 'any'; apiKey?: string | undefined; model?: string; maxTokens?: number; timeouts?: object } = {}) {
  vendor = await startVendor({ protocol: over.protocol ?? 'openai-chat', behaviour, auth: over.auth ?? 'none' })
  const base = makeTarget(vendor.baseUrl)
  const target = makeTarget(vendor.baseUrl, {
    adapter: adapterFor(over.protocol ?? 'openai-chat'),
    ...(over.model ? { upstreamModel: over.model } : {}),
    ...('apiKey' in over ? { apiKey: over.apiKey } : {}),
    timeouts: { ...base.timeouts, ...over.timeouts },
  })
  return runProbe(target, makePrompt(over.maxTokens ?? 20), opts(), probeDeps())
}

describe('measuring a stream against scripted truth', () => {
  for (const protocol of ['openai-chat', 'anthropic-messages'] as const)
    it(`${protocol}: TTFT, decode speed and tokens match the script`, async () => {
      // Scripted: first token at 200 ms, then 100 tokens/s (10 ms per token), 20 tokens.
      const s = await probeSim({ ttft_ms: { p50: 200, p90: 200 }, decode_tps: { p50: 100, cv: 0 } }, { protocol })
      expect(s.outcome).toBe('ok')
      expect(s.blame).toBeNull()
      expect(s.ttft_ms).toBeGreaterThanOrEqual(199)
      expect(s.ttft_ms).toBeLessThan(300) // scripted 200 ms; the simulator shares this process, so allow for a busy loop
      expect(s.ttfat_ms).toBe(s.ttft_ms)
      // The role chunk / message_start arrives with the headers: an empty first chunk is not a token.
      expect(s.ttfb_ms!).toBeLessThan(s.ttft_ms! - 100)
      expect(s.out_tokens).toBe(20)
      expect(s.usage_source).toBe('reported')
      expect(s.decode_ms).toBeGreaterThanOrEqual(180) // 19 gaps × 10 ms, minus timer jitter on the first chunk
      expect(s.tpot_ms).toBeGreaterThanOrEqual(9.4)
      expect(s.tpot_ms).toBeLessThan(20) // 10 ms scripted; generous for a loaded CI machine
      expect(s.output_tps).toBeGreaterThan(50)
      expect(s.output_tps).toBeLessThanOrEqual(110) // 100 scripted; a late first token (busy loop) shortens the measured decode a little
      expect(s.e2e_tps!).toBeLessThan(s.output_tps!) // e2e_tps includes TTFT
      expect(s.e2e_ms!).toBeGreaterThanOrEqual(s.ttft_ms! + s.decode_ms!)
      expect(s.gap_max_ms!).toBeGreaterThanOrEqual(s.gap_p50_ms!)
      expect(s.ref_out_tokens).toBeGreaterThan(15)
      expect(s.cost_usd).toBeCloseTo((s.in_tokens! * 1 + 20 * 2) / 1e6, 12)
    })

  it('reasoning: TTFT counts the first thinking token, TTFAT the first answer token', async () => {
    const s = await probeSim({ ttft_ms: { p50: 100, p90: 100 }, decode_tps: { p50: 100, cv: 0 }, reasoning_tokens: { p50: 15 } }, { maxTokens: 40 })
    expect(s.outcome).toBe('ok')
    expect(s.reasoning_tokens).toBeGreaterThan(0)
    expect(s.ttft_ms).toBeGreaterThanOrEqual(99)
    // At least (reasoning tokens) × 10 ms after the first token.
    expect(s.ttfat_ms! - s.ttft_ms!).toBeGreaterThanOrEqual(s.reasoning_tokens! * 10 - 15)
  })
})

describe('every failure is one classified outcome with its blame', () => {
  const cases: [string, DeepPartialBehaviour, Parameters<typeof probeSim>[1], string, string, number | null][] = [
    ['missing key → 401', {}, { auth: 'any', apiKey: undefined }, 'auth.key', 'local', 401],
    ['unknown model → 404', {}, { model: 'no-such-model' }, 'config.request', 'local', 404],
    ['429 rate limit', { rate_limit_rate: 1 }, {}, 'http.429', 'quota', 429],
    ['500', { error_rate: 1 }, {}, 'http.5xx', 'provider', 500],
    ['Anthropic 529 overloaded', { overload_rate: 1 }, { protocol: 'anthropic-messages' }, 'http.overloaded', 'provider', 529],
    ['OpenAI in-stream error chunk', { midstream_error_rate: 1 }, {}, 'stream.error_event', 'provider', 200],
    ['Anthropic event: error', { midstream_error_rate: 1 }, { protocol: 'anthropic-messages' }, 'http.overloaded', 'provider', 200],
    ['connection reset before headers', { outages: [{ every_s: 1e9, for_s: 1e9 - 1, offset_s: 0, mode: 'reset' }] }, {}, 'net.reset_before_headers', 'provider', null],
    ['headers but no token', { outages: [{ every_s: 1e9, for_s: 1e9 - 1, offset_s: 0, mode: 'stall' }] }, { timeouts: { first_token_ms: 300 } }, 'timeout.ttft', 'provider', 200],
    ['first token too late', { ttft_ms: { p50: 3000, p90: 3000 } }, { timeouts: { first_token_ms: 300 } }, 'timeout.ttft', 'provider', 200],
  ]
  for (const [name, behaviour, over, outcome, blame, status] of cases)
    it(name, async () => {
      const s = await probeSim(behaviour, over)
      expect(s.outcome).toBe(outcome)
      expect(s.blame).toBe(blame)
      expect(s.http_status).toBe(status)
      expect(s.error_message).toBeTruthy()
    })

  it('a timeout records its deadline as a censored value', async () => {
    const s = await probeSim({ ttft_ms: { p50: 3000, p90: 3000 } }, { timeouts: { first_token_ms: 300 } })
    expect(s.censored_ms).toBe(300)
    expect(s.ttft_ms).toBeNull()
  })

  it('an in-stream error keeps the partial timings but is not ok', async () => {
    const s = await probeSim({ midstream_error_rate: 1, output_tokens: { p50: 50 } }, { maxTokens: 50 })
    expect(s.outcome).toBe('stream.error_event')
    expect(s.ttft_ms).not.toBeNull()
  })

  it('cancellation mid-stream is recorded as cancelled (local), promptly', async () => {
    vendor = await startVendor({ behaviour: { ttft_ms: { p50: 50, p90: 50 }, decode_tps: { p50: 10, cv: 0 }, output_tokens: { p50: 100 } } })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 300)
    const t0 = performance.now()
    const s = await runProbe(makeTarget(vendor.baseUrl), makePrompt(100), { ...opts(), signal: ac.signal }, probeDeps())
    expect(s.outcome).toBe('cancelled')
    expect(s.blame).toBe('local')
    expect(performance.now() - t0).toBeLessThan(1_000)
  })

  it('connection refused', async () => {
    const srv = createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as { port: number }).port
    await new Promise<void>((r) => srv.close(() => r()))
    const s = await runProbe(makeTarget(`http://127.0.0.1:${port}/v1`), makePrompt(), opts(), probeDeps())
    expect(s.outcome).toBe('net.connect_refused')
    expect(s.blame).toBe('provider')
  })
})

describe('hand-written faults the simulator does not script', () => {
  it('HTML instead of a stream → protocol.content_type', async () => {
    const stub = await stubServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>'))
    const s = await runProbe(makeTarget(stub.url), makePrompt(), opts(), probeDeps())
    expect(s.outcome).toBe('protocol.content_type')
    expect(s.error_message).toContain('captive portal')
  })

  it('stream ends without [DONE] → stream.truncated', async () => {
    const stub = await stubServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end('data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n')
    })
    const s = await runProbe(makeTarget(stub.url), makePrompt(), opts(), probeDeps())
    expect(s.outcome).toBe('stream.truncated')
    expect(s.ttft_ms).not.toBeNull()
    expect(s.usage_source).toBe('estimated')
  })

  it('invalid JSON in a data line → protocol.bad_json', async () => {
    const stub = await stubServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: {not json\n\ndata: [DONE]\n\n')
    })
    const s = await runProbe(makeTarget(stub.url), makePrompt(), opts(), probeDeps())
    expect(s.outcome).toBe('protocol.bad_json')
  })

  it('a stall after the first token → timeout.idle, partial tokens kept', async () => {
    const stub = await stubServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n')
    })
    const base = makeTarget(stub.url)
    const s = await runProbe(makeTarget(stub.url, { timeouts: { ...base.timeouts, idle_ms: 300 } }), makePrompt(), opts(), probeDeps())
    expect(s.outcome).toBe('timeout.idle')
    expect(s.censored_ms).toBe(300)
    expect(s.ttft_ms).not.toBeNull()
  })

  it('a redirect is never followed (keys would leak to another origin)', async () => {
    const elsewhere = await stubServer((_req, res) => res.writeHead(200).end())
    const stub = await stubServer((_req, res) => res.writeHead(307, { location: `${elsewhere.url}/chat/completions` }).end())
    const s = await runProbe(makeTarget(stub.url), makePrompt(), opts(), probeDeps())
    expect(s.outcome).toBe('http.redirect')
    expect(elsewhere.hits()).toBe(0)
  })

  it('a key echoed in an error body never reaches the sample', async () => {
    const stub = await stubServer((req, res) =>
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `Incorrect API key provided: ${String(req.headers.authorization).slice(7)}`, type: 'invalid_request_error', code: 'invalid_api_key' } })),
    )
    const s = await runProbe(makeTarget(stub.url), makePrompt(), opts(), probeDeps())
    expect(s.outcome).toBe('auth.key')
    expect(JSON.stringify(s)).not.toContain('sk-test-canary')
  })
})
