import { readFileSync } from 'node:fs'
import type { StreamDelta, WireAdapter } from '../../src/providers/adapter.js'
import { createSseDecoder } from '../../src/providers/sse.js'
import type { Rng } from '../../src/core/random.js'

export const FIXTURES = new URL('../fixtures/sse/', import.meta.url)

export interface Replayed {
  answer: string
  reasoning: string
  in_tokens?: number
  out_tokens?: number
  reasoning_tokens?: number
  done: boolean
  errors: string[]
  events: number
}

/** A `*.chunks.jsonl` fixture framed as the vendor sent it (named events for Anthropic). */
export function frameChunks(file: string): Buffer {
  const lines = readFileSync(new URL(file, FIXTURES), 'utf8').split('\n').filter((l) => l.trim())
  const anthropic = lines.some((l) => (JSON.parse(l) as { type?: string }).type === 'message_start')
  const body = lines.map((l) => (anthropic ? `event: ${(JSON.parse(l) as { type: string }).type}\ndata: ${l}\n\n` : `data: ${l}\n\n`)).join('')
  return Buffer.from(anthropic ? body : `${body}data: [DONE]\n\n`)
}

export function fixtureBytes(file: string): Buffer {
  return file.endsWith('.jsonl') ? frameChunks(file) : readFileSync(new URL(file, FIXTURES))
}

/** Feed bytes through THE decoder and an adapter, in the given pieces. */
export function replay(adapter: WireAdapter, bytes: Uint8Array, split: (b: Uint8Array) => Uint8Array[] = (b) => [b]): Replayed {
  const out: Replayed = { answer: '', reasoning: '', done: false, errors: [], events: 0 }
  const interp = adapter.interpreter()
  const apply = (d: StreamDelta) => {
    if (d.kind === 'token') out[d.channel] += d.text
    else if (d.kind === 'usage') {
      if (d.in_tokens !== undefined) out.in_tokens = d.in_tokens
      if (d.out_tokens !== undefined) out.out_tokens = d.out_tokens
      if (d.reasoning_tokens !== undefined) out.reasoning_tokens = d.reasoning_tokens
    } else if (d.kind === 'done') out.done = true
    else out.errors.push(`${d.outcome}: ${d.message}`)
  }
  const sse = createSseDecoder({ onEvent: (e) => { out.events++; interp.onEvent(e).forEach(apply) } })
  for (const piece of split(bytes)) sse.feed(piece)
  sse.end()
  return out
}

export function randomSplits(rng: Rng, maxPiece = 64): (b: Uint8Array) => Uint8Array[] {
  return (b) => {
    const pieces: Uint8Array[] = []
    for (let i = 0; i < b.length; ) {
      const n = 1 + Math.floor(rng.next() * maxPiece)
      pieces.push(b.subarray(i, i + n))
      i += n
    }
    return pieces
  }
}

export const oneByte = (b: Uint8Array) => Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1))
