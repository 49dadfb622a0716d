import { Hono } from 'hono'
import { PROFILE_NAMES, type ProfileName } from '../../routing/profiles.js'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

/** `GET /v1/weights[?model=][&profile=]`: pre-serialised bytes, ETag and 304, never computed per request. */
export function weightsRoutes(deps: ApiDeps) {
  return new Hono().get('/v1/weights', (c) => {
    const profile = c.req.query('profile') ?? deps.weights.defaultProfile
    if (!PROFILE_NAMES.includes(profile as ProfileName))
      return apiError(c, 400, 'BAD_PROFILE', `unknown profile "${profile}"; use one of ${PROFILE_NAMES.join(', ')}`)
    const table = deps.weights.current(profile as ProfileName)
    if (!table) return apiError(c, 503, 'NOT_READY', 'no weight table has been computed yet; retry in a few seconds')
    const model = c.req.query('model')
    let view = { body: table.body, etag: table.etag }
    if (model !== undefined) {
      const m = table.byModel.get(model)
      if (!m) return apiError(c, 404, 'UNKNOWN_MODEL', `no model "${model}"; known: ${[...table.byModel.keys()].join(', ')}`)
      view = m
    }
    c.header('ETag', view.etag)
    c.header('Cache-Control', `max-age=${table.doc.ttl_s}`)
    if (c.req.header('if-none-match') === view.etag) return c.body(null, 304)
    c.header('Content-Type', 'application/json; charset=utf-8')
    return c.body(view.body)
  })
}
