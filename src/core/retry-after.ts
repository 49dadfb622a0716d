/** Longest back-off we honour, whatever a vendor asks for (the Anthropic SDK has no cap; we do). */
export const RETRY_AFTER_CAP_MS = 300_000

/** OpenAI-style durations: `6m0s`, `1s`, `20ms`, `1h2m3.5s`. */
export function parseDuration(text: string): number | null {
  const s = text.trim()
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(s)) return null
  let ms = 0
  for (const [, num, unit] of s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) ms += Number(num) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[unit as 'h' | 'm' | 's' | 'ms']
  return ms
}

type Headers = Record<string, string | string[] | undefined>
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

/**
 * How long a vendor asks us to wait, in ms, capped; null when it does not say.
 * Precedence: `retry-after-ms`, then `Retry-After` (delta-seconds or HTTP-date,
 * RFC 9110 §10.2.3), then the longest OpenAI `x-ratelimit-reset-*` duration.
 *
 * @example parseRetryAfter({ 'retry-after': '7' }, Date.now()) // 7000
 */
export function parseRetryAfter(headers: Headers, nowWallMs: number): number | null {
  const cap = (ms: number) => Math.min(Math.max(0, ms), RETRY_AFTER_CAP_MS)
  const ms = first(headers['retry-after-ms'])
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return cap(Number(ms))
  const ra = first(headers['retry-after'])?.trim()
  if (ra) {
    if (/^\d+$/.test(ra)) return cap(Number(ra) * 1000)
    const date = Date.parse(ra)
    if (!Number.isNaN(date)) return cap(date - nowWallMs)
  }
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((h) => first(headers[h]))
    .filter((v): v is string => v !== undefined)
    .map(parseDuration)
    .filter((v): v is number => v !== null)
  return resets.length ? cap(Math.max(...resets)) : null
}
