import type { Clock } from '../core/clock.js'

/**
 * Notices when our own event loop stalls (GC, a long synchronous task): a
 * sample whose stream overlapped such a stall may carry our delay, not the
 * vendor's, and is flagged `contaminated` (reliability anchors §2 row 30).
 */
export interface LoopLagMonitor {
  /** The longest stall overlapping [t0, t1] (monotonic ms), or 0. */
  maxLagBetween(t0: number, t1: number): number
  stop(): void
}

export function startLoopLagMonitor(clock: Clock, opts: { intervalMs?: number; thresholdMs?: number } = {}): LoopLagMonitor {
  const interval = opts.intervalMs ?? 20
  const threshold = opts.thresholdMs ?? 100
  const stalls: { end: number; lag: number }[] = []
  let expected = clock.monoMs() + interval
  const timer = setInterval(() => {
    const now = clock.monoMs()
    const lag = now - expected
    expected = now + interval
    if (lag > threshold) {
      stalls.push({ end: now, lag })
      if (stalls.length > 256) stalls.shift()
    }
  }, interval)
  timer.unref()
  return {
    maxLagBetween(t0, t1) {
      let max = 0
      for (const s of stalls) if (s.end >= t0 && s.end - s.lag <= t1) max = Math.max(max, s.lag)
      return max
    },
    stop: () => clearInterval(timer),
  }
}
