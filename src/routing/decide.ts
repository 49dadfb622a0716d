import type { WindowName } from '../stats/windows.js'
import type { HealthVerdict } from './health.js'
import type { OfferingInput, ScoredOffering } from './strategy.js'
import { apportion, TOTAL_POINTS, validateWeights } from './weights.js'

export type OfferingState = 'healthy' | 'probation' | 'ejected' | 'unmeasured'
export type TableStatus = 'ok' | 'degraded' | 'stale' | 'panic'

export interface ProviderWeight {
  provider: string
  offering: string
  upstream_model: string
  weight: number
  state: OfferingState
  score: number | null
  reasons: string[]
  /** The window's measurements the score was computed from. */
  metrics: { window: WindowName } & Omit<OfferingInput, 'offering' | 'provider' | 'upstream_model'>
}

export interface ModelWeights {
  status: TableStatus
  status_reason?: string
  providers: ProviderWeight[]
}

export interface DecideParams {
  window: WindowName
  /** Share of the model every offering that is not ejected keeps. */
  floor: number
  /** Most of the model's share (total variation, 0–1) one publish may move. */
  maxStep: number
  /** Weights ∝ score^sharpness: the profile's. */
  sharpness: number
}

export interface DecideInput {
  inputs: readonly OfferingInput[]
  /** Scores after smoothing, one per input. */
  scored: readonly ScoredOffering[]
  verdicts: readonly HealthVerdict[]
  /** What was published last for this model (any status), by offering. */
  prev?: ReadonlyMap<string, number>
  /** The last table published with status ok. */
  lastGood?: readonly ProviderWeight[]
  params: DecideParams
}

/** Half the L1 distance between two weight vectors, as a share of the total: how much traffic moves. */
export function moved(a: readonly number[], b: readonly number[]): number {
  let d = 0
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - b[i]!)
  return d / 2 / TOTAL_POINTS
}

/** Move from `prev` toward `target` by at most `maxStep` of the total, in integers summing to 1000. */
export function capStep(prev: readonly number[], target: readonly number[], maxStep: number): { weights: number[]; capped: boolean } {
  if (moved(prev, target) <= maxStep) return { weights: [...target], capped: false }
  let f = maxStep / moved(prev, target)
  for (;;) {
    const w = apportion(prev.map((p, i) => Math.max(0, p + f * (target[i]! - p))))
    if (moved(prev, w) <= maxStep || f <= 0) return { weights: w, capped: true }
    f *= 0.95
  }
}

/**
 * One model's weights, decided from scores, health and what was published
 * before. Pure. The rules that are never broken: the result sums to 1000 in
 * non-negative integers, and it never moves more than `maxStep` of the
 * traffic at once. Ejected offerings (and those on trial) get nothing; every other one keeps the
 * exploration floor; the rest follows sharpened scores times the health
 * multiplier (probation, slow start). If more than half of the offerings look
 * down, or all, the fault is presumed ours: last known good, status `panic`.
 */
export function decideModel(d: DecideInput): ModelWeights {
  const { inputs, scored, verdicts, params } = d
  const n = inputs.length
  const states = inputs.map((_, i): OfferingState => (verdicts[i]!.state === 'healthy' && scored[i]!.score === null ? 'unmeasured' : verdicts[i]!.state))
  const base = inputs.map((inp, i): ProviderWeight => {
    const { offering, provider, upstream_model, ...metrics } = inp
    const health = verdicts[i]!.reason
    return { provider, offering, upstream_model, weight: 0, state: states[i]!, score: scored[i]!.score, reasons: health ? [health, ...scored[i]!.reasons] : [...scored[i]!.reasons], metrics: { window: params.window, ...metrics } }
  })
  const prevWeights = d.prev && inputs.every((x) => d.prev!.has(x.offering)) ? inputs.map((x) => d.prev!.get(x.offering)!) : null
  const finish = (status: TableStatus, target: number[], reason?: string): ModelWeights => {
    const invalid = validateWeights(target)
    if (invalid) throw new Error(`internal: candidate weights invalid: ${invalid}`) // callers validate again; this is a bug if hit
    let weights = target
    let note: string | undefined
    if (prevWeights) {
      const c = capStep(prevWeights, target, params.maxStep)
      weights = c.weights
      if (c.capped) note = `moving toward the new weights at most ${Math.round(params.maxStep * 100)}% of traffic per publish`
    }
    const providers = base.map((p, i) => ({ ...p, weight: weights[i]! }))
    const why = [reason, note].filter(Boolean).join('; ')
    return { status, ...(why ? { status_reason: why } : {}), providers }
  }

  // Panic: most offerings of the model look down at once.
  const judged = inputs.filter((x, i) => x.n > 0 || x.availability !== null || verdicts[i]!.state !== 'healthy')
  const down = inputs.filter((x, i) => verdicts[i]!.state === 'ejected' || (verdicts[i]!.state === 'probation' && verdicts[i]!.multiplier <= 0.5) || (x.availability !== null && x.availability < 0.5))
  if (judged.length > 0 && (down.length * 2 > judged.length || down.length === n)) {
    const reason = `${down.length} of ${judged.length} measured offerings look down at once; assuming the fault may be ours (network, key)`
    const good = d.lastGood && d.lastGood.length === n ? inputs.map((x) => d.lastGood!.find((p) => p.offering === x.offering)?.weight) : null
    if (good && good.every((w) => w !== undefined)) return finish('panic', good as number[], `${reason}; serving the last known good weights`)
    return finish('panic', apportion(inputs.map(() => 1)), `${reason}; no good table yet, equal weights`)
  }

  // Ejected, or on trial (multiplier 0): no traffic, not even the floor; the prober keeps measuring them.
  const eligible = verdicts.map((v) => v.state !== 'ejected' && v.multiplier > 0)
  const count = eligible.filter(Boolean).length
  const scoredEligible = inputs.filter((_, i) => eligible[i] && scored[i]!.score !== null && scored[i]!.score! > 0)
  if (scoredEligible.length === 0) {
    const equal = apportion(eligible.map((e) => (e ? 1 : 0)))
    return finish('degraded', equal, 'no offering is measured enough to be scored yet; equal weights among those not ejected')
  }
  const floor = Math.min(params.floor, 1 / count)
  const raw = inputs.map((_, i) => (eligible[i] && scored[i]!.score !== null ? Math.pow(scored[i]!.score!, params.sharpness) * verdicts[i]!.multiplier : 0))
  const rawSum = raw.reduce((a, b) => a + b, 0)
  const rest = 1 - floor * count
  const shares = raw.map((x, i) => (eligible[i] ? floor + (rawSum > 0 ? (rest * x) / rawSum : rest / count) : 0))
  return finish('ok', apportion(shares))
}
