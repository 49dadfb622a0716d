import { z } from 'zod'
import { FORMATS } from '../routing/render.js'
import { WINDOW_NAMES } from '../stats/windows.js'

/**
 * The API contract: zod schemas of what every route answers, from which
 * `GET /openapi.json` (OpenAPI 3.1, JSON Schema 2020-12) is generated, and
 * against which the contract test checks real responses. Objects are strict:
 * a field added to a response without its schema fails that test.
 */
const num = z.number()
const n0 = z.number().nullable()
const iso = z.string().describe('ISO 8601 time')

export const ErrorBody = z.strictObject({
  error: z.strictObject({ code: z.string().describe('stable, machine-readable'), message: z.string().describe('what to change'), details: z.array(z.string()).optional() }),
})

const metricsShape = z.strictObject({
  window: z.enum(WINDOW_NAMES), n_ok: num, n: num, ttft_p90_ms: n0, ttfat_p90_ms: n0, output_tps_p50: n0,
  availability: n0, rate_limited_ratio: n0, cv_tps: n0, price_in_per_mtok: num, price_out_per_mtok: num,
})
const status = z.enum(['ok', 'degraded', 'stale', 'panic'])
const ProviderWeight = z.strictObject({
  provider: z.string(), offering: z.string(), upstream_model: z.string(),
  weight: z.int().min(0).max(1000), state: z.enum(['healthy', 'probation', 'ejected', 'unmeasured']),
  score: n0, reasons: z.array(z.string()), metrics: metricsShape,
})
const ModelWeights = z.strictObject({ status, status_reason: z.string().optional(), providers: z.array(ProviderWeight) })
export const WeightsDocument = z.strictObject({
  version: z.int(), generated_at: iso, ttl_s: z.int(), status, status_reason: z.string().optional(), data_age_s: n0,
  profile: z.string(), bucket: z.string().nullable(), window: z.enum(WINDOW_NAMES), models: z.record(z.string(), ModelWeights),
})

export const HistoryResponse = z.strictObject({
  entries: z.array(z.strictObject({
    version: z.int(), at: iso, profile: z.string(), model: z.string(), status, status_reason: z.string().optional(),
    changes: z.array(z.strictObject({ offering: z.string(), from: z.int().nullable(), to: z.int(), state_from: z.string().nullable(), state_to: z.string() })),
    summary: z.array(z.string()),
  })),
})

const STAT_FIELDS = [
  'ttft_p50', 'ttft_p90', 'ttft_p95', 'ttft_p99', 'ttfat_p50', 'ttfat_p90', 'ttfat_p95', 'ttfat_p99', 'e2e_p50', 'e2e_p90', 'e2e_p95', 'e2e_p99',
  'tpot_p50', 'tpot_p90', 'tpot_p95', 'tpot_p99', 'output_tps_p50', 'output_tps_p10', 'output_tps_p5', 'cv_ttft', 'cv_tps', 'cv_time_ttft', 'cv_time_tps',
  'tail_ratio_ttft', 'spread_tps', 'availability', 'rate_limited_ratio', 'slo_attainment', 'goodput_rps', 'sla_bucket_compliance', 'system_tps', 'cost_per_good_request',
] as const
export const WindowStats = z.strictObject({
  n: num, n_ok: num, n_provider_errors: num, n_rate_limited: num,
  ...Object.fromEntries(STAT_FIELDS.map((k) => [k, n0])) as Record<(typeof STAT_FIELDS)[number], typeof n0>,
  errors_by_outcome: z.record(z.string(), num),
})
export const LeaderboardResponse = z.strictObject({
  model: z.string(), window: z.string(), sort: z.string(), from: iso, to: iso, computed_at: iso,
  offerings: z.array(z.strictObject({
    rank: z.int(), offering: z.string(), provider: z.string(), upstream_model: z.string(), region: z.string(),
    price_in_per_mtok: num, price_out_per_mtok: num, stats: WindowStats.nullable(),
  })),
})
export const ProfileResponse = z.strictObject({
  offering: z.string(), window: z.string(), timezone: z.literal('UTC'), computed_at: iso,
  hours: z.array(z.strictObject({ hour: z.int().min(0).max(23), n_ok: num, ttft_p50: n0, output_tps_p50: n0 })),
})
const SAMPLE_NULLABLE_NUMBERS = [
  'connect_ms', 'ttfb_ms', 'ttft_ms', 'ttfat_ms', 'e2e_ms', 'decode_ms', 'tpot_ms', 'output_tps', 'e2e_tps', 'gap_p50_ms', 'gap_p99_ms', 'gap_max_ms',
  'in_tokens', 'out_tokens', 'reasoning_tokens', 'ref_out_tokens', 'usage_diff_pct', 'cost_usd', 'http_status', 'censored_ms', 'retry_after_ms',
] as const
export const ProbeSample = z.strictObject({
  id: z.string(), ts_ms: num, offering: z.string(), provider: z.string(), model: z.string(), region: z.string(), source: z.string(), prompt_bucket: z.string(),
  t_sched: num, start_lag_ms: num,
  ...Object.fromEntries(SAMPLE_NULLABLE_NUMBERS.map((k) => [k, n0])) as Record<(typeof SAMPLE_NULLABLE_NUMBERS)[number], typeof n0>,
  usage_source: z.enum(['reported', 'estimated']).nullable(), outcome: z.string(), blame: z.enum(['provider', 'local', 'quota']).nullable(),
  error_message: z.string().nullable(), flags: z.array(z.string()),
})
export const SamplesResponse = z.strictObject({ samples: z.array(ProbeSample) })
const Offering = z.strictObject({ id: z.string(), provider: z.string(), model: z.string(), upstream_model: z.string(), region: z.string(), price: z.strictObject({ input_per_mtok: num, output_per_mtok: num }) })
export const ModelsResponse = z.strictObject({ models: z.array(z.strictObject({ id: z.string(), display_name: z.string(), reasoning: z.boolean(), offerings: z.array(Offering) })) })
const ReloadStatus = z.strictObject({ at: iso, ok: z.boolean(), file: z.string(), errors: z.array(z.string()) })
export const HealthReport = z.strictObject({
  status: z.enum(['ok', 'degraded']), uptime_s: num,
  probes: z.strictObject({ in_flight: num, completed: num, last_sample_at: iso.nullable() }),
  writer: z.strictObject({ written: num, pending: num, dropped: num, failed_flushes: num }),
  last_reload: ReloadStatus.nullable(),
})
export const ReloadAccepted = z.strictObject({ status: z.literal('accepted'), message: z.string() })

type Param = { name: string; description: string; schema: z.ZodType; required?: boolean }
interface Route {
  method: 'get' | 'post'
  path: string
  summary: string
  query?: Param[]
  ok: { status: number; schema: z.ZodType } | { status: number; text: string }
  errors: number[]
  auth?: 'read' | 'admin' | 'none'
}

/** Every route, with what it takes and answers: the source of the OpenAPI document and of the contract test. */
export const ROUTES: Route[] = [
  {
    method: 'get', path: '/v1/weights', summary: 'The routing-weight table (or a gateway rendering of it)', auth: 'read',
    query: [
      { name: 'model', description: 'one logical model', schema: z.string() },
      { name: 'profile', description: 'a scoring profile (balanced, latency, throughput, cost, or a configured one)', schema: z.string() },
      { name: 'bucket', description: 'a prompt bucket; omit for all', schema: z.string() },
      { name: 'format', description: 'json, or a gateway config', schema: z.enum(FORMATS) },
    ],
    ok: { status: 200, schema: WeightsDocument }, errors: [304, 400, 401, 404, 503],
  },
  {
    method: 'get', path: '/v1/weights/history', summary: 'Published changes of the weights, newest first, with reasons', auth: 'read',
    query: [{ name: 'model', description: 'one logical model', schema: z.string() }, { name: 'profile', description: 'a profile', schema: z.string() }, { name: 'limit', description: '1–5000 (100)', schema: z.string() }],
    ok: { status: 200, schema: HistoryResponse }, errors: [400, 401, 404],
  },
  {
    method: 'get', path: '/v1/leaderboard', summary: "A model's offerings ranked over a window or an explicit range", auth: 'read',
    query: [
      { name: 'model', description: 'the logical model', schema: z.string(), required: true },
      { name: 'window', description: WINDOW_NAMES.join(', '), schema: z.enum(WINDOW_NAMES) },
      { name: 'from', description: 'range start (ISO time or epoch ms), with to', schema: z.string() },
      { name: 'to', description: 'range end (exclusive)', schema: z.string() },
      { name: 'sort', description: 'ttft, ttfat, e2e, tps, availability, price', schema: z.string() },
    ],
    ok: { status: 200, schema: LeaderboardResponse }, errors: [400, 401, 404, 503],
  },
  {
    method: 'get', path: '/v1/profile', summary: 'Median TTFT and decode speed per UTC hour of day', auth: 'read',
    query: [{ name: 'offering', description: '<provider>/<model>', schema: z.string(), required: true }, { name: 'window', description: '24h, 72h, 7d', schema: z.enum(['24h', '72h', '7d']) }],
    ok: { status: 200, schema: ProfileResponse }, errors: [400, 401, 404, 503],
  },
  {
    method: 'get', path: '/v1/samples', summary: 'The newest raw samples', auth: 'read',
    query: [{ name: 'offering', description: '<provider>/<model>', schema: z.string() }, { name: 'limit', description: '1–1000 (50)', schema: z.string() }],
    ok: { status: 200, schema: SamplesResponse }, errors: [400, 401, 404],
  },
  { method: 'get', path: '/v1/models', summary: 'Logical models and who sells them', auth: 'read', ok: { status: 200, schema: ModelsResponse }, errors: [401] },
  { method: 'get', path: '/healthz', summary: 'Liveness and the writer backlog', auth: 'none', ok: { status: 200, schema: HealthReport }, errors: [503] },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', auth: 'read', ok: { status: 200, text: 'text/plain; version=0.0.4' }, errors: [401] },
  { method: 'get', path: '/openapi.json', summary: 'This document', auth: 'none', ok: { status: 200, text: 'application/json' }, errors: [] },
  { method: 'post', path: '/v1/admin/reload', summary: 'Validate the config file and, if valid, rebuild the daemon on it', auth: 'admin', ok: { status: 202, schema: ReloadAccepted }, errors: [401, 403, 422, 501] },
]

const json = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>
const DESCRIBE: Record<number, string> = { 304: 'not modified (If-None-Match)', 400: 'a bad parameter, named', 401: 'missing or wrong bearer token', 403: 'admin API off', 404: 'unknown model, offering or route', 422: 'invalid config: every problem listed', 501: 'no config file to reload', 503: 'not ready or busy; retry' }

/** The OpenAPI 3.1 document, generated from ROUTES. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of ROUTES) {
    const ok = 'schema' in r.ok ? { description: 'ok', content: { 'application/json': { schema: json(r.ok.schema) } } } : { description: 'ok', content: { [r.ok.text.split(';')[0]!]: { schema: { type: 'string' } } } }
    const responses: Record<string, unknown> = { [String(r.ok.status)]: ok }
    for (const code of r.errors) responses[String(code)] = code === 304 ? { description: DESCRIBE[code] } : { description: DESCRIBE[code] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
    ;(paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      ...(r.auth && r.auth !== 'none' ? { security: [{ [r.auth === 'admin' ? 'adminToken' : 'readToken']: [] }] } : { security: [] }),
      ...(r.query ? { parameters: r.query.map((p) => ({ name: p.name, in: 'query', required: p.required ?? false, description: p.description, schema: json(p.schema) })) } : {}),
      responses,
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Weighbridge API', version, description: 'Multi-vendor LLM API measurements and routing weights. Errors: {"error": {"code", "message"}}.' },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: json(ErrorBody) },
      securitySchemes: {
        readToken: { type: 'http', scheme: 'bearer', description: 'only when server.read_token_env / read_token_file is set' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'server.admin_token_env / admin_token_file' },
      },
    },
  }
}
