import { createParser, type EventSourceMessage } from 'eventsource-parser'

export type SseEvent = EventSourceMessage

export interface SseDecoderOptions {
  onEvent(event: SseEvent): void
  onComment?(comment: string): void
  /** Called once when a single line exceeds `maxLineBytes`; the caller should abort. */
  onOversize?(): void
  /** Cap on one unterminated line (reliability anchors §2 row 15). */
  maxLineBytes?: number
  /** Called when bytes that are not UTF-8 were replaced by U+FFFD (row 14). */
  onInvalidUtf8?(): void
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
  let lastWasCr = false
  /** The decoder may hold the start of a multi-byte sequence (the last chunk did not end in ASCII). */
  let pending = true // the first chunk always goes through the decoder, which strips a BOM
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
      if (oversize || bytes.length === 0) return
      // Fast path: nothing pending and the chunk ends in ASCII, so no sequence is cut at its end
      // (a cut one before an ASCII byte is invalid and replaced either way).
      const endsAscii = bytes[bytes.length - 1]! < 0x80
      const text = !pending && endsAscii ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : decoder.decode(bytes, { stream: true })
      pending = !endsAscii
      if (text.length === 0) return
      if (text.includes('\uFFFD')) opts.onInvalidUtf8?.()
      lastWasCr = text.endsWith('\r')
      parser.feed(text)
    },
    end() {
      if (oversize) return
      // Flush a dangling partial UTF-8 sequence. A final CR may have been waiting for an LF
      // (CRLF); at end of stream it is a line end. An unterminated final event is discarded (WHATWG).
      const rest = pending ? decoder.decode() : ''
      if (rest.includes('\uFFFD')) opts.onInvalidUtf8?.()
      parser.feed(rest + (lastWasCr || rest.endsWith('\r') ? '\n' : ''))
    },
  }
}
