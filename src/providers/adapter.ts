import type { Outcome } from '../core/outcome.js'
import type { ProbePrompt, Protocol } from '../core/types.js'
import { redactSecrets } from '../core/redact.js'
import type { SseEvent } from './sse.js'

/** What one SSE event means, in protocol-neutral terms. */
export type StreamDelta =
  | { kind: 'token'; channel: 'answer' | 'reasoning'; text: string }
  | { kind: 'usage'; in_tokens?: number; out_tokens?: number; reasoning_tokens?: number }
  | { kind: 'done' }
  | { kind: 'error'; outcome: Outcome; message: string }

export interface WireRequest {
  url: string
  headers: Record<string, string>
  body: string
}

export interface BuildRequestArgs {
  baseUrl: string
  apiKey: string | undefined
  headers: Record<string, string>
  upstreamModel: string
  prompt: ProbePrompt
}

/** Per-stream state: feed events in order, get deltas out. */
export interface StreamInterpreter {
  onEvent(event: SseEvent): readonly StreamDelta[]
}

/**
 * One adapter per WIRE PROTOCOL; vendors are config rows. Adapters are pure:
 * no I/O, no clock. The probe runner owns the network and the timestamps.
 */
export interface WireAdapter {
  readonly protocol: Protocol
  buildRequest(args: BuildRequestArgs): WireRequest
  interpreter(): StreamInterpreter
  /** A non-200 answer: the status decides, the body may refine (e.g. quota vs rate limit). */
  classifyError(status: number, body: string): { outcome: Outcome; message: string }
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path
}

export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** A bounded, single-line excerpt of untrusted text for error messages. */
export function excerpt(text: string, max = 256): string {
  const flat = redactSecrets(text.replace(/\s+/g, ' ').trim())
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}
