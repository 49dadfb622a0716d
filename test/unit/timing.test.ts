import { describe, expect, it } from 'vitest'
import { computeTiming } from '../../src/probe/timing.js'

describe('per-request timing (docs/METRICS.md)', () => {
  it('derives every field from arrival instants and the token count', () => {
    const t = computeTiming({ t0: 1000, tHeaders: 1080, tokenEvents: [{ t: 1200, answer: false }, { t: 1250, answer: true }, { t: 1300, answer: true }, { t: 1400, answer: true }], tDone: 1410 }, 21)
    expect(t).toEqual({
      ttfb_ms: 80, ttft_ms: 200, ttfat_ms: 250, e2e_ms: 410, decode_ms: 200,
      tpot_ms: 10, output_tps: 100, e2e_tps: 51.22,
      gap_p50_ms: 50, gap_p99_ms: 99, gap_max_ms: 100,
    })
  })

  it('TPOT and decode speed are undefined for a single token; no tokens means no TTFT', () => {
    expect(computeTiming({ t0: 0, tHeaders: 5, tokenEvents: [{ t: 100, answer: true }], tDone: 110 }, 1)).toMatchObject({ ttft_ms: 100, decode_ms: 0, tpot_ms: null, output_tps: null })
    expect(computeTiming({ t0: 0, tHeaders: 5, tokenEvents: [], tDone: null }, null)).toMatchObject({ ttft_ms: null, ttfat_ms: null, e2e_ms: null, gap_max_ms: null })
  })
})
