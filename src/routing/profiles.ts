import type { OfferingInput, ScoredOffering, WeightStrategy } from './strategy.js'

/**
 * How much each dimension matters (exponents of a weighted geometric mean),
 * and how sharply scores become traffic: weights ∝ score^sharpness, a softmax
 * over log-scores with temperature 1/sharpness. `latency` and `throughput`
 * are winner-take-most (a gateway that asks for speed wants the fastest, with
 * the exploration floor still measuring the rest); `balanced` spreads.
 */
export interface ProfileWeights {
  latency: number
  throughput: number
  availability: number
  price: number
  stability: number
  sharpness: number
}

export const PROFILES: Record<string, ProfileWeights> = {
  balanced: { latency: 1, throughput: 1, availability: 2, price: 0.5, stability: 0.3, sharpness: 3 },
  latency: { latency: 3, throughput: 1, availability: 2, price: 0.05, stability: 0.3, sharpness: 12 },
  throughput: { latency: 0.5, throughput: 3, availability: 2, price: 0.05, stability: 0.3, sharpness: 12 },
  cost: { latency: 0.3, throughput: 0.3, availability: 2, price: 3, stability: 0.1, sharpness: 6 },
}

/** A profile is named by the config; the four above always exist. */
export type ProfileName = string
export const PROFILE_NAMES = Object.keys(PROFILES)

/** The built-in profiles with the config's overrides and additions (a new one starts from `balanced`). */
export function buildProfiles(overrides: Record<string, { [K in keyof ProfileWeights]?: number | undefined }> = {}): Record<string, ProfileWeights> {
  const out: Record<string, ProfileWeights> = { ...PROFILES }
  for (const [name, o] of Object.entries(overrides)) {
    const set = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
    out[name] = { ...(PROFILES[name] ?? PROFILES.balanced!), ...set }
  }
  return out
}

/** Blended price of a typical request: output tokens cost more and dominate decode-heavy traffic. */
const blendedPrice = (o: OfferingInput) => (o.price_in_per_mtok + 3 * o.price_out_per_mtok) / 4

const fmt = (x: number, digits = 0) => x.toFixed(digits)

/**
 * Relative scoring: each dimension is a ratio to the best measured peer in
 * (0, 1] (availability alone is absolute), combined as a weighted geometric mean, so one bad dimension cannot
 * be hidden by a sum and no absolute thresholds are needed per model.
 * Latency uses P90 time to first *answer* token when known (it includes
 * thinking time), else P90 TTFT: tails, not means, are what users feel.
 */
export function relativeStrategy(name: string, w: ProfileWeights): WeightStrategy {
  return {
    name,
    sharpness: w.sharpness,
    score(inputs, { minN }) {
      const latencyOf = (o: OfferingInput) => o.ttfat_p90_ms ?? o.ttft_p90_ms
      const measured = inputs.filter((o) => o.n_ok >= minN && latencyOf(o) !== null && o.output_tps_p50 !== null)
      const bestLat = Math.min(...measured.map((o) => latencyOf(o)!))
      const bestTps = Math.max(...measured.map((o) => o.output_tps_p50!))
      const prices = measured.map(blendedPrice).filter((p) => p > 0)
      const bestPrice = prices.length ? Math.min(...prices) : 0
      const bestCv = Math.min(...measured.map((o) => o.cv_tps ?? 0))
      return inputs.map((o): ScoredOffering => {
        if (!measured.includes(o)) return { offering: o.offering, score: null, reasons: [`unmeasured: ${o.n_ok} successful requests in window, ${minN} needed`] }
        const lat = latencyOf(o)!
        const rLat = bestLat / lat
        const rTps = o.output_tps_p50! / bestTps
        const price = blendedPrice(o)
        const rPrice = price > 0 && bestPrice > 0 ? bestPrice / price : 1
        const avail = o.availability ?? 1
        // Availability is not relative: 99% → 0.82, 95% → 0.36 (a vendor dropping 1 in 20 is bad whatever its peers do).
        const rAvail = Math.pow(Math.max(avail, 1e-6), 20)
        const rStable = (1 + bestCv) / (1 + (o.cv_tps ?? 0))
        const total = w.latency + w.throughput + w.availability + w.price + w.stability
        const logScore = (w.latency * Math.log(rLat) + w.throughput * Math.log(rTps) + w.availability * Math.log(rAvail) + w.price * Math.log(rPrice) + w.stability * Math.log(rStable)) / total
        const latName = o.ttfat_p90_ms !== null ? 'p90 ttfat' : 'p90 ttft'
        const reasons = [
          `${latName} ${fmt(lat)} ms${rLat === 1 ? `, best of ${measured.length}` : ` (${fmt(lat / bestLat, 2)}x best)`}`,
          `decode p50 ${fmt(o.output_tps_p50!, 1)} tok/s${rTps === 1 ? `, best of ${measured.length}` : ` (${fmt(rTps * 100)}% of best)`}`,
          `availability ${fmt(avail * 100, 1)}%`,
        ]
        if ((o.rate_limited_ratio ?? 0) > 0) reasons.push(`rate limited ${fmt(o.rate_limited_ratio! * 100, 1)}% (not counted against health)`)
        return { offering: o.offering, score: Math.round(Math.exp(logScore) * 10_000) / 10_000, reasons }
      })
    },
  }
}

export function strategiesFor(profiles: Record<string, ProfileWeights>): Record<string, WeightStrategy> {
  return Object.fromEntries(Object.entries(profiles).map(([n, w]) => [n, relativeStrategy(n, w)]))
}

/** The built-in profiles as strategies. */
export const strategies = strategiesFor(PROFILES) as Record<'balanced' | 'latency' | 'throughput' | 'cost', WeightStrategy>
