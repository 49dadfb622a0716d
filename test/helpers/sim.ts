import { simVendorSchema, type SimBehaviour } from '../../src/config/sim-schema.js'
import { systemClock } from '../../src/core/clock.js'
import { seededRng } from '../../src/core/random.js'
import { startSimVendor, type SimVendorHandle } from '../../src/sim/server.js'

export type DeepPartialBehaviour = { [K in keyof SimBehaviour]?: SimBehaviour[K] extends object ? Partial<SimBehaviour[K]> | SimBehaviour[K] : SimBehaviour[K] }

/**
 * A deterministic, fast behaviour: TTFT and decode speed fixed, no jitter, no
 * tails, and answers long enough that `max_tokens` always decides their length.
 */
export const EXACT: DeepPartialBehaviour = {
  ttft_ms: { p50: 50, p90: 50 },
  ttft_tail: { prob: 0, factor: 1 },
  decode_tps: { p50: 500, cv: 0 },
  chunk_jitter: 0,
  output_tokens: { p50: 100_000 },
}

export async function startVendor(opts: {
  protocol?: 'openai-chat' | 'anthropic-messages'
  model?: string
  behaviour?: DeepPartialBehaviour
  auth?: 'none' | 'any'
  usage_style?: 'openai' | 'openrouter' | 'finish-chunk'
  seed?: number
}): Promise<SimVendorHandle> {
  const vendor = simVendorSchema.parse({
    id: 'test-vendor',
    protocol: opts.protocol ?? 'openai-chat',
    auth: opts.auth ?? 'none',
    ...(opts.usage_style ? { usage_style: opts.usage_style } : {}),
    behaviour: { ...EXACT, ...opts.behaviour },
    models: { [opts.model ?? 'test-model']: {} },
  })
  return startSimVendor(vendor, { clock: systemClock, rng: seededRng(opts.seed ?? 42) })
}
