import { createParser, type EventSourceMessage } from 'eventsource-parser'

export type SseEvent = EventSourceMessage

export interface SseDecoderOptions {
  onEvent(event: SseEvent): void
  onComment?(comment: string): void
  /** Called once when a single line exceeds `maxLineBytes`; the caller should abort. */
  onOversize?(): void
  /** Cap on one unterminated line (reliability anchors §2 row 15). */
  maxLineBytes?: number
}

/**
 * THE one SSE decoder for every wire protocol: bytes → UTF-8 (multi-byte
 * sequences split across chunks are kept whole) → WHATWG event-stream events
 * (CR/LF/CRLF, BOM, comments, multi-line data) via `eventsource-parser`.
 * It does no timing: the caller stamps each chunk before feeding it.
 */
export function createSseDecoder(opts: SseDecoderOptions): { feed(bytes: Uint8Array): void; end(): void } {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false })
  let oversize = false
  const parser = createParser({
    onEvent: opts.onEvent,
    ...(opts.onComment ? { onComment: opts.onComment } : {}),
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded' && !oversize) {
        oversize = true
        opts.onOversize?.()
      }
    },
    maxBufferSize: opts.maxLineBytes ?? 1024 * 1024,
  })
  return {
    feed(bytes) {
      if (!oversize) parser.feed(decoder.decode(bytes, { stream: true }))
    },
    end() {
      // Flush a dangling partial UTF-8 sequence; an unterminated final event is discarded (WHATWG).
      if (!oversize) parser.feed(decoder.decode())
    },
  }
}
