import { Hono } from 'hono'
import type { ApiDeps } from '../deps.js'

/** `GET /metrics`: Prometheus text format (see src/ops/metrics.ts for what is in it). */
export function metricsRoutes(deps: ApiDeps) {
  return new Hono().get('/metrics', async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType)
    return c.body(await deps.metrics.registry.metrics())
  })
}
