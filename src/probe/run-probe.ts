import type { Dispatcher } from 'undici'
import type { IncomingHttpHeaders } from 'node:http'
import type { Clock } from '../core/clock.js'
import { describeError } from '../core/errors.js'
import type { Outcome } from '../core/outcome.js'
import { parseRetryAfter } from '../core/retry-after.js'
import type { ProbePrompt, ProbeSample, SampleFlag, SampleSource } from '../core/types.js'
import { excerpt, tryJson, type StreamDelta } from '../providers/adapter.js'
import { createSseDecoder } from '../providers/sse.js'
import type { LoopLagMonitor } from './loop-lag.js'
import { classifyNetworkError } from './net-errors.js'
import { buildSample, type StreamAccumulator } from './sample.js'
import type { ProbeTarget } from './target.js'
import { Deadlines } from './deadlines.js'
import { exchange } from './transport.js'

export interface ProbeDeps {
  dispatcher: Dispatcher
  clock: Clock
  /** Reference tokenizer (o200k_base) used to cross-check or replace reported usage. */
  countTokens: (text: string) => number
  /** When present, samples that overlapped a stall of our own event loop are flagged `contaminated`. */
  loopLag?: LoopLagMonitor
}

export interface ProbeOptions {
  source: SampleSource
  /** Wall time the scheduler intended to send this request. */
  tSched: number
  /** Aborting it ends the probe as `cancelled` (shutdown, campaign stop). */
  signal?: AbortSignal
  /** Flags stamped on the sample whatever happens (e.g. `recheck`). */
  flags?: readonly SampleFlag[]
}

export const LIMITS = {
  errorBodyBytes: 8 * 1024,
  responseBytes: 16 * 1024 * 1024,
  lineBytes: 1024 * 1024,
  /** After the terminal event, how long we wait for the server to end the body before closing it. */
  doneGraceMs: 1_000,
}

/** Token-bearing events allowed per request: a stream far past max_tokens is a runaway (row 7). */
export function tokenEventCap(maxTokens: number): number {
  return Math.max(32, Math.ceil(maxTokens * 1.5))
}

/** Why the probe stopped early, decided by us. `done` = closed after the terminal event (still ok). */
type Stop = { outcome: Outcome | 'done'; censoredMs: number | null; message: string | null }

/**
 * Send one streaming request and measure it. Never throws and never rejects:
 * every path ends in exactly one recorded outcome, and every timer and socket
 * is released. Instants are taken when undici hands over each chunk, before
 * decoding; deadlines are our own monotonic timers, layered:
 * connect (until the request is written), headers, first token, idle between
 * tokens, and total.
 */
export function runProbe(target: ProbeTarget, prompt: ProbePrompt, opts: ProbeOptions, deps: ProbeDeps): Promise<ProbeSample> {
  const { clock } = deps
  const to = target.timeouts
  const req = target.adapter.buildRequest({ baseUrl: target.baseUrl, apiKey: target.apiKey, headers: target.headers, upstreamModel: target.upstreamModel, prompt })
  const wallStart = clock.wallMs()
  const tStart = clock.monoMs()
  const acc: StreamAccumulator = {
    timeline: { t0: tStart, tHeaders: null, tokenEvents: [], tDone: null },
    tokenEventCount: 0,
    text: '', inTokens: undefined, outTokens: undefined, reasoningTokens: undefined, streamError: null, flags: new Set(),
  }
  const tokenCap = tokenEventCap(prompt.max_tokens)

  return new Promise<ProbeSample>((resolve) => {
    let stop: Stop | null = null
    let status: number | null = null
    let headers: IncomingHttpHeaders = {}
    let isSse = false
    let errorBody = ''
    let bytes = 0
    let connectMs: number | null = null
    let sent = false
    let settled = false
    let tChunk = 0
    let lastTokenAt = 0
    const deadlines = new Deadlines<'total' | 'connect' | 'headers' | 'first_token' | 'idle' | 'done_grace'>(() => clock.monoMs(), (key) => {
      switch (key) {
        case 'total': return halt({ outcome: 'timeout.total', censoredMs: to.total_ms, message: `request took longer than ${to.total_ms} ms` })
        case 'connect': return !sent && halt({ outcome: 'timeout.connect', censoredMs: to.connect_ms, message: `request not sent within ${to.connect_ms} ms (connect)` })
        case 'headers': return status === null && halt({ outcome: 'timeout.headers', censoredMs: to.headers_ms, message: `no response headers within ${to.headers_ms} ms` })
        case 'first_token':
          return acc.tokenEventCount === 0 && halt({ outcome: status === null ? 'timeout.headers' : 'timeout.ttft', censoredMs: to.first_token_ms, message: `no token within ${to.first_token_ms} ms` })
        case 'idle': {
          // The idle deadline slides with every token; only a full idle period since the last one counts.
          const due = lastTokenAt + to.idle_ms
          if (clock.monoMs() >= due) return halt({ outcome: 'timeout.idle', censoredMs: to.idle_ms, message: `no token for ${to.idle_ms} ms` })
          deadlines.set('idle', due)
          return false
        }
        case 'done_grace': return halt({ outcome: 'done', censoredMs: null, message: null })
      }
    })

    const interp = target.adapter.interpreter()
    const sse = createSseDecoder({
      maxLineBytes: LIMITS.lineBytes,
      onOversize: () => halt({ outcome: 'limit.line', censoredMs: null, message: `an SSE line exceeded ${LIMITS.lineBytes} bytes` }),
      onInvalidUtf8: () => acc.flags.add('invalid_utf8'),
      onEvent: (event) => {
        if (acc.timeline.tDone !== null) return void acc.flags.add('trailing_data')
        const deltas = interp.onEvent(event)
        let token = false
        for (let i = 0; i < deltas.length; i++) {
          const d = deltas[i]!
          if (d.kind === 'token') token = true
          applyDelta(acc, d, tChunk)
        }
        if (acc.streamError) return halt({ outcome: acc.streamError.outcome, censoredMs: null, message: acc.streamError.message })
        if (token) {
          acc.tokenEventCount++
          lastTokenAt = tChunk
          if (acc.tokenEventCount === 1 && !settled) deadlines.set('idle', tChunk + to.idle_ms)
          if (acc.tokenEventCount > tokenCap) return halt({ outcome: 'limit.tokens', censoredMs: null, message: `more than ${tokenCap} token events for max_tokens ${prompt.max_tokens}` })
        }
        if (acc.timeline.tDone !== null && !settled) {
          deadlines.clear('idle')
          deadlines.set('done_grace', clock.monoMs() + LIMITS.doneGraceMs)
        }
      },
    })

    const onCancel = () => halt({ outcome: 'cancelled', censoredMs: null, message: 'probe cancelled' })

    const settle = (transportError: Error | null) => {
      settled = true
      deadlines.stop()
      opts.signal?.removeEventListener('abort', onCancel)
      if (isSse && !stop) sse.end()
      const tEnd = clock.monoMs()
      if (deps.loopLag && deps.loopLag.maxLagBetween(tStart, tEnd) > 0) acc.flags.add('contaminated')
      const decided = decide(transportError)
      const retryAfter = status === 429 || status === 503 || status === 529 ? parseRetryAfter(headers, clock.wallMs()) : null
      resolve(buildSample({ target, prompt, opts, countTokens: deps.countTokens, acc, wallStart, connectMs, status, retryAfter, ...decided }))
    }

    const decide = (err: Error | null): { outcome: Outcome; message: string | null; censoredMs: number | null } => {
      if (stop && stop.outcome !== 'done') return { outcome: stop.outcome, message: stop.message, censoredMs: stop.censoredMs }
      if (err && !stop) return { outcome: classifyNetworkError(err, status !== null), message: describeError(err), censoredMs: null }
      if (status === null) return { outcome: 'net.error', message: 'no response', censoredMs: null }
      if (status !== 200) return { ...target.adapter.classifyError(status, errorBody), censoredMs: null }
      if (!isSse) {
        // A 200 that is JSON carrying an error is a failed generation, not a content-type mix-up (row 24).
        const err200 = (tryJson(errorBody) as { error?: { message?: string; type?: string } } | undefined)?.error
        if (err200) return { outcome: 'stream.error_event', message: `HTTP 200 with an error body: ${excerpt(`${err200.type ?? ''} ${err200.message ?? ''}`)}`, censoredMs: null }
        return { outcome: 'protocol.content_type', message: `expected text/event-stream, got "${String(headers['content-type'] ?? 'none')}": ${excerpt(errorBody)}`, censoredMs: null }
      }
      if (acc.timeline.tDone === null) return { outcome: 'stream.truncated', message: 'stream ended without a terminal event', censoredMs: null }
      if (acc.timeline.tokenEvents.length === 0) return { outcome: 'stream.empty', message: 'stream completed without any generated token', censoredMs: null }
      return { outcome: 'ok', message: null, censoredMs: null }
    }

    const abortExchange = exchange(target.dispatcher ?? deps.dispatcher, req, clock, {
      onSent(t, c) {
        sent = true
        connectMs = c
        acc.timeline.t0 = t // durations run from the moment the request was written
        deadlines.clear('connect')
        deadlines.set('headers', t + to.headers_ms)
        deadlines.set('first_token', t + to.first_token_ms)
      },
      onHeaders(t, s, h) {
        deadlines.clear('headers')
        acc.timeline.tHeaders = t
        status = s
        headers = h
        isSse = s === 200 && String(h['content-type'] ?? '').includes('text/event-stream')
      },
      onData(t, chunk) {
        if (stop) return
        tChunk = t
        bytes += chunk.length
        if (!isSse) {
          if (errorBody.length < LIMITS.errorBodyBytes) errorBody += chunk.toString('utf8', 0, Math.min(chunk.length, LIMITS.errorBodyBytes - errorBody.length))
          else halt({ outcome: 'done', censoredMs: null, message: null }) // enough to diagnose; stop reading
          return
        }
        if (bytes > LIMITS.responseBytes) return halt({ outcome: 'limit.response', censoredMs: null, message: `response exceeded ${LIMITS.responseBytes} bytes` })
        // `t` was taken before undici's callback reached us; parsing comes after, in the same turn.
        // (Deferring the parse to a later phase measured no better, and worse once the CPU saturates.)
        tChunk = t
        sse.feed(chunk)
      },
      onEnd: () => settle(null),
      onError: (err) => settle(err),
    })

    /** Stop the exchange for a reason of ours; `settle` runs from the transport's error callback. */
    function halt(s: Stop): boolean {
      if (stop) return true
      stop = s
      abortExchange(new Error(s.outcome))
      return true
    }


    deadlines.set('total', tStart + to.total_ms)
    deadlines.set('connect', tStart + to.connect_ms)
    if (opts.signal?.aborted) onCancel()
    else opts.signal?.addEventListener('abort', onCancel, { once: true })
  })
}

/** Apply one interpreted event at its arrival instant `t`. */
function applyDelta(acc: StreamAccumulator, d: StreamDelta, t: number): void {
  switch (d.kind) {
    case 'token': {
      const evs = acc.timeline.tokenEvents
      const lastEv = evs[evs.length - 1]
      // Several token deltas decoded from one chunk share one arrival instant: one event.
      if (lastEv && lastEv.t === t) lastEv.answer ||= d.channel === 'answer'
      else evs.push({ t, answer: d.channel === 'answer' })
      if (acc.text.length < LIMITS.responseBytes) acc.text += d.text
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
