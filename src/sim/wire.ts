import type { IncomingHttpHeaders } from 'node:http'
import type { SimChunk, SimPlan } from './script.js'

export type SimErrorKind = 'auth' | 'not_found' | 'bad_request' | 'rate_limit' | 'overloaded' | 'server_error' | 'outage'

export interface SimResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** A parsed, valid request to a simulated vendor. */
export interface SimRequest {
  model: string
  maxTokens: number
  stream: boolean
  includeUsage: boolean
  promptTokens: number
}

export type StreamPlan = Extract<SimPlan, { kind: 'stream' }>

/** Per-response state shared by the builder calls of one stream. */
export interface StreamCtx {
  id: string
  created: number
  req: SimRequest
  plan: StreamPlan
  /** Builder-private state (e.g. which Anthropic content block is open). */
  state: Record<string, unknown>
}

/**
 * The wire format of one protocol, as the real vendor writes it. The server is
 * protocol-agnostic; it routes, times and writes what these builders return.
 * Each builder returns complete SSE frames (`event:`/`data:` lines + blank line).
 */
export interface SimWire {
  readonly path: string
  hasCredentials(headers: IncomingHttpHeaders): boolean
  parseRequest(body: unknown): SimRequest | { error: string }
  error(kind: SimErrorKind, detail: string, retryAfterS: number): SimResponse
  streamHeaders(): Record<string, string>
  /** Frames written with the response headers, before the first token (role chunk, message_start, ping…). */
  streamOpen(ctx: StreamCtx): string
  streamChunk(ctx: StreamCtx, chunk: SimChunk): string
  /** Finish reason, usage and terminator. */
  streamClose(ctx: StreamCtx): string
  streamError(ctx: StreamCtx): string
  complete(ctx: StreamCtx): SimResponse
}

export function sseData(json: unknown): string {
  return `data: ${JSON.stringify(json)}\n\n`
}

export function sseEvent(event: string, json: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(json)}\n\n`
}

export function textOf(chunks: readonly SimChunk[], channel: SimChunk['channel']): string {
  return chunks.filter((c) => c.channel === channel).map((c) => c.text).join('')
}

export function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined
}
