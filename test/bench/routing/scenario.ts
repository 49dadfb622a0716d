import { simBehaviourSchema, type SimBehaviour } from '../../../src/config/sim-schema.js'

/**
 * The routing benchmark's world: six vendors selling one model, whose
 * behaviour changes on a script over the run (t in seconds from the start of
 * the measured phase; negative during warm-up). Each vendor's truth at t is
 * known exactly, which is what the oracle router uses.
 */
export interface VendorTruth {
  ttftMs: number
  tps: number
  /** What a request gets right now. */
  mode: 'ok' | 'reset' | '503' | '429'
}

export interface ScriptedVendor {
  id: string
  story: string
  price: { input_per_mtok: number; output_per_mtok: number }
  truth(t: number): VendorTruth
}

export const RUN_S = 240
export const OUTAGE = { vendor: 'crashy', from: 120, to: 170 }
const lerp = (t: number, t0: number, t1: number, a: number, b: number) => (t <= t0 ? a : t >= t1 ? b : a + ((b - a) * (t - t0)) / (t1 - t0))
const cheap = { input_per_mtok: 0.3, output_per_mtok: 1.2 }

export const VENDORS: ScriptedVendor[] = [
  { id: 'steady', story: 'slow but never fails', price: cheap, truth: () => ({ ttftMs: 450, tps: 55, mode: 'ok' }) },
  {
    id: 'sliding', story: 'best at first, degrades slowly from 60 s to 180 s', price: cheap,
    truth: (t) => ({ ttftMs: lerp(t, 60, 180, 140, 1600), tps: lerp(t, 60, 180, 170, 25), mode: 'ok' }),
  },
  {
    id: 'crashy', story: `hard outage (connections reset) from ${OUTAGE.from} s to ${OUTAGE.to} s`, price: cheap,
    truth: (t) => ({ ttftMs: 150, tps: 160, mode: t >= OUTAGE.from && t < OUTAGE.to ? 'reset' : 'ok' }),
  },
  {
    id: 'throttled', story: '429 bursts at 40–60 s and 200–220 s', price: cheap,
    truth: (t) => ({ ttftMs: 210, tps: 140, mode: (t >= 40 && t < 60) || (t >= 200 && t < 220) ? '429' : 'ok' }),
  },
  { id: 'flappy', story: '503 for 10 s out of every 20 s', price: cheap, truth: (t) => ({ ttftMs: 170, tps: 150, mode: Math.floor((t + 1000) / 10) % 2 === 1 ? '503' : 'ok' }) },
  { id: 'premium', story: 'fast, but 8x the price', price: { input_per_mtok: 2.4, output_per_mtok: 9.6 }, truth: () => ({ ttftMs: 115, tps: 190, mode: 'ok' }) },
]

export const OUTPUT_TOKENS = 64

/** Expected end-to-end time of a request at t, if it would succeed. */
export const expectedE2eMs = (v: VendorTruth) => v.ttftMs + (OUTPUT_TOKENS / v.tps) * 1000

const ALWAYS = { every_s: 1e9, for_s: 1e9 - 1, offset_s: 0 }

/** The simulator behaviour that plays a truth: latency spread as llmperf measured (p90/p50 ≈ 1.4), rare tails. */
export function behaviourFor(v: VendorTruth): SimBehaviour {
  return simBehaviourSchema.parse({
    ttft_ms: { p50: v.ttftMs, p90: v.ttftMs * 1.4 },
    ttft_tail: { prob: 0.01, factor: 4 },
    decode_tps: { p50: v.tps, cv: 0.08 },
    chunk_jitter: 0.2,
    output_tokens: { p50: 100_000 },
    rate_limit_rate: v.mode === '429' ? 1 : 0,
    retry_after_s: 2,
    outages: v.mode === 'reset' ? [{ ...ALWAYS, mode: 'reset' }] : v.mode === '503' ? [{ ...ALWAYS, mode: 'http_error' }] : [],
  })
}
