import type { SimBehaviour } from '../config/sim-schema.js'
import { lognormalFromQuantiles, normal, uniformInt, type Rng } from '../core/random.js'
import { tokenText } from './text.js'

/** One piece of output, written at `atMs` after the request arrived. */
export interface SimChunk {
  atMs: number
  channel: 'reasoning' | 'answer'
  text: string
  tokens: number
}

export type SimPlan =
  | { kind: 'http_error'; reason: 'rate_limit' | 'overloaded' | 'server_error' | 'outage' }
  | { kind: 'reset' }
  | { kind: 'stall' }
  | {
      kind: 'stream'
      ttftMs: number
      chunks: SimChunk[]
      reasoningTokens: number
      answerTokens: number
      /** Index of the chunk after which an in-band error is sent instead of the rest. */
      errorAfter: number | null
      finishReason: 'stop' | 'length'
    }

/** 1 at the peak hour, falling to 0 six hours either side (UTC hours). */
export function busyness(wallMs: number, peakHour: number): number {
  const hour = (wallMs / 3_600_000) % 24
  return Math.max(0, Math.cos((2 * Math.PI * (hour - peakHour)) / 24))
}

export function inOutage(b: SimBehaviour, wallMs: number): SimBehaviour['outages'][number] | undefined {
  const s = wallMs / 1000
  return b.outages.find((o) => (((s - o.offset_s) % o.every_s) + o.every_s) % o.every_s < o.for_s)
}

/**
 * Decide, up front and purely, what the simulated vendor will do with one
 * request: fail, or stream which tokens when. The server only replays the plan.
 */
export function planRequest(b: SimBehaviour, req: { maxTokens: number; wallMs: number }, rng: Rng): SimPlan {
  const outage = inOutage(b, req.wallMs)
  if (outage) return outage.mode === 'http_error' ? { kind: 'http_error', reason: 'outage' } : { kind: outage.mode }
  const roll = rng.next()
  if (roll < b.rate_limit_rate) return { kind: 'http_error', reason: 'rate_limit' }
  if (roll < b.rate_limit_rate + b.overload_rate) return { kind: 'http_error', reason: 'overloaded' }
  if (roll < b.rate_limit_rate + b.overload_rate + b.error_rate) return { kind: 'http_error', reason: 'server_error' }

  const load = 1 + b.time_of_day.amplitude * busyness(req.wallMs, b.time_of_day.peak_hour)
  let ttft = lognormalFromQuantiles(rng, b.ttft_ms.p50, b.ttft_ms.p90) * load
  if (rng.next() < b.ttft_tail.prob) ttft *= b.ttft_tail.factor
  // Per-request decode speed: lognormal around the median with the scripted CV.
  const sigma = Math.sqrt(Math.log(1 + b.decode_tps.cv ** 2))
  const tps = (b.decode_tps.p50 * Math.exp(sigma * normal(rng))) / load
  const natural = (p50: number) => (p50 === 0 ? 0 : Math.max(1, Math.round(lognormalFromQuantiles(rng, p50, p50 * 1.5))))
  const reasoningTokens = Math.min(natural(b.reasoning_tokens.p50), Math.max(0, req.maxTokens - 1))
  const answerWanted = natural(b.output_tokens.p50)
  const answerTokens = Math.max(1, Math.min(answerWanted, req.maxTokens - reasoningTokens))
  const finishReason = reasoningTokens + answerWanted > req.maxTokens ? 'length' : 'stop'

  const chunks: SimChunk[] = []
  let at = ttft
  const emit = (channel: SimChunk['channel'], total: number) => {
    let left = total
    while (left > 0) {
      const n = Math.min(left, uniformInt(rng, b.tokens_per_chunk.min, b.tokens_per_chunk.max))
      let text = ''
      for (let i = 0; i < n; i++) text += tokenText(rng, channel === 'reasoning')
      if (chunks.length > 0) {
        const gap = (n / tps) * 1000
        at += Math.max(0, gap * (1 + b.chunk_jitter * normal(rng)))
      }
      chunks.push({ atMs: at, channel, text, tokens: n })
      left -= n
    }
  }
  emit('reasoning', reasoningTokens)
  emit('answer', answerTokens)
  const errorAfter = rng.next() < b.midstream_error_rate ? Math.floor(rng.next() * chunks.length) : null
  return { kind: 'stream', ttftMs: ttft, chunks, reasoningTokens, answerTokens, errorAfter, finishReason }
}
