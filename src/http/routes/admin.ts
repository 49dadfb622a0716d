import { Hono } from 'hono'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

/**
 * `/v1/admin/*`: behind the admin token (see app.ts). Every call is audited,
 * accepted or not, with no secret in the entry.
 */
export function adminRoutes(deps: ApiDeps) {
  return new Hono().post('/v1/admin/reload', async (c) => {
    const remote = c.req.header('x-forwarded-for') ?? null
    if (!deps.admin.reload) {
      deps.audit({ action: 'reload', remote, result: 'unavailable' })
      return apiError(c, 501, 'RELOAD_UNAVAILABLE', 'this daemon was not started by `weighbridge serve --config FILE`, so there is no file to reload')
    }
    const r = await deps.admin.reload()
    deps.audit({ action: 'reload', remote, result: r.accepted ? 'accepted' : 'rejected', ...(r.accepted ? {} : { details: { errors: r.errors } }) })
    if (!r.accepted) return c.json({ error: { code: 'CONFIG_INVALID', message: `the new config has ${r.errors.length} problem(s); the running config is unchanged`, details: r.errors } }, 422)
    return c.json({ status: 'accepted', message: 'valid; the daemon is rebuilding on it now (see /healthz last_reload)' }, 202)
  })
}
