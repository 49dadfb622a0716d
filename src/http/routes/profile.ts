import { Hono } from 'hono'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

const PROFILE_WINDOWS = ['24h', '72h', '7d'] as const

/** `GET /v1/profile?offering=P/M[&window=7d]`: median TTFT and decode speed per UTC hour of day. */
export function profileRoutes(deps: ApiDeps) {
  return new Hono().get('/v1/profile', (c) => {
    const offering = c.req.query('offering')
    if (!offering || !deps.catalog.offering(offering)) return apiError(c, offering ? 404 : 400, offering ? 'UNKNOWN_OFFERING' : 'OFFERING_REQUIRED', `query parameter "offering" must name an offering ("<provider>/<model>")${offering ? `; no "${offering}"` : ''}`)
    const window = c.req.query('window') ?? '7d'
    if (!PROFILE_WINDOWS.includes(window as (typeof PROFILE_WINDOWS)[number])) return apiError(c, 400, 'BAD_WINDOW', `hour-of-day profiles need a window of a day or more: ${PROFILE_WINDOWS.join(', ')}`)
    const snap = deps.stats.get(window as (typeof PROFILE_WINDOWS)[number])
    if (!snap) return apiError(c, 503, 'NOT_READY', 'statistics are being computed; retry in a few seconds')
    return c.json({ offering, window, timezone: 'UTC', computed_at: new Date(snap.computed_at_ms).toISOString(), hours: snap.hourOfDay.get(offering) ?? [] })
  })
}
