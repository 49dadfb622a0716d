import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SimBehaviour, SimVendorConfig } from '../config/sim-schema.js'
import type { Clock } from '../core/clock.js'
import { seededRng, type Rng } from '../core/random.js'
import { anthropicWire } from './anthropic-wire.js'
import { openAiWire } from './openai-wire.js'
import { planRequest } from './script.js'
import type { SimErrorKind, SimResponse, SimWire, StreamCtx, StreamPlan } from './wire.js'

export interface SimVendorHandle {
  id: string
  /** Base URL to configure a provider with, e.g. `http://127.0.0.1:40123/v1`. */
  baseUrl: string
  close(): Promise<void>
}

const MAX_BODY = 4 * 1024 * 1024
/** A stalled outage keeps the socket open this long at most, then closes it. */
const STALL_CAP_MS = 10 * 60_000

/** A behaviour that changes over time (scenarios, benchmarks): the model's behaviour at this wall time. */
export type SimScript = (model: string, wallMs: number) => SimBehaviour | undefined

interface VendorCtx {
  vendor: SimVendorConfig
  script?: SimScript
  wire: SimWire
  rng: Rng
  clock: Clock
  /** Live responses, so close() can end them instead of waiting minutes for streams to finish. */
  open: Set<ServerResponse>
}

function send(res: ServerResponse, r: SimResponse): void {
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) })
  res.end(r.body)
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) return resolve(null)
      parts.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', () => resolve(null))
  })
}

/**
 * Replay a planned stream: open frames with the headers, then each chunk at
 * its planned instant after the request arrived (absolute targets on a
 * monotonic clock, so timer lateness does not accumulate).
 */
function streamPlan(res: ServerResponse, ctx: StreamCtx, v: VendorCtx, tArrive: number): void {
  res.writeHead(200, v.wire.streamHeaders())
  res.write(v.wire.streamOpen(ctx))
  const { chunks, errorAfter } = ctx.plan
  let i = 0
  let timer: NodeJS.Timeout | undefined
  res.on('close', () => clearTimeout(timer))
  const step = () => {
    if (res.destroyed) return
    const c = chunks[i]!
    res.write(v.wire.streamChunk(ctx, c))
    if (errorAfter === i) return void res.end(v.wire.streamError(ctx))
    i++
    if (i >= chunks.length) return void res.end(v.wire.streamClose(ctx))
    timer = setTimeout(step, Math.max(0, tArrive + chunks[i]!.atMs - v.clock.monoMs()))
  }
  timer = setTimeout(step, Math.max(0, tArrive + chunks[0]!.atMs - v.clock.monoMs()))
}

async function handle(req: IncomingMessage, res: ServerResponse, v: VendorCtx): Promise<void> {
  const tArrive = v.clock.monoMs()
  const url = new URL(req.url ?? '/', 'http://sim')
  const fail = (kind: SimErrorKind, detail = '') => send(res, v.wire.error(kind, detail, behaviourOf(v, '')?.retry_after_s ?? 2))
  if (req.method === 'GET' && url.pathname === '/v1/models') {
    const data = Object.keys(v.vendor.models).map((id) => ({ id, object: 'model', created: 0, owned_by: v.vendor.id, type: 'model', display_name: id }))
    return send(res, { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ object: 'list', data }) })
  }
  if (req.method !== 'POST' || url.pathname !== v.wire.path) return fail('not_found', url.pathname)
  if (v.vendor.auth === 'any' && !v.wire.hasCredentials(req.headers)) return fail('auth')
  const raw = await readBody(req)
  if (raw === null) return fail('bad_request', 'request body too large or unreadable')
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return fail('bad_request', 'We could not parse the JSON body of your request.')
  }
  const parsed = v.wire.parseRequest(json)
  if ('error' in parsed) return fail('bad_request', parsed.error)
  const behaviour = v.script ? v.script(parsed.model, v.clock.wallMs()) : behaviourOf(v, parsed.model)
  if (!behaviour) return fail('not_found', parsed.model)
  const plan = planRequest(behaviour, { maxTokens: parsed.maxTokens, wallMs: v.clock.wallMs() }, v.rng)
  switch (plan.kind) {
    case 'http_error': {
      const kind = plan.reason === 'rate_limit' ? 'rate_limit' : plan.reason === 'overloaded' ? 'overloaded' : plan.reason
      return send(res, v.wire.error(kind, '', behaviour.retry_after_s))
    }
    case 'reset':
      return void req.socket.destroy()
    case 'stall': {
      res.writeHead(200, v.wire.streamHeaders())
      res.flushHeaders() // headers go out now; then nothing, as a stuck upstream does
      const t = setTimeout(() => res.end(), STALL_CAP_MS)
      res.on('close', () => clearTimeout(t))
      return
    }
  }
  const ctx: StreamCtx = { id: idFor(v.wire), created: Math.floor(v.clock.wallMs() / 1000), req: parsed, plan: plan as StreamPlan, state: {} }
  if (parsed.stream) return streamPlan(res, ctx, v, tArrive)
  const last = plan.chunks[plan.chunks.length - 1]!
  const t = setTimeout(() => send(res, v.wire.complete(ctx)), Math.max(0, tArrive + last.atMs - v.clock.monoMs()))
  res.on('close', () => clearTimeout(t))
}

function behaviourOf(v: VendorCtx, model: string): SimBehaviour | undefined {
  return v.vendor.resolved[model] ?? (model === '' ? v.vendor.behaviour : undefined)
}

function idFor(wire: SimWire): string {
  const hex = randomUUID().replace(/-/g, '')
  return wire.path === '/v1/messages' ? `msg_wbsim${hex.slice(0, 20)}` : `chatcmpl-wbsim${hex.slice(0, 20)}`
}

/** Start one simulated vendor on loopback. */
export async function startSimVendor(vendor: SimVendorConfig, deps: { clock: Clock; rng?: Rng; script?: SimScript }): Promise<SimVendorHandle> {
  const wire = vendor.protocol === 'anthropic-messages' ? anthropicWire() : openAiWire(vendor.usage_style)
  const rng = deps.rng ?? seededRng(vendor.seed ?? hashSeed(vendor.id))
  const v: VendorCtx = { vendor, wire, rng, clock: deps.clock, open: new Set(), ...(deps.script ? { script: deps.script } : {}) }
  const server: Server = createServer((req, res) => {
    v.open.add(res)
    res.on('close', () => v.open.delete(res))
    handle(req, res, v).catch((err: unknown) => {
      if (!res.headersSent) send(res, wire.error('server_error', String(err), 1))
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(vendor.port, vendor.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const host = vendor.host.includes(':') ? `[${vendor.host}]` : vendor.host
  return {
    id: vendor.id,
    baseUrl: `http://${host}:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of v.open) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Stable seed per vendor id, so a restarted simulator behaves the same way. */
function hashSeed(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

export async function startSimFleet(vendors: readonly SimVendorConfig[], deps: { clock: Clock }): Promise<{ urls: Map<string, string>; close(): Promise<void> }> {
  const handles: SimVendorHandle[] = []
  try {
    for (const vendor of vendors) handles.push(await startSimVendor(vendor, deps))
  } catch (err) {
    await Promise.all(handles.map((h) => h.close()))
    throw err
  }
  return {
    urls: new Map(handles.map((h) => [h.id, h.baseUrl])),
    close: async () => void (await Promise.all(handles.map((h) => h.close()))),
  }
}
