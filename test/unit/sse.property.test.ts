import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSseDecoder, type SseEvent } from '../../src/providers/sse.js'

/** Decode bytes fed in the given pieces. */
function decode(pieces: Uint8Array[]): SseEvent[] {
  const events: SseEvent[] = []
  const d = createSseDecoder({ onEvent: (e) => events.push({ ...(e.event ? { event: e.event } : {}), data: e.data }) })
  for (const p of pieces) d.feed(p)
  d.end()
  return events
}

/** Cut bytes at the given (sorted, deduplicated) offsets. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const p of points) (out.push(bytes.subarray(prev, p)), (prev = p))
  out.push(bytes.subarray(prev))
  return out
}

// Field values never contain CR or LF (the spec cannot carry them); anything else goes, astral characters included.
const value = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ' '))
const eventArb = fc.record({
  event: fc.option(fc.stringMatching(/^[a-z_]{1,12}$/), { nil: undefined }),
  lines: fc.array(value, { minLength: 1, maxLength: 3 }),
})
const eol = fc.constantFrom('\n', '\r\n', '\r')

describe('SSE decoder (property-based)', () => {
  it('gives the same events however the bytes are split, for any line-ending style, with comments and a BOM', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 8 }), eol, fc.boolean(), fc.array(fc.nat(), { maxLength: 30 }), (events, nl, bom, offsets) => {
        let text = bom ? '\uFEFF' : ''
        for (const e of events) {
          text += `: comment${nl}`
          if (e.event) text += `event: ${e.event}${nl}`
          for (const l of e.lines) text += `data: ${l}${nl}`
          text += nl
        }
        const bytes = new TextEncoder().encode(text)
        const expected = events.map((e) => ({ ...(e.event ? { event: e.event } : {}), data: e.lines.join('\n') }))
        expect(decode([bytes])).toEqual(expected)
        expect(decode(cut(bytes, offsets))).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, offsets) => {
        expect(() => decode(cut(bytes, offsets))).not.toThrow()
      }),
      { numRuns: 500 },
    )
  })
})
