import { existsSync, readFileSync } from 'node:fs'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { WeighbridgeError } from '../core/errors.js'
import type { Logger } from '../log.js'
import type { ApiDeps } from './deps.js'
import { apiError } from './errors.js'
import { requireBearer } from './auth.js'
import { openApiDocument, ROUTES } from './contract.js'
import { adminRoutes } from './routes/admin.js'
import { healthRoutes } from './routes/health.js'
import { leaderboardRoutes } from './routes/leaderboard.js'
import { profileRoutes } from './routes/profile.js'
import { samplesRoutes } from './routes/samples.js'
import { metricsRoutes } from './routes/metrics.js'
import { weightsHistoryRoutes } from './routes/weights-history.js'
import { weightsRoutes } from './routes/weights.js'

// src/http and dist/http sit two levels down; the benchmarks' build/src/http three.
const PACKAGE_VERSION = (JSON.parse(readFileSync(['../../package.json', '../../../package.json'].map((p) => new URL(p, import.meta.url)).find((u) => existsSync(u))!, 'utf8')) as { version: string }).version

/** Admin routes: off without an admin token, 401 without the right one, request bodies capped while read. */
function guardAdmin(app: Hono, deps: ApiDeps): void {
  app.use('/v1/admin/*', async (c, next) => {
    if (deps.tokens.admin === null) return apiError(c, 403, 'ADMIN_DISABLED', 'the admin API is off: set the variable named by server.admin_token_env (default WEIGHBRIDGE_ADMIN_TOKEN) or server.admin_token_file')
    return requireBearer(deps.tokens.admin, 'the admin API')(c, next)
  })
  app.use('/v1/admin/*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => apiError(c, 413, 'BODY_TOO_LARGE', 'admin request bodies are limited to 64 KiB') }))
}

/**
 * The HTTP API as a Hono app, without listening: tests call `app.request()`,
 * main.ts serves it. `admin: 'elsewhere'` leaves the admin routes out (they
 * are on their own loopback port, see createAdminApp).
 */
export function createApp(deps: ApiDeps, log: Logger, opts: { admin: 'here' | 'elsewhere' } = { admin: 'here' }): Hono {
  const app = new Hono()
  // Admin routes need the admin token, and are off without one; the read API needs the read token if one is set.
  guardAdmin(app, deps)
  const readGuard = requireBearer(deps.tokens.read, 'the read API')
  app.use('/v1/*', (c, next) => (c.req.path.startsWith('/v1/admin/') ? next() : readGuard(c, next)))
  app.use('/metrics', readGuard)
  // Query parameters are those the contract declares for the route (src/http/contract.ts): anything else
  // is refused by name, so a typo (?modle=) is an error rather than silently ignored. Values are checked by the routes.
  for (const r of ROUTES) {
    const known = new Set((r.query ?? []).map((q) => q.name))
    app.on(r.method.toUpperCase(), r.path, async (c, next) => {
      const unknown = Object.keys(c.req.queries()).filter((k) => !known.has(k))
      if (unknown.length > 0)
        return apiError(c, 400, 'UNKNOWN_PARAMETER', `unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} for ${r.path}; ${known.size ? `accepted: ${[...known].join(', ')}` : 'it takes none'}`)
      return next()
    })
  }
  app.route('/', healthRoutes(deps))
  if (opts.admin === 'here') app.route('/', adminRoutes(deps))
  app.route('/', weightsRoutes(deps))
  app.route('/', weightsHistoryRoutes(deps))
  app.route('/', metricsRoutes(deps))
  app.route('/', leaderboardRoutes(deps))
  app.route('/', samplesRoutes(deps))
  app.route('/', profileRoutes(deps))
  const openapi = JSON.stringify(openApiDocument(PACKAGE_VERSION))
  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'content-type': 'application/json; charset=utf-8' }))
  app.get('/v1/models', (c) =>
    c.json({ models: deps.catalog.models.map((m) => ({ id: m.id, display_name: m.display_name, reasoning: m.reasoning, offerings: m.offerings })) }),
  )
  app.notFound((c) => apiError(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}; see README "API"`))
  app.onError((err, c) => {
    log.error({ err, path: c.req.path }, 'request failed')
    const code = err instanceof WeighbridgeError ? err.code : 'INTERNAL'
    return apiError(c, 500, code, 'internal error; see the daemon log')
  })
  return app
}

/** The admin routes alone, for `server.admin_port` (a loopback-only listener). */
export function createAdminApp(deps: ApiDeps, log: Logger): Hono {
  const app = new Hono()
  guardAdmin(app, deps)
  app.route('/', adminRoutes(deps))
  app.notFound((c) => apiError(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path} on the admin port (only /v1/admin/*)`))
  app.onError((err, c) => {
    log.error({ err, path: c.req.path }, 'admin request failed')
    return apiError(c, 500, 'INTERNAL', 'internal error; see the daemon log')
  })
  return app
}
