import { Hono } from 'hono'
import { LEADERBOARD_SORTS, rankOfferings, type LeaderboardSort } from '../../routing/leaderboard.js'
import { WINDOW_NAMES, isWindowName } from '../../stats/windows.js'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

/** `GET /v1/leaderboard?model=M[&window=30m][&sort=ttft]`: one model's offerings ranked by a measured metric. */
export function leaderboardRoutes(deps: ApiDeps) {
  return new Hono().get('/v1/leaderboard', (c) => {
    const modelId = c.req.query('model')
    const models = deps.catalog.models.map((m) => m.id)
    if (!modelId) return apiError(c, 400, 'MODEL_REQUIRED', `query parameter "model" is required; one of ${models.join(', ')}`)
    const model = deps.catalog.model(modelId)
    if (!model) return apiError(c, 404, 'UNKNOWN_MODEL', `no model "${modelId}"; known: ${models.join(', ')}`)
    const window = c.req.query('window') ?? '30m'
    if (!isWindowName(window)) return apiError(c, 400, 'BAD_WINDOW', `unknown window "${window}"; use one of ${WINDOW_NAMES.join(', ')}`)
    const sort = c.req.query('sort') ?? 'ttft'
    if (!LEADERBOARD_SORTS.includes(sort as LeaderboardSort))
      return apiError(c, 400, 'BAD_SORT', `unknown sort "${sort}"; use one of ${LEADERBOARD_SORTS.join(', ')}`)
    const snap = deps.stats.get(window)
    if (!snap) return apiError(c, 503, 'NOT_READY', 'statistics are being computed; retry in a few seconds')
    return c.json({
      model: model.id,
      window,
      sort,
      from: new Date(snap.from_ms).toISOString(),
      to: new Date(snap.to_ms).toISOString(),
      computed_at: new Date(snap.computed_at_ms).toISOString(),
      offerings: rankOfferings(model, snap.byOffering, sort as LeaderboardSort),
    })
  })
}
