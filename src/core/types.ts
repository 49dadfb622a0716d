import type { Blame, Outcome } from './outcome.js'

export type Protocol = 'openai-chat' | 'anthropic-messages'

/** Where a sample came from: continuous probing or a named campaign. */
export type SampleSource = 'probe' | `campaign:${string}`

/**
 * One measured request: the per-request fields of docs/METRICS.md.
 * Durations are milliseconds from one monotonic clock; `ts_ms` is the only wall time.
 * A field that could not be measured is `null`, never 0.
 */
/**
 * Qualifiers of a sample that do not change its outcome:
 * - `usage_missing`: the vendor sent no usage; counts are estimated with the reference tokenizer;
 * - `usage_suspect`: reported usage is impossible (negative, or fewer tokens than token-bearing events);
 *   token-rate fields are left null;
 * - `invalid_utf8`: bytes that are not UTF-8 were replaced (U+FFFD);
 * - `trailing_data`: events arrived after the terminal event and were ignored;
 * - `contaminated`: our own event loop stalled during the request; timings may carry our delay;
 * - `recheck`: a confirmation probe sent right after a provider failure (health only: it is
 *   stored, but window statistics leave it out, since it is sampled because something failed).
 */
export type SampleFlag = 'usage_missing' | 'usage_suspect' | 'invalid_utf8' | 'trailing_data' | 'contaminated' | 'recheck'

/** The per-request timing fields of docs/METRICS.md (computed in probe/timing.ts). */
export interface TimingFields {
  ttfb_ms: number | null
  ttft_ms: number | null
  ttfat_ms: number | null
  e2e_ms: number | null
  decode_ms: number | null
  tpot_ms: number | null
  output_tps: number | null
  e2e_tps: number | null
  gap_p50_ms: number | null
  gap_p99_ms: number | null
  gap_max_ms: number | null
}

export interface ProbeSample extends TimingFields {
  id: string
  ts_ms: number
  offering: string
  provider: string
  model: string
  region: string
  source: SampleSource
  prompt_bucket: string
  t_sched: number
  start_lag_ms: number
  connect_ms: number | null
  in_tokens: number | null
  out_tokens: number | null
  reasoning_tokens: number | null
  ref_out_tokens: number | null
  usage_diff_pct: number | null
  usage_source: 'reported' | 'estimated' | null
  cost_usd: number | null
  outcome: Outcome
  blame: Blame | null
  http_status: number | null
  error_message: string | null
  /** Deadline hit, when the outcome is a timeout: latencies are censored at this value. */
  censored_ms: number | null
  /** What the vendor asked us to wait (Retry-After and friends), capped; null if it did not say. */
  retry_after_ms: number | null
  flags: SampleFlag[]
}

/** The prompt one probe round sends to every offering of a model. */
export interface ProbePrompt {
  bucket: string
  /** Messages in OpenAI form; adapters translate. */
  system?: string
  user: string
  max_tokens: number
  /** Unique per round so no vendor's prefix cache flatters it. */
  round_id: string
}
