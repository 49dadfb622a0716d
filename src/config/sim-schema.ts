import { z } from 'zod'

/**
 * How one simulated vendor behaves for one model. Defaults follow the
 * per-request timings of the llmperf leaderboard (8 real providers, Dec 2023):
 * TTFT medians 0.2–1.2 s with p90/p50 between 1.1 and 2.5, decode speed medians
 * 12–270 tokens/s with a coefficient of variation of 0.03–0.19, and rare tails
 * tens of times the median (replicate_70b: p99/p50 ≈ 56).
 */
export const simBehaviourSchema = z.strictObject({
  ttft_ms: z
    .strictObject({
      p50: z.number().positive(),
      p90: z.number().positive(),
    })
    .refine((v) => v.p90 >= v.p50, { message: 'p90 must be >= p50', path: ['p90'] })
    .prefault({ p50: 350, p90: 520 }),
  /** Rare heavy tail: with this probability, TTFT is multiplied by `factor`. */
  ttft_tail: z
    .strictObject({ prob: z.number().min(0).max(1), factor: z.number().min(1) })
    .prefault({ prob: 0.01, factor: 6 }),
  decode_tps: z
    .strictObject({ p50: z.number().positive(), cv: z.number().min(0).max(2) })
    .prefault({ p50: 60, cv: 0.1 }),
  /** Per-chunk timing noise relative to the mean gap (0 = metronome). */
  chunk_jitter: z.number().min(0).max(3).default(0.3),
  tokens_per_chunk: z
    .strictObject({ min: z.int().min(1), max: z.int().min(1) })
    .refine((v) => v.max >= v.min, { message: 'max must be >= min', path: ['max'] })
    .prefault({ min: 1, max: 1 }),
  /** Natural answer length when max_tokens does not cut it short. */
  output_tokens: z.strictObject({ p50: z.int().positive() }).prefault({ p50: 400 }),
  /** Reasoning tokens emitted before the answer; 0 for a non-reasoning model. */
  reasoning_tokens: z.strictObject({ p50: z.int().min(0) }).prefault({ p50: 0 }),
  /** Busy hours: TTFT × (1 + a·c) and decode speed ÷ (1 + a·c), c = cos(2π(h − peak)/24) clipped at 0. */
  time_of_day: z
    .strictObject({ amplitude: z.number().min(0).max(5), peak_hour: z.number().min(0).max(24) })
    .prefault({ amplitude: 0, peak_hour: 14 }),
  error_rate: z.number().min(0).max(1).default(0),
  rate_limit_rate: z.number().min(0).max(1).default(0),
  overload_rate: z.number().min(0).max(1).default(0),
  /** Share of streams that stop mid-way with an in-band error event. */
  midstream_error_rate: z.number().min(0).max(1).default(0),
  retry_after_s: z.int().min(0).default(2),
  /** Periodic outages in wall time: down for `for_s` out of every `every_s`, shifted by `offset_s`. */
  outages: z
    .array(
      z
        .strictObject({
          every_s: z.number().positive(),
          for_s: z.number().positive(),
          offset_s: z.number().min(0).default(0),
          mode: z.enum(['http_error', 'reset', 'stall']).default('http_error'),
        })
        .refine((o) => o.for_s < o.every_s, { message: 'for_s must be < every_s', path: ['for_s'] }),
    )
    .default([]),
})

export type SimBehaviour = z.infer<typeof simBehaviourSchema>

const simVendorShape = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"'),
  protocol: z.enum(['openai-chat', 'anthropic-messages']),
  host: z.string().default('127.0.0.1'),
  /** 0 = any free port (the in-process demo); fixed ports for `weighbridge sim`. */
  port: z.int().min(0).max(65535).default(0),
  /** `none`: no key needed; `any`: a key must be sent (missing → 401), any value passes. */
  auth: z.enum(['none', 'any']).default('any'),
  seed: z.int().optional(),
  /** openai-chat only: where usage goes (OpenAI `choices: []`, OpenRouter one empty choice, DeepSeek/Mistral finish chunk). */
  usage_style: z.enum(['openai', 'openrouter', 'finish-chunk']).default('openai'),
  /** Behaviour shared by every model of this vendor, overridden field by field per model. */
  behaviour: simBehaviourSchema.prefault({}),
  /** Upstream model ids this vendor serves (others get the vendor's 404), each with overrides. */
  models: z
    .record(z.string().min(1), z.record(z.string(), z.unknown()).nullable())
    .refine((m) => Object.keys(m).length > 0, {
      message: 'a simulated vendor must serve at least one model',
    }),
})

/** Overrides are merged one level deep: `ttft_ms: {p50: 900}` keeps the vendor's p90. */
function mergeBehaviour(base: SimBehaviour, override: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(override)) {
    const b = out[k]
    const isPlain = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x)
    out[k] = isPlain(b) && isPlain(v) ? { ...(b as object), ...(v as object) } : v
  }
  return out
}

export const simVendorSchema = simVendorShape.transform((v, ctx) => {
  const resolved: Record<string, SimBehaviour> = {}
  for (const [model, override] of Object.entries(v.models)) {
    const r = simBehaviourSchema.safeParse(mergeBehaviour(v.behaviour, override ?? {}))
    if (r.success) resolved[model] = r.data
    else
      for (const issue of r.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: ['models', model, ...issue.path] })
  }
  return { ...v, resolved }
})

export type SimVendorConfig = z.infer<typeof simVendorSchema>
