import { createHash } from 'node:crypto'
import type { Catalog, CatalogModel } from '../catalog.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../log.js'
import type { StatsService } from '../stats/stats-service.js'
import type { WindowStats } from '../stats/window-stats.js'
import type { WindowName } from '../stats/windows.js'
import { PROFILE_NAMES, strategies, type ProfileName } from './profiles.js'
import type { OfferingInput } from './strategy.js'
import { apportion, validateWeights, weightsFromScores } from './weights.js'

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

export interface WeightsDocument {
  version: number
  generated_at: string
  ttl_s: number
  status: TableStatus
  data_age_s: number | null
  profile: ProfileName
  window: WindowName
  models: Record<string, ModelWeights>
}

/** A published table, serialised once; requests only pick the bytes. */
export interface PublishedTable {
  doc: WeightsDocument
  body: string
  etag: string
  /** Pre-serialised per-model views for `?model=`. */
  byModel: ReadonlyMap<string, { body: string; etag: string }>
}

export interface WeightsOptions {
  catalog: Catalog
  stats: StatsService
  clock: Clock
  log: Logger
  window: WindowName
  minN: number
  floor: number
  availabilityTarget: number
  ttlS: number
  defaultProfile: ProfileName
}

export interface WeightsService {
  recompute(): void
  current(profile?: ProfileName): PublishedTable | undefined
  readonly defaultProfile: ProfileName
}

function inputFor(m: CatalogModel, stats: ReadonlyMap<string, WindowStats> | undefined): OfferingInput[] {
  return m.offerings.map((o) => {
    const s = stats?.get(o.id)
    return {
      offering: o.id,
      provider: o.provider,
      upstream_model: o.upstream_model,
      n_ok: s?.n_ok ?? 0,
      n: s?.n ?? 0,
      ttft_p90_ms: s?.ttft_p90 ?? null,
      ttfat_p90_ms: s?.ttfat_p90 ?? null,
      output_tps_p50: s?.output_tps_p50 ?? null,
      availability: s?.availability ?? null,
      rate_limited_ratio: s?.rate_limited_ratio ?? null,
      cv_tps: s?.cv_tps ?? null,
      price_in_per_mtok: o.price.input_per_mtok,
      price_out_per_mtok: o.price.output_per_mtok,
    }
  })
}

const etagOf = (body: string) => `"${createHash('sha1').update(body).digest('base64url')}"`

/**
 * Recomputes routing weights from the stats snapshot and publishes them as
 * immutable, pre-serialised tables. Safety first: a candidate that fails
 * validation is never published (the previous one stays), and when most of a
 * model's vendors look broken at once the fault is assumed to be ours, so the
 * last good weights are kept with `status: "panic"` instead of zeroing anyone.
 */
export function createWeightsService(o: WeightsOptions): WeightsService {
  const tables = new Map<ProfileName, PublishedTable>()
  const lastGood = new Map<string, ProviderWeight[]>() // key: profile + model
  let version = 0

  const modelTable = (profile: ProfileName, m: CatalogModel, stats: ReadonlyMap<string, WindowStats> | undefined): ModelWeights => {
    const inputs = inputFor(m, stats)
    const scored = strategies[profile].score(inputs, { minN: o.minN })
    const weights = weightsFromScores(scored, o.floor)
    const providers = inputs.map((inp, i): ProviderWeight => {
      const sc = scored[i]!
      const state: OfferingState = sc.score === null ? 'unmeasured' : (inp.availability ?? 1) < o.availabilityTarget ? 'probation' : 'healthy'
      const { offering, provider, upstream_model, n, n_ok, ...metrics } = inp
      return { provider, offering, upstream_model, weight: weights[i] ?? 0, state, score: sc.score, reasons: sc.reasons, metrics: { window: o.window, n, n_ok, ...metrics } }
    })
    const key = `${profile}\u0000${m.id}`
    const judged = inputs.filter((x) => x.availability !== null)
    const failing = judged.filter((x) => x.availability! < 0.5)
    const prev = lastGood.get(key)
    if (judged.length > 0 && failing.length * 2 > judged.length) {
      // Most vendors failing together is more likely our network or key than theirs.
      const reason = `${failing.length} of ${judged.length} measured offerings below 50% availability at once`
      const equal = apportion(providers.map(() => 1))
      if (prev) return { status: 'panic', status_reason: `${reason}; serving last known good weights`, providers: prev.map((p) => ({ ...p, metrics: providers.find((x) => x.offering === p.offering)?.metrics ?? p.metrics })) }
      return { status: 'panic', status_reason: `${reason}; no earlier table, equal weights`, providers: providers.map((p, i) => ({ ...p, weight: equal[i]! })) }
    }
    const invalid = validateWeights(providers.map((p) => p.weight))
    if (invalid) {
      o.log.error({ model: m.id, profile, invalid }, 'candidate weights failed validation; keeping the previous table')
      if (prev) return { status: 'degraded', status_reason: `candidate rejected: ${invalid}`, providers: prev }
    }
    const scoredCount = scored.filter((s) => s.score !== null).length
    if (scoredCount === 0) return { status: 'degraded', status_reason: `no offering has ${o.minN} successful requests in the ${o.window} window yet; equal weights`, providers }
    lastGood.set(key, providers)
    return { status: 'ok', providers }
  }

  const recompute = () => {
    const snap = o.stats.get(o.window)
    const now = o.clock.wallMs()
    version++
    for (const profile of PROFILE_NAMES) {
      const models: Record<string, ModelWeights> = {}
      for (const m of o.catalog.models) if (m.offerings.length > 0) models[m.id] = modelTable(profile, m, snap?.byOffering)
      const statuses = Object.values(models).map((x) => x.status)
      const status: TableStatus = statuses.includes('panic') ? 'panic' : statuses.includes('degraded') ? 'degraded' : 'ok'
      const doc: WeightsDocument = {
        version,
        generated_at: new Date(now).toISOString(),
        ttl_s: o.ttlS,
        status,
        data_age_s: snap ? Math.round((now - snap.computed_at_ms) / 100) / 10 : null,
        profile,
        window: o.window,
        models,
      }
      const body = JSON.stringify(doc)
      const byModel = new Map(Object.entries(models).map(([id, mw]) => {
        const b = JSON.stringify({ ...doc, status: mw.status, models: { [id]: mw } })
        return [id, { body: b, etag: etagOf(b) }] as const
      }))
      tables.set(profile, { doc, body, etag: etagOf(body), byModel })
    }
  }

  return { recompute, current: (p = o.defaultProfile) => tables.get(p), defaultProfile: o.defaultProfile }
}
