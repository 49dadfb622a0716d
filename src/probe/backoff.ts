import type { Rng } from '../core/random.js'
import { RETRY_AFTER_CAP_MS } from '../core/retry-after.js'

const BASE_MS = 1_000

/**
 * Per-provider back-off after 429s (reliability anchors §2 rows 18–19): honour
 * the vendor's Retry-After (capped) plus up to 10% jitter; without one, back
 * off exponentially with full jitter. Any other outcome resets the count.
 */
export class ProviderBackoff {
  private until = 0
  private strikes = 0

  constructor(private readonly rng: Rng) {}

  /** Milliseconds still to wait at monotonic time `now` (0 = may send). */
  remaining(now: number): number {
    return Math.max(0, this.until - now)
  }

  record(now: number, rateLimited: boolean, retryAfterMs: number | null): void {
    if (!rateLimited) {
      this.strikes = 0
      return
    }
    this.strikes++
    const wait =
      retryAfterMs !== null
        ? Math.min(RETRY_AFTER_CAP_MS, retryAfterMs * (1 + 0.1 * this.rng.next()))
        : this.rng.next() * Math.min(RETRY_AFTER_CAP_MS, BASE_MS * 2 ** (this.strikes - 1))
    this.until = Math.max(this.until, now + wait)
  }
}
