/**
 * The terminal outcome of one probe and who is to blame for it, following the
 * fault matrix (reliability anchors §2). Only `provider` blame counts against
 * a vendor's availability; `local` (our network, config, key, cancellation)
 * and `quota` (429, quota exhausted) are reported beside it, never inside it.
 */
export type Blame = 'provider' | 'local' | 'quota'

export const OUTCOME_BLAME = {
  ok: null,
  'net.dns': 'local',
  'net.connect_refused': 'provider',
  'net.reset_before_headers': 'provider',
  'net.error': 'provider',
  'tls.error': 'provider',
  'timeout.connect': 'provider',
  'timeout.headers': 'provider',
  'timeout.ttft': 'provider',
  'timeout.idle': 'provider',
  'timeout.total': 'provider',
  'limit.tokens': 'provider',
  'limit.line': 'provider',
  'limit.response': 'provider',
  'stream.reset': 'provider',
  'stream.truncated': 'provider',
  'stream.error_event': 'provider',
  'stream.empty': 'provider',
  'protocol.sse': 'provider',
  'protocol.bad_json': 'provider',
  'protocol.content_type': 'provider',
  'http.429': 'quota',
  'auth.quota': 'quota',
  'http.5xx': 'provider',
  'http.overloaded': 'provider',
  'http.other': 'provider',
  'http.redirect': 'local',
  'auth.key': 'local',
  'config.request': 'local',
  cancelled: 'local',
  skipped: 'local',
  'local.error': 'local',
} as const satisfies Record<string, Blame | null>

export type Outcome = keyof typeof OUTCOME_BLAME
export const OUTCOMES = Object.keys(OUTCOME_BLAME) as Outcome[]

export function blameOf(outcome: Outcome): Blame | null {
  return OUTCOME_BLAME[outcome]
}

/** Outcome for an HTTP status that is not a 200 stream (the body may refine it). */
export function outcomeForStatus(status: number): Outcome {
  if (status === 429) return 'http.429'
  if (status === 402) return 'auth.quota'
  if (status === 401 || status === 403) return 'auth.key'
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'config.request'
  if (status === 529) return 'http.overloaded'
  if (status >= 300 && status < 400) return 'http.redirect'
  if (status >= 500) return 'http.5xx'
  return 'http.other'
}
