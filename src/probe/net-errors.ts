import type { Outcome } from '../core/outcome.js'

function codesOf(err: unknown): string[] {
  const codes: string[] = []
  let e: unknown = err
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    e = (e as { cause?: unknown }).cause
  }
  return codes
}

/**
 * Outcome of a transport-level failure, by the error codes in its cause chain
 * and whether the response headers had already arrived.
 */
export function classifyNetworkError(err: unknown, afterHeaders: boolean): Outcome {
  const codes = codesOf(err)
  const has = (...c: string[]) => codes.some((x) => c.includes(x))
  if (has('ENOTFOUND', 'EAI_AGAIN')) return 'net.dns'
  if (has('ECONNREFUSED')) return 'net.connect_refused'
  if (has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT')) return 'timeout.connect'
  if (has('UND_ERR_HEADERS_TIMEOUT')) return 'timeout.headers'
  if (has('UND_ERR_BODY_TIMEOUT')) return 'timeout.idle'
  if (codes.some((c) => c.startsWith('ERR_TLS') || c.includes('CERT') || c === 'EPROTO')) return 'tls.error'
  if (has('UND_ERR_RES_EXCEEDED_MAX_SIZE')) return 'limit.response'
  if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE'))
    return afterHeaders ? 'stream.reset' : 'net.reset_before_headers'
  return afterHeaders ? 'stream.reset' : 'net.error'
}
