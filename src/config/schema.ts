import { validateDetailed } from 'node-cron'
import { z } from 'zod'
import { simVendorSchema } from './sim-schema.js'

/**
 * The whole daemon configuration. Strict everywhere (unknown keys are errors),
 * defaults live here and nowhere else, and there are no side effects: reading
 * environment variables or starting simulators happens in the composition root.
 */

const idSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" or "-"')

const cronSchema = z.string().superRefine((expr, ctx) => {
  const v = validateDetailed(expr)
  if (!v.valid) {
    const why = v.errors.map((e) => `${e.field}${e.value ? ` "${e.value}"` : ''}: ${e.message}`)
    ctx.addIssue({ code: 'custom', message: `invalid cron expression "${expr}" (${why.join('; ')})` })
  }
})

/** `sim://<vendor>` names a built-in simulated vendor; anything else must be an http(s) URL. */
const baseUrlSchema = z.string().superRefine((url, ctx) => {
  if (url.startsWith('sim://')) return
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${url}" is not a URL (expected https://… or sim://<vendor>)` })
    return
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    ctx.addIssue({ code: 'custom', message: `unsupported scheme "${parsed.protocol}" (use https:// or sim://)` })
})

export const timeoutsSchema = z.strictObject({
  connect_ms: z.int().positive().default(10_000),
  headers_ms: z.int().positive().default(30_000),
  first_token_ms: z.int().positive().default(60_000),
  idle_ms: z.int().positive().default(30_000),
  total_ms: z.int().positive().default(300_000),
})
export type Timeouts = z.infer<typeof timeoutsSchema>

export const providerSchema = z.strictObject({
  id: idSchema,
  protocol: z.enum(['openai-chat', 'anthropic-messages']),
  base_url: baseUrlSchema,
  /** The NAME of the environment variable holding the key; never the key itself. */
  api_key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name like OPENAI_API_KEY')
    .optional(),
  headers: z.record(z.string(), z.string()).default({}),
  region: z.string().min(1).default('default'),
  max_concurrency: z.int().min(1).max(10_000).default(4),
  timeouts: timeoutsSchema.prefault({}),
  /** Allow a plain http:// base URL off loopback (a vendor inside your network). Keys travel unencrypted. */
  allow_http: z.boolean().default(false),
})

export const modelSchema = z.strictObject({
  id: idSchema,
  display_name: z.string().optional(),
  /** Reasoning models emit thinking tokens first; TTFT and TTFAT then differ. */
  reasoning: z.boolean().default(false),
})

export const offeringSchema = z.strictObject({
  provider: idSchema,
  model: idSchema,
  /** The vendor's own id for the model, sent on the wire. */
  upstream_model: z.string().min(1),
  price: z.strictObject({
    input_per_mtok: z.number().min(0),
    output_per_mtok: z.number().min(0),
  }),
  enabled: z.boolean().default(true),
})

export const promptBucketSchema = z.strictObject({
  /** Approximate input length in tokens; the prompt is padded with shipped text to reach it. */
  input_tokens: z.int().min(1).max(200_000),
  max_tokens: z.int().min(1).max(100_000),
})

export const scheduleSchema = z.strictObject({
  name: idSchema,
  cron: cronSchema,
  /** Each offering's send is delayed by a uniform random 0..jitter_ms, so vendors are not hit in lock-step. */
  jitter_ms: z.int().min(0).max(3_600_000).default(0),
  bucket: idSchema.default('short'),
  /** Logical models to probe; empty = all. */
  models: z.array(idSchema).default([]),
})

export const sloSchema = z.strictObject({
  ttft_ms: z.number().positive().default(2_000),
  tpot_ms: z.number().positive().default(100),
  e2e_ms: z.number().positive().default(30_000),
  availability: z.number().min(0).max(1).default(0.99),
})

const profileSchema = z.strictObject({
  latency: z.number().min(0).optional(),
  throughput: z.number().min(0).optional(),
  availability: z.number().min(0).optional(),
  price: z.number().min(0).optional(),
  stability: z.number().min(0).optional(),
  /** Weights ∝ score^sharpness: 1 follows scores gently, 12 is winner-take-most. */
  sharpness: z.number().gt(0).max(50).optional(),
})

export const weightsSchema = z.strictObject({
  /** The profile GET /v1/weights serves without ?profile=: a built-in one or one defined under `profiles`. */
  profile: z.string().min(1).default('balanced'),
  /** Overrides of the built-in profiles (balanced, latency, throughput, cost) and new ones (starting from balanced). */
  profiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "_" or "-"'), profileSchema).default({}),
  window: z.enum(['5m', '30m', '1h', '24h', '72h', '7d']).default('30m'),
  /** Successful requests an offering needs before it is scored rather than `unmeasured`. */
  min_n: z.int().min(1).default(20),
  /** Share of a model's 1000 points every eligible offering keeps, so none is starved of probes. */
  exploration_floor: z.number().min(0).max(0.2).default(0.02),
  recompute_s: z.number().positive().default(5),
  ttl_s: z.int().positive().default(10),
  /** Health per offering from probe outcomes (provider-blamed failures only). */
  health: z
    .strictObject({
      /** Provider failures in a row that eject an offering. */
      fall: z.int().min(1).max(100).default(2),
      /** Successes in a row that bring an ejected offering back (then the slow start). */
      rise: z.int().min(1).max(100).default(3),
      /** First ejection lasts this long; each repeat adds as much again, up to ejection_max_s. */
      ejection_base_s: z.number().positive().default(30),
      ejection_max_s: z.number().positive().default(300),
      /** Most of a model's offerings that may be ejected at once (at least one always may). */
      max_ejection_percent: z.number().min(0).max(100).default(34),
      /** A recovered offering's share ramps from 10% to 100% over this long. */
      slow_start_s: z.number().min(0).default(60),
      /** After a provider failure, probe that offering again this soon (0 = wait for the schedule). */
      recheck_ms: z.int().min(0).max(60_000).default(250),
    })
    .prefault({}),
  /** How fast published weights may move. */
  damping: z
    .strictObject({
      /** EWMA factor applied to scores each cycle (1 = no smoothing). */
      score_alpha: z.number().gt(0).max(1).default(0.5),
      /** Most of a model's traffic share that one publish may move (total variation, 0–1). */
      max_step: z.number().gt(0).max(1).default(0.5),
    })
    .prefault({}),
  /** Where the last published table is kept, so a restart serves it (marked stale) at once. Default: weights-state.json beside the database. */
  state_file: z.string().min(1).optional(),
})

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.int().min(0).max(65535).default(8787),
        /** The admin token (admin routes: reload): this environment variable, or the file below. Unset = admin API off. */
        admin_token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable NAME, not a token').default('WEIGHBRIDGE_ADMIN_TOKEN'),
        admin_token_file: z.string().min(1).optional(),
        /** Serve the admin routes only on this port of 127.0.0.1 (0 = any free port), not on the main one. */
        admin_port: z.int().min(0).max(65535).optional(),
        /** Optional token for the read API (weights, leaderboard, samples, metrics); unset = open. /healthz stays open. */
        read_token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable NAME, not a token').optional(),
        read_token_file: z.string().min(1).optional(),
      })
      .prefault({}),
    storage: z
      .strictObject({
        path: z.string().min(1).default('data/weighbridge.db'),
        flush_ms: z.int().min(1).max(60_000).default(250),
        /** Raw samples older than this are deleted (hourly). */
        raw_retention_days: z.number().positive().default(14),
        /** An hour is sealed into rollups this long after it ends, so probes still in flight for it land first. */
        seal_grace_s: z.int().min(0).max(86_400).default(300),
        /** Hour rollups older than this are deleted (hourly). */
        rollup_retention_days: z.number().positive().default(400),
      })
      .prefault({}),
    stats: z
      .strictObject({
        min_n: z.int().min(1).default(20),
        refresh_s: z.number().positive().default(5),
      })
      .prefault({}),
    slo: sloSchema.prefault({}),
    weights: weightsSchema.prefault({}),
    prompt_buckets: z.record(idSchema, promptBucketSchema).prefault({
      short: { input_tokens: 100, max_tokens: 128 },
      medium: { input_tokens: 1000, max_tokens: 256 },
      long: { input_tokens: 10000, max_tokens: 512 },
    }),
    providers: z.array(providerSchema).min(1, 'declare at least one provider'),
    models: z.array(modelSchema).min(1, 'declare at least one model'),
    offerings: z.array(offeringSchema).min(1, 'declare at least one offering'),
    schedules: z.array(scheduleSchema).default([]),
    simulator: z.strictObject({ vendors: z.array(simVendorSchema).min(1) }).optional(),
  })
  .superRefine((cfg, ctx) => checkReferences(cfg as Loose, ctx), { when: () => true })

export type Config = z.infer<typeof configSchema>
export type ProviderConfig = Config['providers'][number]
export type ModelConfig = Config['models'][number]
export type OfferingConfig = Config['offerings'][number]
export type ScheduleConfig = Config['schedules'][number]

type Ctx = z.RefinementCtx
type Loose = Record<string, unknown>

/** The value may be partly invalid here (see `when` below), so read it defensively. */
function rows(v: unknown): Loose[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'object' && x !== null ? (x as Loose) : {})) : []
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function duplicates(ids: (string | undefined)[], key: string, ctx: Ctx, field = 'id'): void {
  const seen = new Map<string, number>()
  ids.forEach((id, i) => {
    if (id === undefined) return
    const first = seen.get(id)
    if (first !== undefined)
      ctx.addIssue({ code: 'custom', path: [key, i, field], message: `duplicate ${field} "${id}" (first at ${key}[${first}])` })
    else seen.set(id, i)
  })
}

/**
 * Cross-references: names must resolve, ids must be unique. Runs even when
 * other fields failed (`when: () => true`), so one pass reports every problem.
 */
function checkReferences(cfg: Loose, ctx: Ctx): void {
  const providers = rows(cfg.providers)
  const models = rows(cfg.models)
  const offerings = rows(cfg.offerings)
  const schedules = rows(cfg.schedules)
  const vendors = rows((cfg.simulator as Loose | undefined)?.vendors)
  duplicates(providers.map((p) => str(p.id)), 'providers', ctx)
  duplicates(models.map((m) => str(m.id)), 'models', ctx)
  duplicates(schedules.map((s) => str(s.name)), 'schedules', ctx, 'name')
  duplicates(offerings.map((o) => `${str(o.provider)}/${str(o.model)}`), 'offerings', ctx, 'model')
  const providerIds = new Set(providers.map((p) => str(p.id)))
  const modelIds = new Set(models.map((m) => str(m.id)))
  const vendorById = new Map(vendors.map((v) => [str(v.id), v]))
  offerings.forEach((o, i) => {
    const p = str(o.provider)
    const m = str(o.model)
    if (p !== undefined && !providerIds.has(p))
      ctx.addIssue({ code: 'custom', path: ['offerings', i, 'provider'], message: `unknown provider "${p}" (declared: ${[...providerIds].join(', ')})` })
    if (m !== undefined && !modelIds.has(m))
      ctx.addIssue({ code: 'custom', path: ['offerings', i, 'model'], message: `unknown model "${m}" (declared: ${[...modelIds].join(', ')})` })
  })
  providers.forEach((p, i) => {
    const url = str(p.base_url)
    if (url?.startsWith('http://') && p.allow_http !== true) {
      let host = ''
      try {
        host = new URL(url).hostname.replace(/^\[|\]$/g, '')
      } catch {
        return // reported by the URL check
      }
      if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)))
        ctx.addIssue({ code: 'custom', path: ['providers', i, 'base_url'], message: `plain http to ${host} would send the API key unencrypted; use https://, or set allow_http: true on this provider (loopback is always allowed)` })
    }
    if (!url?.startsWith('sim://')) return
    const vendor = vendorById.get(url.slice('sim://'.length))
    if (!vendor)
      ctx.addIssue({ code: 'custom', path: ['providers', i, 'base_url'], message: `"${url}" names no vendor under simulator.vendors` })
    else if (vendor.protocol !== p.protocol)
      ctx.addIssue({ code: 'custom', path: ['providers', i, 'protocol'], message: `simulated vendor "${str(vendor.id)}" speaks ${str(vendor.protocol)}, not ${str(p.protocol)}` })
  })
  const weightsCfg = cfg.weights as Loose | undefined
  const known = new Set(['balanced', 'latency', 'throughput', 'cost', ...Object.keys((weightsCfg?.profiles as Loose | undefined) ?? {})])
  if (typeof weightsCfg?.profile === 'string' && !known.has(weightsCfg.profile))
    ctx.addIssue({ code: 'custom', path: ['weights', 'profile'], message: `unknown profile "${weightsCfg.profile}"; use one of ${[...known].join(', ')}, or define it under weights.profiles` })
  // Below stats.min_n every metric is null, so a smaller weights.min_n could never take effect.
  const statsMinN = (cfg.stats as Loose | undefined)?.min_n
  const weightsMinN = (cfg.weights as Loose | undefined)?.min_n
  if (typeof statsMinN === 'number' && typeof weightsMinN === 'number' && weightsMinN < statsMinN)
    ctx.addIssue({ code: 'custom', path: ['weights', 'min_n'], message: `must be at least stats.min_n (${statsMinN}): below it every metric is null, so offerings could never be scored with fewer samples` })
  const buckets = (typeof cfg.prompt_buckets === 'object' && cfg.prompt_buckets) || {}
  schedules.forEach((s, i) => {
    const bucket = str(s.bucket)
    if (bucket !== undefined && !(bucket in buckets))
      ctx.addIssue({ code: 'custom', path: ['schedules', i, 'bucket'], message: `unknown prompt bucket "${bucket}" (declared: ${Object.keys(buckets).join(', ')})` })
    ;(Array.isArray(s.models) ? s.models : []).forEach((m: unknown, j: number) => {
      if (typeof m === 'string' && !modelIds.has(m))
        ctx.addIssue({ code: 'custom', path: ['schedules', i, 'models', j], message: `unknown model "${m}"` })
    })
  })
}

/** The stable id of an offering: `<provider>/<model>`. */
export function offeringId(o: { provider: string; model: string }): string {
  return `${o.provider}/${o.model}`
}
