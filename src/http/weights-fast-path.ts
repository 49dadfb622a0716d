import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WeightsService } from '../routing/publisher.js'
import { bearerMatches } from './auth.js'

/**
 * `GET /v1/weights` in its common shapes (JSON, optional `model`, `profile`,
 * `bucket`), answered straight from node:http with the pre-serialised bytes:
 * it is the one route gateways hammer, and measured here Hono's request and
 * response objects cost it more than half its throughput next to plain
 * node:http sending the same bytes. Anything else (another format, a bad
 * parameter, an unknown model, no table yet) returns false and goes to the
 * Hono route, which owns the error messages; so does every other path.
 */
export function weightsFastPath(weights: WeightsService, readToken: string | null) {
  const known = new Set(['model', 'profile', 'bucket'])
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? ''
    if (req.method !== 'GET' || !url.startsWith('/v1/weights') || (url.length > 11 && url[11] !== '?')) return false
    if (readToken !== null && !bearerMatches(readToken, req.headers.authorization)) return false // Hono answers the 401
    let profile: string | undefined
    let model: string | undefined
    let bucket: string | undefined
    if (url.length > 12) {
      for (const [k, v] of new URLSearchParams(url.slice(12))) {
        if (!known.has(k)) return false
        if (k === 'profile') profile = v
        else if (k === 'model') model = v
        else bucket = v
      }
    }
    if (profile !== undefined && !weights.profiles.includes(profile)) return false
    if (bucket !== undefined && !weights.buckets.includes(bucket)) return false
    const table = weights.current(profile, bucket)
    if (!table) return false
    const view = model === undefined ? table : table.byModel.get(model)
    if (!view) return false
    if (req.headers['if-none-match'] === view.etag) {
      res.writeHead(304, { etag: view.etag, 'cache-control': `max-age=${table.doc.ttl_s}` }).end()
      return true
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(view.body), etag: view.etag, 'cache-control': `max-age=${table.doc.ttl_s}` })
    res.end(view.body)
    return true
  }
}
