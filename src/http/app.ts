import { Hono } from 'hono'
import { WeighbridgeError } from '../core/errors.js'
import type { Logger } from '../log.js'
import type { ApiDeps } from './deps.js'
import { apiError } from './errors.js'
import { healthRoutes } from './routes/health.js'
import { leaderboardRoutes } from './routes/leaderboard.js'
import { profileRoutes } from './routes/profile.js'
import { samplesRoutes } from './routes/samples.js'
import { metricsRoutes } from './routes/metrics.js'
import { weightsHistoryRoutes } from './routes/weights-history.js'
import { weightsRoutes } from './routes/weights.js'

/** The HTTP API as a Hono app, without listening: tests call `app.request()`, main.ts serves it. */
export function createApp(deps: ApiDeps, log: Logger): Hono {
  const app = new Hono()
  app.route('/', healthRoutes(deps))
  app.route('/', weightsRoutes(deps))
  app.route('/', weightsHistoryRoutes(deps))
  app.route('/', metricsRoutes(deps))
  app.route('/', leaderboardRoutes(deps))
  app.route('/', samplesRoutes(deps))
  app.route('/', profileRoutes(deps))
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
