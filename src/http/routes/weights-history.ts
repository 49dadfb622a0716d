import { Hono } from 'hono'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

/** `GET /v1/weights/history[?model=][&profile=][&limit=100]`: published changes, newest first, with their reasons. */
export function weightsHistoryRoutes(deps: ApiDeps) {
  return new Hono().get('/v1/weights/history', (c) => {
    const profile = c.req.query('profile')
    if (profile !== undefined && !deps.weights.profiles.includes(profile))
      return apiError(c, 400, 'BAD_PROFILE', `unknown profile "${profile}"; use one of ${deps.weights.profiles.join(', ')}`)
    const model = c.req.query('model')
    if (model !== undefined && !deps.catalog.models.some((m) => m.id === model))
      return apiError(c, 404, 'UNKNOWN_MODEL', `no model "${model}"; known: ${deps.catalog.models.map((m) => m.id).join(', ')}`)
    const limitRaw = c.req.query('limit') ?? '100'
    const limit = Number(limitRaw)
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000)
      return apiError(c, 400, 'BAD_LIMIT', `limit must be an integer from 1 to 5000, got "${limitRaw}"`)
    const entries = deps.weights.history({ ...(model ? { model } : {}), ...(profile ? { profile: profile } : {}), limit })
    return c.json({ entries })
  })
}
