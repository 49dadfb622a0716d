import type { ProbeSample } from '../../src/core/types.js'

/** A complete, plausible successful sample; override what the test is about. */
export function sample(over: Partial<ProbeSample> = {}): ProbeSample {
  return {
    id: crypto.randomUUID(), ts_ms: 1_700_000_000_000, offering: 'a/m', provider: 'a', model: 'm', region: 'r', source: 'probe', prompt_bucket: 'short',
    t_sched: 1_700_000_000_000, start_lag_ms: 0.5, connect_ms: null, ttfb_ms: 10, ttft_ms: 200, ttfat_ms: 200, e2e_ms: 400, decode_ms: 190,
    tpot_ms: 10, output_tps: 100, e2e_tps: 50, gap_p50_ms: 10, gap_p99_ms: 12, gap_max_ms: 13, in_tokens: 12, out_tokens: 20, reasoning_tokens: null,
    ref_out_tokens: 20, usage_diff_pct: 0, usage_source: 'reported', cost_usd: 0.00001, outcome: 'ok', blame: null, http_status: 200, error_message: null, censored_ms: null,
    retry_after_ms: null, flags: [],
    ...over,
  }
}

/** SLO targets for tests that do not care about them. */
export const TEST_SLO = { ttft_ms: 2000, tpot_ms: 100, e2e_ms: 30_000, availability: 0.99 }
