import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { ErrorBody, ROUTES } from '../../src/http/contract.js'
import type { Daemon } from '../../src/main.js'
import { primedDaemon } from '../helpers/daemon-config.js'

let daemon: Daemon
beforeAll(async () => {
  daemon = await primedDaemon({ env: { WEIGHBRIDGE_ADMIN_TOKEN: 'adm' } })
})
afterAll(async () => daemon?.stop())

/** A real request per route that should succeed; the contract test checks its body against the route's schema. */
const REQUESTS: Record<string, { path: string; init?: RequestInit }[]> = {
  'get /v1/weights': [{ path: '/v1/weights' }, { path: '/v1/weights?model=chat-model&profile=latency' }, { path: '/v1/weights?bucket=short' }],
  'get /v1/weights/history': [{ path: '/v1/weights/history?limit=5' }],
  'get /v1/leaderboard': [{ path: '/v1/leaderboard?model=chat-model&window=5m' }, { path: `/v1/leaderboard?model=think-model&from=${Date.now() - 3_600_000}&to=${Date.now() + 1000}` }],
  'get /v1/profile': [{ path: '/v1/profile?offering=quick/chat-model&window=24h' }],
  'get /v1/samples': [{ path: '/v1/samples?limit=10' }],
  'get /v1/models': [{ path: '/v1/models' }],
  'get /healthz': [{ path: '/healthz' }],
  'get /metrics': [{ path: '/metrics' }],
  'get /openapi.json': [{ path: '/openapi.json' }],
  'post /v1/admin/reload': [], // needs `weighbridge serve` with a file: covered by the CLI test (202) and its 501 below
}

describe('API contract', () => {
  it('/openapi.json is a valid OpenAPI 3.1 document covering every route', async () => {
    const doc = (await (await fetch(`${daemon.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    const result = await new Validator().validate(doc)
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([])
    expect(result.valid).toBe(true)
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort())
  })

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s answers what its schema says', async (key, route) => {
    for (const req of REQUESTS[key] ?? []) {
      const res = await fetch(`${daemon.url}${req.path}`, req.init)
      expect(res.status, req.path).toBe(route.ok.status)
      if ('schema' in route.ok) {
        const parsed = (route.ok.schema as z.ZodType).safeParse(await res.json())
        expect(parsed.error?.issues ?? [], req.path).toEqual([])
      } else expect(res.headers.get('content-type')).toContain(route.ok.text.split(';')[0])
    }
  })

  it('errors have the one documented shape', async () => {
    for (const [path, init] of [['/v1/weights?profile=nope', undefined], ['/v1/leaderboard', undefined], ['/v1/nothing', undefined], ['/v1/admin/reload', { method: 'POST' }], ['/v1/admin/reload', { method: 'POST', headers: { authorization: 'Bearer adm' } }]] as const) {
      const res = await fetch(`${daemon.url}${path}`, init)
      expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(ErrorBody.safeParse(await res.json()).error?.issues ?? [], path).toEqual([])
    }
  })

  it('query parameters the contract does not declare are refused by name', async () => {
    const res = await fetch(`${daemon.url}/v1/weights?modle=chat-model`)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: unknown }).error).toEqual({ code: 'UNKNOWN_PARAMETER', message: 'unknown query parameter "modle" for /v1/weights; accepted: model, profile, bucket, format' })
    expect((await fetch(`${daemon.url}/healthz?verbose=1`)).status).toBe(400)
  })
})

