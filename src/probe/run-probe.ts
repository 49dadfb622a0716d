import { randomUUID } from 'node:crypto'
import { request, type Dispatcher } from 'undici'
import type { Clock } from '../core/clock.js'
import { describeError } from '../core/errors.js'
import { blameOf, type Outcome } from '../core/outcome.js'
import { redactSecrets } from '../core/redact.js'
import type { ProbePrompt, ProbeSample, SampleSource } from '../core/types.js'
import { excerpt, type StreamDelta } from '../providers/adapter.js'
import { createSseDecoder } from '../providers/sse.js'
import { classifyNetworkError } from './net-errors.js'
import type { ProbeTarget } from './target.js'
import { computeTiming, type StreamTimeline } from './timing.js'

export interface ProbeDeps {
  dispatcher: Dispatcher
  clock: Clock
  /** Reference tokenizer (o200k_base) used to cross-check or replace reported usage. */
  countTokens: (text: string) => number
}

export interface ProbeOptions {
  source: SampleSource
  /** Wall time the scheduler intended to send this request. */
  tSched: number
  /** Aborting it ends the probe as `cancelled` (shutdown, campaign stop). */
  signal?: AbortSignal
}

const MAX_ERROR_BODY = 8 * 1024
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024
const MAX_LINE_BYTES = 1024 * 1024
/** After the terminal event, how long we wait for the server to end the body before closing it. */
const DONE_GRACE_MS = 1_000

interface Accumulator {
  timeline: StreamTimeline & { tokenEvents: { t: number; answer: boolean }[] }
  text: string
  inTokens: number | undefined
  outTokens: number | undefined
  reasoningTokens: number | undefined
  streamError: { outcome: Outcome; message: string } | null
}

/** Apply one interpreted event at its arrival instant `t`. */
function applyDelta(acc: Accumulator, d: StreamDelta, t: number): void {
  switch (d.kind) {
    case 'token': {
      const evs = acc.timeline.tokenEvents
      const lastEv = evs[evs.length - 1]
      // Several token deltas decoded from one chunk share one arrival instant: one event.
      if (lastEv && lastEv.t === t) lastEv.answer ||= d.channel === 'answer'
      else evs.push({ t, answer: d.channel === 'answer' })
      if (acc.text.length < MAX_RESPONSE_BYTES) acc.text += d.text
      break
    }
    case 'usage':
      if (d.in_tokens !== undefined) acc.inTokens = d.in_tokens
      if (d.out_tokens !== undefined) acc.outTokens = d.out_tokens
      if (d.reasoning_tokens !== undefined) acc.reasoningTokens = d.reasoning_tokens
      break
    case 'done':
      acc.timeline.tDone ??= t
      break
    case 'error':
      acc.streamError ??= { outcome: d.outcome, message: d.message }
      break
  }
}

/**
 * Send one streaming request and measure it. Never throws: every path ends in
 * exactly one recorded outcome, and every timer and socket is released.
 * Instants are taken when undici hands over each chunk, before decoding.
 */
export async function runProbe(target: ProbeTarget, prompt: ProbePrompt, opts: ProbeOptions, deps: ProbeDeps): Promise<ProbeSample> {
  const { clock } = deps
  const to = target.timeouts
  const ac = new AbortController()
  // A holder, not a `let`: it is set from timer callbacks that TypeScript's narrowing cannot see.
  const aborted: { by: { outcome: Outcome; censoredMs: number | null } | null } = { by: null }
  const abort = (outcome: Outcome, censoredMs: number | null = null) => {
    if (aborted.by) return
    aborted.by = { outcome, censoredMs }
    ac.abort(new Error(outcome))
  }
  const onCancel = () => abort('cancelled')
  if (opts.signal?.aborted) onCancel()
  opts.signal?.addEventListener('abort', onCancel, { once: true })

  const req = target.adapter.buildRequest({ baseUrl: target.baseUrl, apiKey: target.apiKey, headers: target.headers, upstreamModel: target.upstreamModel, prompt })
  const wallStart = clock.wallMs()
  const t0 = clock.monoMs()
  const acc: Accumulator = { timeline: { t0, tHeaders: null, tokenEvents: [], tDone: null }, text: '', inTokens: undefined, outTokens: undefined, reasoningTokens: undefined, streamError: null }
  // Layered deadlines on our own timers: undici's are coarse guards (≈0.5 s resolution, 300 s defaults).
  const timers: NodeJS.Timeout[] = [
    setTimeout(() => abort('timeout.total', to.total_ms), to.total_ms),
    setTimeout(() => { if (acc.timeline.tHeaders === null) abort('timeout.headers', to.headers_ms) }, to.headers_ms),
    setTimeout(() => { if (acc.timeline.tokenEvents.length === 0) abort('timeout.ttft', to.first_token_ms) }, to.first_token_ms),
  ]
  let idleTimer: NodeJS.Timeout | undefined
  const armIdle = () => {
    clearTimeout(idleTimer)
    idleTimer = setTimeout(() => abort('timeout.idle', to.idle_ms), to.idle_ms)
  }

  let status: number | null = null
  let outcome: Outcome = 'ok'
  let message: string | null = null
  try {
    const res = await request(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      dispatcher: target.dispatcher ?? deps.dispatcher,
      signal: ac.signal,
      headersTimeout: to.headers_ms + 5_000,
      bodyTimeout: to.idle_ms + 5_000,
    })
    acc.timeline.tHeaders = clock.monoMs()
    status = res.statusCode
    if (status !== 200) {
      const body = await readCapped(res.body, MAX_ERROR_BODY)
      ;({ outcome, message } = target.adapter.classifyError(status, body))
    } else if (!String(res.headers['content-type'] ?? '').includes('text/event-stream')) {
      const body = await readCapped(res.body, MAX_ERROR_BODY)
      outcome = 'protocol.content_type'
      message = `expected text/event-stream, got "${String(res.headers['content-type'] ?? 'none')}": ${excerpt(body)}`
    } else {
      // No idle deadline before the first token: until then the first-token deadline governs.
      const end = await consumeStream(res.body, target, acc, { clock, armIdle, abort })
      if (aborted.by) ({ outcome } = aborted.by)
      else if (end.error) ({ outcome, message } = end.error)
      else if (acc.streamError) ({ outcome, message } = acc.streamError)
      else if (acc.timeline.tDone === null) { outcome = 'stream.truncated'; message = 'stream ended without a terminal event' }
      else if (acc.timeline.tokenEvents.length === 0) { outcome = 'stream.empty'; message = 'stream completed without any generated token' }
    }
  } catch (err) {
    outcome = aborted.by ? aborted.by.outcome : classifyNetworkError(err, acc.timeline.tHeaders !== null)
    if (!aborted.by) message = describeError(err)
  } finally {
    for (const t of timers) clearTimeout(t)
    clearTimeout(idleTimer)
    opts.signal?.removeEventListener('abort', onCancel)
  }
  if (aborted.by && message === null) message = aborted.by.censoredMs !== null ? `deadline of ${aborted.by.censoredMs} ms reached` : 'probe cancelled'
  return buildSample({ target, prompt, opts, deps, acc, wallStart, outcome, status, message, censoredMs: aborted.by?.censoredMs ?? null })
}

async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  let text = ''
  try {
    for await (const chunk of body) {
      text += Buffer.from(chunk as Uint8Array).toString('utf8')
      if (text.length >= max) break
    }
  } catch {
    // A body that fails while we read a diagnostic excerpt changes nothing: the status decided.
  } finally {
    body.destroy()
  }
  return text.slice(0, max)
}

interface StreamCtl {
  clock: Clock
  armIdle(): void
  abort(outcome: Outcome, censoredMs?: number | null): void
}

/** Read the SSE body chunk by chunk, stamping each chunk on arrival. */
function consumeStream(body: Dispatcher.ResponseData['body'], target: ProbeTarget, acc: Accumulator, ctl: StreamCtl): Promise<{ error: { outcome: Outcome; message: string } | null }> {
  return new Promise((resolve) => {
    let settled = false
    let bytes = 0
    let tChunk = 0
    let grace: NodeJS.Timeout | undefined
    const interp = target.adapter.interpreter()
    const finish = (error: { outcome: Outcome; message: string } | null) => {
      if (settled) return
      settled = true
      clearTimeout(grace)
      if (!body.destroyed) body.destroy()
      resolve({ error })
    }
    const sse = createSseDecoder({
      maxLineBytes: MAX_LINE_BYTES,
      onOversize: () => finish({ outcome: 'limit.line', message: `an SSE line exceeded ${MAX_LINE_BYTES} bytes` }),
      onEvent: (event) => {
        if (acc.timeline.tDone !== null) return // trailing data after the terminal event is ignored
        for (const d of interp.onEvent(event)) applyDelta(acc, d, tChunk)
        if (acc.streamError) finish(null)
        else if (acc.timeline.tDone !== null) grace = setTimeout(() => finish(null), DONE_GRACE_MS)
      },
    })
    body.on('data', (chunk: Buffer) => {
      tChunk = ctl.clock.monoMs()
      const before = acc.timeline.tokenEvents.length
      bytes += chunk.length
      if (bytes > MAX_RESPONSE_BYTES) return finish({ outcome: 'limit.response', message: `response exceeded ${MAX_RESPONSE_BYTES} bytes` })
      sse.feed(chunk)
      if (acc.timeline.tokenEvents.length > before) ctl.armIdle()
    })
    body.on('end', () => {
      sse.end()
      finish(null)
    })
    body.on('error', (err) => {
      // After the terminal event, a reset is the server closing a finished stream: not a failure.
      if (acc.timeline.tDone !== null) return finish(null)
      finish({ outcome: classifyNetworkError(err, true), message: describeError(err) })
    })
  })
}

interface SampleParts {
  target: ProbeTarget
  prompt: ProbePrompt
  opts: ProbeOptions
  deps: ProbeDeps
  acc: Accumulator
  wallStart: number
  outcome: Outcome
  status: number | null
  message: string | null
  censoredMs: number | null
}

function buildSample(p: SampleParts): ProbeSample {
  const { target, acc, deps } = p
  const hasText = acc.text.length > 0
  const ref = hasText ? deps.countTokens(acc.text) : null
  const reported = acc.outTokens !== undefined
  const outTokens = reported ? acc.outTokens! : ref
  const inTokens = acc.inTokens ?? (hasText || p.outcome === 'ok' ? deps.countTokens(p.prompt.user + (p.prompt.system ?? '')) : null)
  const timing = computeTiming(acc.timeline, outTokens)
  const cost = inTokens !== null && outTokens !== null ? (inTokens * target.price.input_per_mtok + outTokens * target.price.output_per_mtok) / 1e6 : null
  return {
    id: randomUUID(),
    ts_ms: p.wallStart,
    offering: target.offering,
    provider: target.provider,
    model: target.model,
    region: target.region,
    source: p.opts.source,
    prompt_bucket: p.prompt.bucket,
    t_sched: p.opts.tSched,
    start_lag_ms: Math.max(0, Math.round((p.wallStart - p.opts.tSched) * 1000) / 1000),
    connect_ms: null,
    ...timing,
    in_tokens: inTokens,
    out_tokens: outTokens,
    reasoning_tokens: acc.reasoningTokens ?? null,
    ref_out_tokens: ref,
    usage_diff_pct: reported && ref ? Math.round(((acc.outTokens! - ref) / ref) * 10000) / 100 : null,
    usage_source: outTokens === null ? null : reported ? 'reported' : 'estimated',
    cost_usd: cost === null ? null : Math.round(cost * 1e10) / 1e10,
    outcome: p.outcome,
    blame: blameOf(p.outcome),
    http_status: p.status,
    error_message: p.message === null ? null : redactSecrets(p.message, target.apiKey ? [target.apiKey] : []),
    censored_ms: p.censoredMs,
  }
}
