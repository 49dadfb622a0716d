import { percentileSorted } from '../core/percentile.js'
import type { TimingFields } from '../core/types.js'


/** Monotonic instants (ms) observed while one request streamed. */
export interface StreamTimeline {
  /** Request handed to undici. */
  t0: number
  /** Response headers received. */
  tHeaders: number | null
  /** Arrival of each chunk that carried at least one generated token, and whether it was answer text. */
  tokenEvents: readonly { t: number; answer: boolean }[]
  /** Terminal event ([DONE], message_stop) received. */
  tDone: number | null
}

const round3 = (x: number) => Math.round(x * 1000) / 1000

/**
 * The per-request timing of docs/METRICS.md, from a timeline and the output
 * token count (from usage, or estimated). Pure: no clock, no I/O.
 *
 * @example
 * computeTiming({ t0: 0, tHeaders: 80, tokenEvents: [{ t: 200, answer: true }, { t: 300, answer: true }], tDone: 310 }, 11)
 * // ttft_ms 200, decode_ms 100, tpot_ms 10, output_tps 100, e2e_ms 310
 */
export function computeTiming(tl: StreamTimeline, outTokens: number | null): TimingFields {
  const ev = tl.tokenEvents
  const first = ev[0]?.t
  const last = ev[ev.length - 1]?.t
  const firstAnswer = ev.find((e) => e.answer)?.t
  const ttft = first === undefined ? null : first - tl.t0
  const e2e = tl.tDone === null ? null : tl.tDone - tl.t0
  const decode = first === undefined || last === undefined ? null : last - first
  const canRate = outTokens !== null && outTokens > 1 && decode !== null && decode > 0
  const gaps: number[] = []
  for (let i = 1; i < ev.length; i++) gaps.push(ev[i]!.t - ev[i - 1]!.t)
  gaps.sort((a, b) => a - b)
  const opt = (x: number | null | undefined) => (x === null || x === undefined ? null : round3(x))
  return {
    ttfb_ms: opt(tl.tHeaders === null ? null : tl.tHeaders - tl.t0),
    ttft_ms: opt(ttft),
    ttfat_ms: opt(firstAnswer === undefined ? null : firstAnswer - tl.t0),
    e2e_ms: opt(e2e),
    decode_ms: opt(decode),
    tpot_ms: canRate ? round3(decode / (outTokens - 1)) : null,
    output_tps: canRate ? round3((outTokens - 1) / (decode / 1000)) : null,
    e2e_tps: outTokens !== null && e2e !== null && e2e > 0 ? round3(outTokens / (e2e / 1000)) : null,
    gap_p50_ms: opt(percentileSorted(gaps, 50)),
    gap_p99_ms: opt(percentileSorted(gaps, 99)),
    gap_max_ms: opt(gaps[gaps.length - 1]),
  }
}
