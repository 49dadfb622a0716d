import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Catalog, CatalogModel } from '../../src/catalog.js'
import type { Clock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/log.js'
import { createWeightsService, type WeightsOptions } from '../../src/routing/publisher.js'
import { PROFILES, strategiesFor } from '../../src/routing/profiles.js'
import { stateFile } from '../../src/routing/state-file.js'
import type { StatsService, WindowSnapshot } from '../../src/stats/stats-service.js'
import { summarize, type WindowStats } from '../../src/stats/window-stats.js'
import { sample } from '../helpers/sample.js'
import { tempDir } from '../helpers/tmp.js'

const model: CatalogModel = {
  id: 'm', display_name: 'm', reasoning: false,
  offerings: ['a', 'b', 'c'].map((p) => ({ id: `${p}/m`, provider: p, model: 'm', upstream_model: `${p}-m`, region: 'r', price: { input_per_mtok: 1, output_per_mtok: 2 } })),
}
const catalog: Catalog = { models: [model], offering: (id) => model.offerings.find((o) => o.id === id), model: (id) => (id === 'm' ? model : undefined) }
const SLO = { ttft_ms: 2000, tpot_ms: 100, e2e_ms: 30_000, availability: 0.99 }

/** Statistics as the stats service would hold them: computed from real samples by the real summarizer. */
function statsFor(ttft: Record<string, number>, now: number): StatsService {
  const byOffering = new Map<string, WindowStats>(
    Object.entries(ttft).map(([o, ms]) => [o, summarize(Array.from({ length: 30 }, (_, i) => sample({ offering: o, ts_ms: now - i * 1000, ttft_ms: ms + i, ttfat_ms: ms + i })), { minN: 5, slo: SLO, fromMs: now - 300_000, toMs: now })]),
  )
  const snap: WindowSnapshot = { window: '5m', from_ms: now - 300_000, to_ms: now, computed_at_ms: now, byOffering, byBucket: new Map(), hourOfDay: new Map() }
  return { get: (w) => (w === '5m' ? snap : undefined), refresh: async () => {}, range: async () => null, start() {}, stop: async () => {} }
}
const noStats: StatsService = { get: () => undefined, refresh: async () => {}, range: async () => null, start() {}, stop: async () => {} }

function options(over: Partial<WeightsOptions> & { clock: Clock }): WeightsOptions {
  return {
    catalog, stats: noStats, log: silentLogger, window: '5m', minN: 5, floor: 0.02, ttlS: 10, defaultProfile: 'balanced', profiles: strategiesFor(PROFILES),
    health: { fall: 2, rise: 3, ejectionBaseMs: 30_000, ejectionMaxMs: 300_000, maxEjectionPercent: 34, slowStartMs: 60_000 },
    damping: { scoreAlpha: 1, maxStep: 1 },
    ...over,
  }
}

describe('weights service', () => {
  it('persists every publish and, restarted without statistics, serves that table marked stale', () => {
    const path = join(tempDir(), 'weights-state.json')
    let now = Date.UTC(2026, 10, 23, 10)
    const clock: Clock = { monoMs: () => now, wallMs: () => now }
    const first = createWeightsService(options({ clock, stats: statsFor({ 'a/m': 100, 'b/m': 400, 'c/m': 900 }, now), stateFile: stateFile(path, silentLogger) }))
    first.recompute()
    const published = first.current()!
    expect(published.doc.status).toBe('ok')
    const weights = published.doc.models.m!.providers.map((p) => p.weight)
    expect(weights[0]).toBeGreaterThan(weights[2]!)

    now += 60_000
    const second = createWeightsService(options({ clock, stateFile: stateFile(path, silentLogger) }))
    const restored = second.current()!
    expect(restored.doc.status).toBe('stale')
    expect(restored.doc.models.m!.status).toBe('stale')
    expect(restored.doc.models.m!.providers.map((p) => p.weight)).toEqual(weights)
    second.recompute() // still no statistics: keep serving the restored table rather than equal weights
    expect(second.current()!.doc.status).toBe('stale')
  })

  it('an offering that fails twice in a row leaves the table at once, with its reason in the history', async () => {
    let now = Date.UTC(2026, 10, 23, 10)
    const clock: Clock = { monoMs: () => now, wallMs: () => now }
    const svc = createWeightsService(options({ clock, stats: statsFor({ 'a/m': 100, 'b/m': 400, 'c/m': 900 }, now) }))
    svc.recompute()
    const before = svc.current()!.doc.models.m!.providers.find((p) => p.offering === 'a/m')!.weight
    expect(before).toBeGreaterThan(500)
    svc.observe({ offering: 'a/m', outcome: 'http.5xx', blame: 'provider' })
    svc.observe({ offering: 'a/m', outcome: 'timeout.ttft', blame: 'provider' })
    await new Promise((r) => setImmediate(r)) // the publish a health change triggers, without waiting for the timer
    const a = svc.current()!.doc.models.m!.providers.find((p) => p.offering === 'a/m')!
    expect(a).toMatchObject({ state: 'ejected', weight: 0 })
    const h = svc.history({ model: 'm', profile: 'balanced' })[0]!
    expect(h.summary.join('\n')).toMatch(new RegExp(`a ${before} → 0: .*state healthy → ejected`))
    svc.close()
  })
})
