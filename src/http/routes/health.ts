import { Hono } from 'hono'
import type { ApiDeps } from '../deps.js'

export function healthRoutes(deps: ApiDeps) {
  return new Hono().get('/healthz', (c) => {
    const h = deps.health()
    return c.json(h, h.status === 'ok' ? 200 : 503)
  })
}
