import { Hono } from 'hono'
import type { PublishedTable } from '../../routing/publisher.js'
import { FORMATS, render, type Format, type Rendered } from '../../routing/render.js'
import type { ApiDeps } from '../deps.js'
import { apiError } from '../errors.js'

/**
 * `GET /v1/weights[?model=][&profile=][&bucket=][&format=]`: pre-serialised bytes, ETag
 * and 304, never computed per request. Gateway formats are rendered once per
 * published table and cached with it.
 */
export function weightsRoutes(deps: ApiDeps) {
  const rendered = new WeakMap<PublishedTable, Map<string, Rendered & { etag: string }>>()
  return new Hono().get('/v1/weights', (c) => {
    const profile = c.req.query('profile') ?? deps.weights.defaultProfile
    if (!deps.weights.profiles.includes(profile))
      return apiError(c, 400, 'BAD_PROFILE', `unknown profile "${profile}"; use one of ${deps.weights.profiles.join(', ')}`)
    const format = c.req.query('format') ?? 'json'
    if (!FORMATS.includes(format as Format)) return apiError(c, 400, 'BAD_FORMAT', `unknown format "${format}"; use one of ${FORMATS.join(', ')}`)
    const bucket = c.req.query('bucket')
    if (bucket !== undefined && !deps.weights.buckets.includes(bucket))
      return apiError(c, 400, 'BAD_BUCKET', `unknown prompt bucket "${bucket}"; use one of ${deps.weights.buckets.join(', ')}, or leave it out for all buckets`)
    const table = deps.weights.current(profile, bucket)
    if (!table) return apiError(c, 503, 'NOT_READY', 'no weight table has been computed yet; retry in a few seconds')
    const model = c.req.query('model')
    if (model !== undefined && !table.byModel.has(model))
      return apiError(c, 404, 'UNKNOWN_MODEL', `no model "${model}"; known: ${[...table.byModel.keys()].join(', ')}`)
    let view: { body: string; etag: string; contentType: string }
    if (format === 'json') view = { ...(model !== undefined ? table.byModel.get(model)! : table), contentType: 'application/json; charset=utf-8' }
    else {
      let cache = rendered.get(table)
      if (!cache) rendered.set(table, (cache = new Map()))
      const key = `${format}\u0000${model ?? ''}`
      let r = cache.get(key)
      if (!r) {
        const doc = model !== undefined ? { ...table.doc, models: { [model]: table.doc.models[model]! } } : table.doc
        const out = render(format as Exclude<Format, 'json'>, doc, deps.endpoints)
        cache.set(key, (r = { ...out, etag: `${table.etag.slice(0, -1)}-${format}${model ? `-${model}` : ''}"` }))
      }
      view = r
    }
    c.header('ETag', view.etag)
    c.header('Cache-Control', `max-age=${table.doc.ttl_s}`)
    if (c.req.header('if-none-match') === view.etag) return c.body(null, 304)
    c.header('Content-Type', view.contentType)
    return c.body(view.body)
  })
}
