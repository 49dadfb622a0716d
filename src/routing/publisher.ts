import { createHash } from 'node:crypto'
import type { Catalog, CatalogModel } from '../catalog.js'
import type { Clock } from '../core/clock.js'
import type { ProbeSample } from '../core/types.js'
import type { Logger } from '../log.js'
import type { StatsService } from '../stats/stats-service.js'
import type { WindowStats } from '../stats/window-stats.js'
import type { WindowName } from '../stats/windows.js'
import { decideModel, type ModelWeights, type ProviderWeight, type TableStatus } from './decide.js'
import { HealthTracker, type HealthParams, type HealthVerdict } from './health.js'
import { describeChanges, HISTORY_MIN_MOVE, type HistoryEntry } from './history.js'
import type { ProfileName } from './profiles.js'
import type { StateFile } from './state-file.js'
import type { OfferingInput, WeightStrategy } from './strategy.js'
import { validateWeights } from './weights.js'

export type { ModelWeights, OfferingState, ProviderWeight, TableStatus } from './decide.js'

export interface WeightsDocument {
  version: number
  generated_at: string
  ttl_s: number
  status: TableStatus
  status_reason?: string
  data_age_s: number | null
  profile: ProfileName
  /** The prompt bucket the statistics came from; null = all of them. */
  bucket: string | null
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
  ttlS: number
  defaultProfile: ProfileName
  /** The profiles published, by name (see profiles.ts). */
  profiles: Record<ProfileName, WeightStrategy>
  /** Prompt buckets that get their own tables (`?bucket=`), beside the one over all buckets. */
  buckets?: readonly string[]
  health: HealthParams
  /** EWMA factor for scores, and the most of a model's traffic one publish may move. */
  damping: { scoreAlpha: number; maxStep: number }
  /** Where the last table is persisted; absent for in-memory daemons. */
  stateFile?: StateFile
  /** Published changes kept for /v1/weights/history. */
  historyLimit?: number
}

export interface WeightsService {
  recompute(): void
  /** A probe outcome, for health; a change of health recomputes at once. */
  observe(sample: Pick<ProbeSample, 'offering' | 'outcome' | 'blame'>): void
  current(profile?: ProfileName, bucket?: string): PublishedTable | undefined
  /** Published changes, newest first. */
  history(q?: { model?: string; profile?: ProfileName; limit?: number }): HistoryEntry[]
  readonly defaultProfile: ProfileName
  readonly profiles: readonly ProfileName[]
  readonly buckets: readonly string[]
  close(): void
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

function publishable(doc: WeightsDocument): PublishedTable {
  const body = JSON.stringify(doc)
  const byModel = new Map(
    Object.entries(doc.models).map(([id, mw]) => {
      const b = JSON.stringify({ ...doc, status: mw.status, models: { [id]: mw } })
      return [id, { body: b, etag: etagOf(b) }] as const
    }),
  )
  return { doc, body, etag: etagOf(body), byModel }
}

/**
 * Recomputes routing weights from the statistics snapshot and the health of
 * each offering, and publishes them as immutable, pre-serialised tables. The
 * rules in decide.ts are never broken; on top of them: a candidate that fails
 * validation is never published (the previous one stays), the last table is
 * persisted after every publish and served, marked `stale`, straight after a
 * restart until fresh statistics exist, and every change is kept in the
 * history with its reasons.
 */
export function createWeightsService(o: WeightsOptions): WeightsService {
  const buckets = o.buckets ?? []
  /** Tables by profile and bucket ('' = all buckets). */
  const tables = new Map<string, PublishedTable>()
  const tableKey = (profile: ProfileName, bucket: string | null) => `${profile}\u0000${bucket ?? ''}`
  const lastGood = new Map<string, ProviderWeight[]>() // key: table + model
  const smoothed = new Map<string, number>() // key: table + offering
  const health = new HealthTracker(o.health)
  const history: HistoryEntry[] = []
  const historyLimit = o.historyLimit ?? 5_000
  let version = 0
  let recomputeSoon: NodeJS.Immediate | undefined

  // Right after a restart: the persisted table, marked stale, until statistics arrive.
  const restored = o.stateFile?.load()
  if (restored) {
    version = restored.version
    for (const doc of restored.tables) {
      const bucket = doc.bucket ?? null
      if (!(doc.profile in o.profiles) || (bucket !== null && !buckets.includes(bucket))) continue
      const models = Object.fromEntries(Object.entries(doc.models).map(([id, mw]) => [id, { ...mw, status: 'stale' as const, status_reason: `restored from ${doc.generated_at} after a restart; fresh statistics pending` }]))
      tables.set(tableKey(doc.profile, bucket), publishable({ ...doc, bucket, status: 'stale', status_reason: 'restored after a restart; fresh statistics pending', models }))
      for (const [id, mw] of Object.entries(doc.models)) if (mw.status === 'ok') lastGood.set(`${tableKey(doc.profile, bucket)}\u0000${id}`, mw.providers)
    }
    o.log.info({ version, profiles: restored.tables.length, generated_at: restored.tables[0]?.generated_at }, 'serving the last persisted weights, marked stale')
  }

  const modelTable = (profile: ProfileName, bucket: string | null, m: CatalogModel, stats: ReadonlyMap<string, WindowStats> | undefined, verdicts: HealthVerdict[]): ModelWeights => {
    const table = tableKey(profile, bucket)
    const inputs = inputFor(m, stats)
    const strategy = o.profiles[profile]!
    const scored = strategy.score(inputs, { minN: o.minN }).map((s) => {
      const key = `${table}\u0000${s.offering}`
      if (s.score === null) {
        smoothed.delete(key)
        return s
      }
      const prev = smoothed.get(key)
      const score = prev === undefined ? s.score : o.damping.scoreAlpha * s.score + (1 - o.damping.scoreAlpha) * prev
      smoothed.set(key, score)
      return { ...s, score: Math.round(score * 10_000) / 10_000 }
    })
    const key = `${table}\u0000${m.id}`
    const prevTable = tables.get(table)?.doc.models[m.id]
    const prev = prevTable ? new Map(prevTable.providers.map((p) => [p.offering, p.weight])) : undefined
    const good = lastGood.get(key)
    const decided = decideModel({ inputs, scored, verdicts, ...(prev ? { prev } : {}), ...(good ? { lastGood: good } : {}), params: { window: o.window, floor: o.floor, maxStep: o.damping.maxStep, sharpness: strategy.sharpness } })
    const invalid = validateWeights(decided.providers.map((p) => p.weight))
    if (invalid) {
      o.log.error({ model: m.id, profile, invalid }, 'candidate weights failed validation; keeping the previous table')
      if (prevTable) return { ...prevTable, status: 'degraded', status_reason: `candidate rejected: ${invalid}` }
      throw new Error(`no valid weights for ${m.id}: ${invalid}`)
    }
    if (decided.status === 'ok') lastGood.set(key, decided.providers)
    if (decided.status === 'panic' && prevTable?.status !== 'panic' && bucket === null)
      o.log.warn({ model: m.id, profile, reason: decided.status_reason }, 'panic: most offerings look down at once; serving the last known good weights. Check this host\'s network and keys first')
    else if (decided.status !== 'panic' && prevTable?.status === 'panic' && bucket === null) o.log.info({ model: m.id, profile }, 'panic over: weights follow measurements again')
    return decided
  }

  /**
   * Whether a candidate is news for gateways: a status or state changed, or a
   * weight moved by 1% of traffic or more. Otherwise the current table stays
   * until it is `ttl_s` old, so pollers get 304s and score drift is no churn.
   */
  const material = (before: Record<string, ModelWeights>, after: Record<string, ModelWeights>) =>
    Object.entries(after).some(([id, mw]) => {
      const prev = before[id]
      if (!prev || prev.status !== mw.status || prev.providers.length !== mw.providers.length) return true
      return mw.providers.some((p, i) => prev.providers[i]!.offering !== p.offering || prev.providers[i]!.state !== p.state || Math.abs(prev.providers[i]!.weight - p.weight) >= HISTORY_MIN_MOVE)
    })
  const publishedAt = new Map<string, number>()

  const recompute = () => {
    const snap = o.stats.get(o.window)
    // No statistics yet (just started): keep serving what was restored rather than equal weights.
    if (!snap && restored && tables.size > 0) return
    const now = o.clock.wallMs()
    const verdicts = new Map(o.catalog.models.map((m) => [m.id, health.cycle(m.offerings.map((x) => x.id), now)]))
    let changed = false
    for (const [profile, bucket] of Object.keys(o.profiles).flatMap((p) => [[p, null] as const, ...buckets.map((b) => [p, b] as const)])) {
      const key = tableKey(profile, bucket)
      const stats = bucket === null ? snap?.byOffering : snap?.byBucket.get(bucket) ?? new Map<string, WindowStats>()
      const models: Record<string, ModelWeights> = {}
      for (const m of o.catalog.models) if (m.offerings.length > 0) models[m.id] = modelTable(profile, bucket, m, stats, verdicts.get(m.id)!)
      const before = tables.get(key)?.doc
      // Unchanged routing and a table younger than its TTL: keep it, so pollers get 304s and see no churn.
      if (before && before.status !== 'stale' && !material(before.models, models) && now - (publishedAt.get(key) ?? 0) < o.ttlS * 1000) continue
      const statuses = Object.values(models).map((x) => x.status)
      const status: TableStatus = statuses.includes('panic') ? 'panic' : statuses.includes('degraded') ? 'degraded' : 'ok'
      const doc: WeightsDocument = {
        version: ++version,
        generated_at: new Date(now).toISOString(),
        ttl_s: o.ttlS,
        status,
        data_age_s: snap ? Math.round((now - snap.computed_at_ms) / 100) / 10 : null,
        profile,
        bucket,
        window: o.window,
        models,
      }
      // The history follows the tables over all buckets; per-bucket ones would repeat it.
      const changes = bucket === null ? describeChanges(before, doc) : []
      if (changes.length > 0) {
        history.unshift(...changes)
        if (history.length > historyLimit) history.length = historyLimit
      }
      tables.set(key, publishable(doc))
      publishedAt.set(key, now)
      changed = true
    }
    if (!changed) return
    try {
      o.stateFile?.save({ version, tables: [...tables.values()].map((t) => t.doc) })
    } catch (err) {
      o.log.error({ err }, 'persisting the weights failed; serving them from memory, a restart would start without them')
    }
  }

  return {
    recompute,
    observe(s) {
      if (!health.observe(s.offering, s.outcome, s.blame, o.clock.wallMs())) return
      // Health changed: publish now, not at the next tick (one recompute for a burst of outcomes).
      recomputeSoon ??= setImmediate(() => {
        recomputeSoon = undefined
        recompute()
      })
    },
    current: (p = o.defaultProfile, bucket) => tables.get(tableKey(p, bucket ?? null)),
    history(q = {}) {
      const out = history.filter((h) => (q.model === undefined || h.model === q.model) && (q.profile === undefined || h.profile === q.profile))
      return out.slice(0, q.limit ?? 100)
    },
    defaultProfile: o.defaultProfile,
    profiles: Object.keys(o.profiles),
    buckets,
    close() {
      if (recomputeSoon) clearImmediate(recomputeSoon)
    },
  }
}
