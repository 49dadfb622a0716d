import { Hono } from 'hono'
import { LEADERBOARD_SORTS, rankOfferings, type LeaderboardSort } from '../../routing/leaderboard.js'
import type { WindowSnapshot } from '../../stats/stats-service.js'
import { WINDOW_NAMES, isWindowName } from '../../stats/windows.js'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

const MAX_RANGE_MS = 400 * 86_400_000

/** An instant given as ISO 8601 or epoch milliseconds; NaN when it is neither. */
function parseInstant(s: string): number {
  return /^\d+$/.test(s) ? Number(s) : Date.parse(s)
}

/**
 * `GET /v1/leaderboard?model=M[&window=30m | &from=T&to=T][&sort=ttft]`: one
 * model's offerings ranked by a measured metric. Named windows come from the
 * snapshot; an explicit [from, to) is computed on the statistics worker.
 */
export function leaderboardRoutes(deps: ApiDeps) {
  return new Hono().get('/v1/leaderboard', async (c) => {
    const modelId = c.req.query('model')
    const models = deps.catalog.models.map((m) => m.id)
    if (!modelId) return apiError(c, 400, 'MODEL_REQUIRED', `query parameter "model" is required; one of ${models.join(', ')}`)
    const model = deps.catalog.model(modelId)
    if (!model) return apiError(c, 404, 'UNKNOWN_MODEL', `no model "${modelId}"; known: ${models.join(', ')}`)
    const sort = c.req.query('sort') ?? 'ttft'
    if (!LEADERBOARD_SORTS.includes(sort as LeaderboardSort))
      return apiError(c, 400, 'BAD_SORT', `unknown sort "${sort}"; use one of ${LEADERBOARD_SORTS.join(', ')}`)
    const [fromQ, toQ, windowQ] = [c.req.query('from'), c.req.query('to'), c.req.query('window')]
    let snap: WindowSnapshot | undefined | null
    if (fromQ !== undefined || toQ !== undefined) {
      if (windowQ !== undefined) return apiError(c, 400, 'BAD_RANGE', 'give either "window" or "from" and "to", not both')
      if (fromQ === undefined || toQ === undefined) return apiError(c, 400, 'BAD_RANGE', '"from" and "to" go together (ISO 8601 or epoch milliseconds)')
      const from = parseInstant(fromQ)
      const to = parseInstant(toQ)
      if (Number.isNaN(from)) return apiError(c, 400, 'BAD_RANGE', `"from" is not an ISO 8601 time or epoch milliseconds: "${fromQ}"`)
      if (Number.isNaN(to)) return apiError(c, 400, 'BAD_RANGE', `"to" is not an ISO 8601 time or epoch milliseconds: "${toQ}"`)
      if (from >= to) return apiError(c, 400, 'BAD_RANGE', `"from" (${new Date(from).toISOString()}) must be before "to" (${new Date(to).toISOString()})`)
      if (to - from > MAX_RANGE_MS) return apiError(c, 400, 'BAD_RANGE', 'a range may span at most 400 days (the hour rollups\' default retention)')
      snap = await deps.stats.range(from, to)
      if (snap === null) {
        c.header('Retry-After', '1')
        return apiError(c, 503, 'BUSY', 'another custom range is being computed; retry in a second')
      }
    } else {
      const window = windowQ ?? '30m'
      if (!isWindowName(window)) return apiError(c, 400, 'BAD_WINDOW', `unknown window "${window}"; use one of ${WINDOW_NAMES.join(', ')}, or "from" and "to"`)
      snap = deps.stats.get(window)
      if (!snap) return apiError(c, 503, 'NOT_READY', 'statistics are being computed; retry in a few seconds')
    }
    return c.json({
      model: model.id,
      window: snap.window,
      sort,
      from: new Date(snap.from_ms).toISOString(),
      to: new Date(snap.to_ms).toISOString(),
      computed_at: new Date(snap.computed_at_ms).toISOString(),
      offerings: rankOfferings(model, snap.byOffering, sort as LeaderboardSort),
    })
  })
}
