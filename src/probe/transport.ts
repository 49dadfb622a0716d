import { subscribe } from 'node:diagnostics_channel'
import type { IncomingHttpHeaders } from 'node:http'
import { Agent, buildConnector, type Dispatcher } from 'undici'
import type { Clock } from '../core/clock.js'

/**
 * The probe's view of one HTTP exchange, as callbacks with monotonic instants
 * taken the moment undici hands them over: before any decoding or parsing.
 */
export interface ExchangeCallbacks {
  /** Request headers written to the socket; `connectMs` when this request opened a new connection. */
  onSent(t: number, connectMs: number | null): void
  onHeaders(t: number, status: number, headers: IncomingHttpHeaders): void
  onData(t: number, chunk: Buffer): void
  onEnd(t: number): void
  onError(err: Error): void
}

export interface ExchangeRequest {
  url: string
  headers: Record<string, string>
  body: string
}

const kConnectMs = Symbol('weighbridge.connectMs')
type TimedSocket = { [kConnectMs]?: number }

/**
 * Which probe a new undici Request belongs to. undici creates the Request
 * synchronously inside dispatch() and announces it on `undici:request:create`,
 * so the probe being dispatched is the one that is "creating" at that moment.
 */
let creating: ExchangeCallbacks | null = null
const byRequest = new WeakMap<object, { cb: ExchangeCallbacks; clock: Clock }>()
let creatingClock: Clock | null = null
let subscribed = false

function ensureSubscribed(): void {
  if (subscribed) return
  subscribed = true
  subscribe('undici:request:create', (msg) => {
    if (creating && creatingClock) byRequest.set((msg as { request: object }).request, { cb: creating, clock: creatingClock })
  })
  subscribe('undici:client:sendHeaders', (msg) => {
    const { request, socket } = msg as { request: object; socket: TimedSocket }
    const entry = byRequest.get(request)
    if (!entry) return
    const t = entry.clock.monoMs()
    // Connection set-up time belongs to the first request on a new socket only.
    const connectMs = socket[kConnectMs] ?? null
    delete socket[kConnectMs]
    entry.cb.onSent(t, connectMs)
  })
}

/**
 * A connection pool whose connector measures TCP (+TLS) set-up per new socket,
 * with its own connect timeout. Redirects are never followed by dispatch().
 */
export function timedAgent(opts: { clock: Clock; connectTimeoutMs: number; connect?: buildConnector.BuildOptions; keepAliveTimeoutMs?: number }): Agent {
  const base = buildConnector({ timeout: opts.connectTimeoutMs, ...opts.connect })
  const connect: buildConnector.connector = (options, callback) => {
    const t0 = opts.clock.monoMs()
    return base(options, (...args: Parameters<buildConnector.Callback>) => {
      const [err, socket] = args
      if (!err && socket) (socket as unknown as TimedSocket)[kConnectMs] = Math.round((opts.clock.monoMs() - t0) * 1000) / 1000
      ;(callback as (...a: unknown[]) => void)(...args)
    })
  }
  return new Agent({ connect, keepAliveTimeout: opts.keepAliveTimeoutMs ?? 10_000, keepAliveMaxTimeout: 60_000 })
}

/**
 * POST one request through `dispatcher.dispatch` and report each step.
 * Returns an abort function. Exactly one of onEnd / onError is called.
 */
export function exchange(dispatcher: Dispatcher, req: ExchangeRequest, clock: Clock, cb: ExchangeCallbacks): (reason: Error) => void {
  ensureSubscribed()
  const url = new URL(req.url)
  let controller: Dispatcher.DispatchController | null = null
  let pendingAbort: Error | null = null
  let sent = false
  let finished = false
  const wrapped: ExchangeCallbacks = {
    onSent: (t, c) => {
      if (!sent) (sent = true), cb.onSent(t, c)
    },
    onHeaders: cb.onHeaders,
    onData: cb.onData,
    onEnd: (t) => {
      if (!finished) (finished = true), cb.onEnd(t)
    },
    onError: (e) => {
      if (!finished) (finished = true), cb.onError(e)
    },
  }
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c
      if (pendingAbort) c.abort(pendingAbort)
    },
    onResponseStart(_c, status, headers) {
      const t = clock.monoMs()
      // If the channel did not attribute the send (request queued in a pool), headers imply it was sent.
      wrapped.onSent(t, null)
      wrapped.onHeaders(t, status, headers)
    },
    onResponseData(_c, chunk) {
      cb.onData(clock.monoMs(), chunk)
    },
    onResponseEnd() {
      wrapped.onEnd(clock.monoMs())
    },
    onResponseError(_c, err) {
      wrapped.onError(err)
    },
  }
  creating = wrapped
  creatingClock = clock
  try {
    dispatcher.dispatch({ origin: url.origin, path: url.pathname + url.search, method: 'POST', headers: req.headers, body: req.body, headersTimeout: 0, bodyTimeout: 0 }, handler)
  } catch (err) {
    wrapped.onError(err as Error)
  } finally {
    creating = null
    creatingClock = null
  }
  return (reason) => {
    if (finished) return
    if (controller) return controller.abort(reason)
    // Still queued or connecting: undici has not handed us a controller yet. End the
    // exchange on our side now, and abort the request the moment it starts, if it ever does.
    pendingAbort = reason
    wrapped.onError(reason)
  }
}
