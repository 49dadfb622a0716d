import { Hono } from 'hono'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

/** `GET /v1/samples[?offering=][&limit=50]`: the newest raw samples, for looking at what was measured. */
export function samplesRoutes(deps: ApiDeps) {
  return new Hono().get('/v1/samples', (c) => {
    const offering = c.req.query('offering')
    if (offering !== undefined && !deps.catalog.offering(offering))
      return apiError(c, 404, 'UNKNOWN_OFFERING', `no offering "${offering}" (ids look like "<provider>/<model>")`)
    const limitRaw = c.req.query('limit') ?? '50'
    const limit = Number(limitRaw)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return apiError(c, 400, 'BAD_LIMIT', `limit must be an integer from 1 to 1000, got "${limitRaw}"`)
    return c.json({ samples: deps.recentSamples({ ...(offering ? { offering } : {}), limit }) })
  })
}
