/** What a strategy knows about one offering of a logical model. */
export interface OfferingInput {
  offering: string
  provider: string
  upstream_model: string
  /** Successful requests in the window. */
  n_ok: number
  n: number
  ttft_p90_ms: number | null
  ttfat_p90_ms: number | null
  output_tps_p50: number | null
  availability: number | null
  rate_limited_ratio: number | null
  cv_tps: number | null
  price_in_per_mtok: number
  price_out_per_mtok: number
}

export interface ScoredOffering {
  offering: string
  /** In [0, 1]; null when the offering is not measured enough to be scored. */
  score: number | null
  reasons: string[]
}

/**
 * One interface, many strategies: a strategy turns windowed measurements into
 * scores. Turning scores into safe integer weights is not its business (see weights.ts).
 */
export interface WeightStrategy {
  readonly name: string
  /** Weights ∝ score^sharpness (see profiles.ts). */
  readonly sharpness: number
  score(inputs: readonly OfferingInput[], opts: { minN: number }): ScoredOffering[]
}
