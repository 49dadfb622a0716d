import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { createServer as createTcpServer, type Server } from 'node:net'
import { Agent, type Dispatcher } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/core/clock.js'
import type { Blame, Outcome } from '../../src/core/outcome.js'
import type { ProbeSample } from '../../src/core/types.js'
import { startLoopLagMonitor } from '../../src/probe/loop-lag.js'
import { runProbe, type ProbeDeps } from '../../src/probe/run-probe.js'
import type { ProbeTarget } from '../../src/probe/target.js'
import { timedAgent } from '../../src/probe/transport.js'
import { adapterFor } from '../../src/providers/registry.js'
import { CHUNKINGS, faultServer, oa, okStream, type Chunking, type FaultResponse, type Step } from '../helpers/fault-server.js'
import { makePrompt, makeTarget } from '../helpers/target.js'

/**
 * The fault matrix of the reliability anchors (§2), one block per row. Every
 * probe must end in exactly one outcome with the right blame, within its
 * deadlines, without an unhandled rejection, and leave no request running in
 * the connection pool.
 */
const unhandled: unknown[] = []
const onUnhandled = (r: unknown) => unhandled.push(r)
beforeAll(() => void process.on('unhandledRejection', onUnhandled))
afterAll(() => void process.off('unhandledRejection', onUnhandled))
afterEach(() => expect(unhandled).toEqual([]))

const FAST = { connect_ms: 500, headers_ms: 400, first_token_ms: 400, idle_ms: 300, total_ms: 3_000 }

let agent: Agent
const agents: Dispatcher[] = []
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.destroy()))
})
function deps(dispatcher?: Dispatcher): ProbeDeps {
  agent = timedAgent({ clock: systemClock, connectTimeoutMs: FAST.connect_ms })
  agents.push(agent)
  return { dispatcher: dispatcher ?? agent, clock: systemClock, countTokens }
}

/** No request may still be running or queued in the pool shortly after a probe has returned (undici settles aborts a tick later). */
async function expectPoolIdle(a: Agent): Promise<void> {
  const busy = () => Object.values(a.stats).some((s) => s.running > 0 || s.pending > 0)
  for (let i = 0; i < 50 && busy(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(Object.values(a.stats).map((s) => ({ running: s.running, pending: s.pending }))).toEqual(Object.values(a.stats).map(() => ({ running: 0, pending: 0 })))
}

async function probe(url: string, over: Partial<ProbeTarget> = {}, d = deps(), maxTokens = 20): Promise<ProbeSample> {
  const t0 = performance.now()
  const target = makeTarget(url, { timeouts: FAST, ...over })
  const s = await runProbe(target, makePrompt(maxTokens), { source: 'probe', tSched: Date.now() }, d)
  // Every probe ends by its total deadline (+ slack for a loaded machine).
  expect(performance.now() - t0).toBeLessThan(target.timeouts.total_ms + 1_000)
  if (d.dispatcher === agent) await expectPoolIdle(agent)
  return s
}

function expectOutcome(s: ProbeSample, outcome: Outcome, blame: Blame | null): void {
  expect({ outcome: s.outcome, blame: s.blame, message: s.error_message }).toMatchObject({ outcome, blame })
}

/** Run a scripted SSE response under every chunking. */
function eachChunking(name: string, respond: () => FaultResponse, check: (s: ProbeSample, chunking: Chunking) => void, over: Partial<ProbeTarget> = {}) {
  for (const chunking of CHUNKINGS)
    it(`${name} [${chunking}]`, async () => {
      const srv = await faultServer(() => respond(), { chunking })
      check(await probe(srv.url, over), chunking)
    })
}

const sse = (...steps: Step[]): FaultResponse => ({ steps })

describe('row 1: DNS failure', () => {
  it('ENOTFOUND → net.dns (local)', async () => {
    const dns = timedAgent({ clock: systemClock, connectTimeoutMs: 500, connect: { lookup: (_h, _o, cb) => cb(Object.assign(new Error('getaddrinfo ENOTFOUND vendor.test'), { code: 'ENOTFOUND' }), '', 4) } })
    agents.push(dns)
    expectOutcome(await probe('http://vendor.test/v1', {}, deps(dns)), 'net.dns', 'local')
  })
})

describe('row 2: TCP refused / SYN blackhole', () => {
  it('closed port → net.connect_refused', async () => {
    const srv = createTcpServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as { port: number }).port
    await new Promise<void>((r) => srv.close(() => r()))
    expectOutcome(await probe(`http://127.0.0.1:${port}/v1`), 'net.connect_refused', 'provider')
  })

  it('a connect that never completes → timeout.connect, censored at the deadline', async () => {
    const blackhole = new Agent({ connect: () => undefined })
    agents.push(blackhole)
    const s = await probe('http://127.0.0.1:9/v1', {}, deps(blackhole))
    expectOutcome(s, 'timeout.connect', 'provider')
    expect(s.censored_ms).toBe(FAST.connect_ms)
  })
})

describe('row 3: TLS', () => {
  it('a self-signed certificate is refused, never bypassed → tls.error', async () => {
    const srv = await faultServer(() => sse({ write: okStream(['hi']) }), { tls: true })
    expectOutcome(await probe(srv.url), 'tls.error', 'provider')
  })

  it('a TLS handshake that never finishes → timeout.connect', async () => {
    const silent: Server = createTcpServer(() => undefined)
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    afterEach(() => new Promise<void>((r) => silent.close(() => r())))
    const s = await probe(`https://127.0.0.1:${(silent.address() as { port: number }).port}/v1`)
    expectOutcome(s, 'timeout.connect', 'provider')
    silent.unref()
  })
})

describe('row 4: slow first byte', () => {
  it('headers later than the deadline → timeout.headers, censored', async () => {
    const srv = await faultServer(() => (_req, res) => void setTimeout(() => res.writeHead(200).end(), 1_500))
    const s = await probe(srv.url)
    expectOutcome(s, 'timeout.headers', 'provider')
    expect(s.censored_ms).toBe(FAST.headers_ms)
  })
})

describe('row 5: headers, then no content', () => {
  eachChunking('only keep-alive comments and an empty role chunk → timeout.ttft', () => sse({ write: `: keep-alive\n\n${oa.role}` }, { wait: 150 }, { write: ': keep-alive\n\n' }, { wait: 1_000 }), (s) => {
    expectOutcome(s, 'timeout.ttft', 'provider')
    expect(s.ttfb_ms).not.toBeNull()
    expect(s.ttft_ms).toBeNull()
  })
  eachChunking('Anthropic message_start and pings only → timeout.ttft', () => sse({ write: 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5}}}\n\nevent: ping\ndata: {"type": "ping"}\n\n' }, { wait: 1_000 }), (s) => expectOutcome(s, 'timeout.ttft', 'provider'), { adapter: adapterFor('anthropic-messages') })
})

describe('row 6: stall mid-stream', () => {
  eachChunking('tokens, then silence → timeout.idle with partial timings', () => sse({ write: oa.role + oa.token('Hello') + oa.token(' there') }, { wait: 1_000 }), (s) => {
    expectOutcome(s, 'timeout.idle', 'provider')
    expect(s.ttft_ms).not.toBeNull()
    expect(s.censored_ms).toBe(FAST.idle_ms)
  })
})

describe('row 7: endless streams', () => {
  it('tokens far beyond max_tokens → limit.tokens', async () => {
    const srv = await faultServer(() => sse({ write: oa.role + Array.from({ length: 200 }, () => oa.token(' x')).join('') }, { wait: 2_000 }))
    expectOutcome(await probe(srv.url), 'limit.tokens', 'provider')
  })
  it('a slow drip that never ends → timeout.total', async () => {
    const drip: Step[] = [{ write: oa.role }]
    for (let i = 0; i < 40; i++) drip.push({ write: oa.token(' y') }, { wait: 60 })
    const srv = await faultServer(() => sse(...drip))
    const s = await probe(srv.url, { timeouts: { ...FAST, total_ms: 800 } }, deps(), 1000)
    expectOutcome(s, 'timeout.total', 'provider')
    expect(s.censored_ms).toBe(800)
  })
})

describe('row 8: reset before headers', () => {
  it('socket destroyed on accept → net.reset_before_headers, no retry inside the probe', async () => {
    let hits = 0
    const srv = await faultServer(() => (req) => (hits++, req.socket.destroy()))
    expectOutcome(await probe(srv.url), 'net.reset_before_headers', 'provider')
    expect(hits).toBe(1)
  })
})

describe('row 9: reset mid-stream', () => {
  eachChunking('connection destroyed after some tokens → stream.reset, partial kept', () => sse({ write: oa.role + oa.token('Hel') + oa.token('lo') }, { wait: 30 }, { destroy: true }), (s) => {
    expectOutcome(s, 'stream.reset', 'provider')
    expect(s.ttft_ms).not.toBeNull()
  })
})

describe('row 10: clean end without a terminal event', () => {
  eachChunking('no [DONE] → stream.truncated', () => sse({ write: oa.role + oa.token('Hello') + oa.finish }, { end: true }), (s) => expectOutcome(s, 'stream.truncated', 'provider'))
  eachChunking('an unterminated final event is discarded (WHATWG): no [DONE] → stream.truncated', () => sse({ write: oa.role + oa.token('Hello') + 'data: [DONE]' }, { end: true }), (s) => expectOutcome(s, 'stream.truncated', 'provider'))
})

describe('row 11: SSE framing variants parse per WHATWG and succeed', () => {
  const words = ['Hello', ' framing', ' world']
  const framings: Record<string, string> = {
    crlf: okStream(words).replace(/\n/g, '\r\n'),
    'cr-only': okStream(words).replace(/\n/g, '\r'),
    bom: `\uFEFF${okStream(words)}`,
    comments: `: OPENROUTER PROCESSING\n\n${okStream(words).replace(/\n\n/g, '\n\n: ping\n\n')}`,
    'unknown fields, id, retry': okStream(words).replace(/data: /g, 'id: 7\nfoo: bar\nretry: 1000\ndata: '),
    'multi-line data': okStream(words).replace('{"choices":[{"index":0,"delta":{"content":" framing"}', '{"choices":[{"index":0,\ndata: "delta":{"content":" framing"}'),
    'no space after colon': okStream(words).replace(/data: /g, 'data:'),
  }
  for (const [name, payload] of Object.entries(framings))
    eachChunking(name, () => sse({ write: payload }), (s) => {
      expectOutcome(s, 'ok', null)
      expect(s.ref_out_tokens).toBe(countTokens(words.join('')))
      expect(s.out_tokens).toBe(3)
    })
})

describe('row 12: invalid JSON in one data line', () => {
  eachChunking('→ protocol.bad_json, with a bounded excerpt', () => sse({ write: oa.role + oa.token('Hi') + `data: {"choices": [${'x'.repeat(2000)}\n\n` + oa.done }), (s) => {
    expectOutcome(s, 'protocol.bad_json', 'provider')
    expect(s.error_message!.length).toBeLessThan(400)
  })
})

describe('row 13: UTF-8 split across chunks, U+2028 inside JSON', () => {
  const words = ['При', 'вет', ' 世界', ' \u2028line', ' 😀']
  eachChunking('decodes exactly', () => sse({ write: okStream(words) }), (s) => {
    expectOutcome(s, 'ok', null)
    expect(s.flags).toEqual([])
    expect(s.ref_out_tokens).toBe(countTokens(words.join('')))
  })
})

describe('row 14: invalid UTF-8 bytes', () => {
  eachChunking('replacement character, flagged invalid_utf8, not a crash', () => sse({ write: Buffer.concat([Buffer.from(oa.role + 'data: {"choices":[{"index":0,"delta":{"content":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' bytes"}}]}\n\n' + oa.finish + oa.usage(3, 2) + oa.done)]) }), (s) => {
    expectOutcome(s, 'ok', null)
    expect(s.flags).toContain('invalid_utf8')
  })
})

describe('row 15: a giant line without a newline', () => {
  it('→ limit.line, aborted without buffering it all', async () => {
    const srv = await faultServer(() => sse({ write: oa.role + oa.token('a') }, { write: `data: {"x":"${'y'.repeat(2 * 1024 * 1024)}` }, { wait: 2_000 }))
    expectOutcome(await probe(srv.url), 'limit.line', 'provider')
  })
})

describe('row 16: missing usage', () => {
  eachChunking('ok, usage_missing, counts estimated from the reference tokenizer', () => sse({ write: okStream(['Hello', ' world'], null) }), (s) => {
    expectOutcome(s, 'ok', null)
    expect(s.flags).toContain('usage_missing')
    expect(s.usage_source).toBe('estimated')
    expect(s.out_tokens).toBe(countTokens('Hello world'))
  })
})

describe('row 17: impossible usage', () => {
  eachChunking('negative completion tokens → ok, usage_suspect, no token rates', () => sse({ write: okStream(['a', ' b', ' c'], -5) }), (s) => {
    expectOutcome(s, 'ok', null)
    expect(s.flags).toContain('usage_suspect')
    expect(s.output_tps).toBeNull()
    expect(s.usage_source).toBe('estimated')
  })
  eachChunking('fewer tokens than token-bearing events → usage_suspect', () => sse({ write: okStream(['a', ' b', ' c', ' d', ' e'], 1) }), (s) => expect(s.flags).toContain('usage_suspect'))
})

describe('rows 18–19: 429', () => {
  const limited = (headers: Record<string, string>) => faultServer(() => ({ status: 429, headers: { 'content-type': 'application/json', ...headers }, steps: [{ write: '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}' }] }))
  const cases: [string, Record<string, string>, number | null][] = [
    ['Retry-After seconds', { 'retry-after': '7' }, 7_000],
    ['retry-after-ms wins', { 'retry-after-ms': '1500', 'retry-after': '9' }, 1_500],
    ['OpenAI x-ratelimit-reset duration, capped at 300 s', { 'x-ratelimit-reset-requests': '6m0s' }, 300_000],
    ['no header', {}, null],
  ]
  for (const [name, headers, expected] of cases)
    it(`${name} → http.429 (quota), retry_after_ms ${expected}`, async () => {
      const s = await probe((await limited(headers)).url)
      expectOutcome(s, 'http.429', 'quota')
      expect(s.retry_after_ms).toBe(expected)
      expect(s.ttft_ms).toBeNull()
    })
  it('Retry-After as an HTTP date', async () => {
    const s = await probe((await limited({ 'retry-after': new Date(Date.now() + 5_000).toUTCString() })).url)
    expect(s.retry_after_ms).toBeGreaterThan(3_000)
    expect(s.retry_after_ms).toBeLessThanOrEqual(5_000)
  })
})

describe('row 20: quota exhausted', () => {
  it('insufficient_quota → auth.quota (quota blame, not counted against health)', async () => {
    const srv = await faultServer(() => ({ status: 429, headers: { 'content-type': 'application/json' }, steps: [{ write: '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}' }] }))
    expectOutcome(await probe(srv.url), 'auth.quota', 'quota')
  })
  it('402 → auth.quota', async () => {
    const srv = await faultServer(() => ({ status: 402, headers: { 'content-type': 'application/json' }, steps: [{ write: '{"error":{"message":"Insufficient credits"}}' }] }))
    expectOutcome(await probe(srv.url), 'auth.quota', 'quota')
  })
})

describe('rows 21–23: HTTP status classes', () => {
  const json = (status: number, body: string, anthropic = false) => ({ status, headers: { 'content-type': 'application/json' }, steps: [{ write: body }], anthropic })
  const cases: [string, ReturnType<typeof json>, Outcome, Blame][] = [
    ['500', json(500, '{"error":{"message":"boom","type":"server_error"}}'), 'http.5xx', 'provider'],
    ['503', json(503, '{"error":{"message":"unavailable"}}'), 'http.5xx', 'provider'],
    ['Anthropic 529 overloaded_error', json(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', true), 'http.overloaded', 'provider'],
    ['401', json(401, '{"error":{"message":"Incorrect API key","code":"invalid_api_key"}}'), 'auth.key', 'local'],
    ['403', json(403, '{"type":"error","error":{"type":"permission_error","message":"no"}}', true), 'auth.key', 'local'],
    ['400', json(400, '{"error":{"message":"bad param"}}'), 'config.request', 'local'],
    ['404 model', json(404, '{"error":{"message":"The model does not exist","code":"model_not_found"}}'), 'config.request', 'local'],
    ['422', json(422, '{"detail":"unprocessable"}'), 'config.request', 'local'],
  ]
  for (const [name, r, outcome, blame] of cases)
    it(`${name} → ${outcome} (${blame})`, async () => {
      const srv = await faultServer(() => r)
      const s = await probe(srv.url, r.anthropic ? { adapter: adapterFor('anthropic-messages') } : {})
      expectOutcome(s, outcome, blame)
      expect(s.http_status).toBe(r.status)
    })
})

describe('row 24: a 200 that carries an error', () => {
  it('JSON body with "error" → stream.error_event', async () => {
    const srv = await faultServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, steps: [{ write: '{"error":{"message":"upstream failed","type":"server_error"}}' }] }))
    expectOutcome(await probe(srv.url), 'stream.error_event', 'provider')
  })
  eachChunking('OpenAI/OpenRouter data: {"error": …} mid-stream → stream.error_event', () => sse({ write: oa.role + oa.token('Hi') + 'data: {"error":{"message":"Provider returned error","code":502}}\n\n' }, { wait: 1_000 }), (s) => {
    expectOutcome(s, 'stream.error_event', 'provider')
    expect(s.ttft_ms).not.toBeNull()
  })
  eachChunking('Anthropic event: error (api_error) → stream.error_event', () => sse({ write: 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5}}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\nevent: error\ndata: {"type":"error","error":{"type":"api_error","message":"Internal server error"}}\n\n' }, { wait: 1_000 }), (s) => expectOutcome(s, 'stream.error_event', 'provider'), { adapter: adapterFor('anthropic-messages') })
})

describe('row 25: wrong content type', () => {
  it('HTML 200 from a captive portal → protocol.content_type, body excerpt bounded', async () => {
    const srv = await faultServer(() => ({ status: 200, headers: { 'content-type': 'text/html' }, steps: [{ write: `<html>${'portal '.repeat(5000)}</html>` }] }))
    const s = await probe(srv.url)
    expectOutcome(s, 'protocol.content_type', 'provider')
    expect(s.error_message!.length).toBeLessThan(400)
  })
  it('JSON completion when a stream was asked for → protocol.content_type', async () => {
    const srv = await faultServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, steps: [{ write: '{"object":"chat.completion","choices":[]}' }] }))
    expectOutcome(await probe(srv.url), 'protocol.content_type', 'provider')
  })
})

describe('row 26: redirects', () => {
  for (const status of [301, 302, 307, 308])
    it(`${status} → http.redirect, never followed`, async () => {
      let followed = 0
      const other = await faultServer(() => (followed++, sse({ write: okStream(['x']) })))
      const srv = await faultServer(() => ({ status, headers: { location: `${other.url}/chat/completions` }, steps: [] }))
      expectOutcome(await probe(srv.url), 'http.redirect', 'local')
      expect(followed).toBe(0)
    })
})

describe('row 27: data after the terminal event', () => {
  eachChunking('extra events and a duplicate [DONE] → ok, flagged trailing_data', () => sse({ write: okStream(['Hi']) + oa.token(' more') + oa.done }), (s) => {
    expectOutcome(s, 'ok', null)
    expect(s.flags).toContain('trailing_data')
    expect(s.ref_out_tokens).toBe(countTokens('Hi'))
  })
})

describe('row 28: a stale keep-alive socket reset on first write', () => {
  it('→ net.reset_before_headers, recorded as is (no silent retry)', async () => {
    let n = 0
    const srv = await faultServer((i) => {
      n = i
      if (i === 1) return sse({ write: okStream(['first']) })
      return (req) => req.socket.destroy()
    })
    const d = deps()
    expectOutcome(await probe(srv.url, {}, d), 'ok', null)
    expect(await srv.connections()).toBe(1) // kept alive for reuse
    const s = await probe(srv.url, {}, d)
    expectOutcome(s, 'net.reset_before_headers', 'provider')
    expect(n).toBe(2)
  })
})

describe('row 29: our cancellation', () => {
  it('abort mid-stream → cancelled (local), promptly, socket released', async () => {
    const srv = await faultServer(() => sse({ write: oa.role + oa.token('Hi') }, { wait: 5_000 }))
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    const d = deps()
    const s = await runProbe(makeTarget(srv.url, { timeouts: FAST }), makePrompt(), { source: 'probe', tSched: Date.now(), signal: ac.signal }, d)
    expectOutcome(s, 'cancelled', 'local')
    await expectPoolIdle(agent)
  })
})

describe('row 30: our own event loop stalls', () => {
  it('a 300 ms block during the stream flags the sample contaminated', async () => {
    const srv = await faultServer(() => sse({ write: oa.role + oa.token('a') }, { wait: 50 }, { write: oa.token(' b') }, { wait: 400 }, { write: oa.finish + oa.usage(3, 2) + oa.done }))
    const loopLag = startLoopLagMonitor(systemClock, { intervalMs: 10, thresholdMs: 100 })
    setTimeout(() => {
      const end = performance.now() + 300
      while (performance.now() < end) {
        /* block the loop, as a synchronous task or GC would */
      }
    }, 100)
    const s = await probe(srv.url, { timeouts: { ...FAST, idle_ms: 2_000 } }, { ...deps(), loopLag })
    loopLag.stop()
    expectOutcome(s, 'ok', null)
    expect(s.flags).toContain('contaminated')
  })
})
