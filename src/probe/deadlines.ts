/**
 * Several deadlines on one timer. Deadlines are absolute monotonic instants;
 * the timer is armed for the earliest, and re-armed only when an earlier one
 * appears. A deadline that moves later (the idle deadline on every token) costs
 * nothing: the timer fires at the old instant, `check` sees nothing expired,
 * and it re-arms for what is next. A probe thus arms a handful of timers, not
 * one per token.
 */
export class Deadlines<K extends string> {
  private readonly at = new Map<K, number>()
  private timer: NodeJS.Timeout | undefined
  private armedFor = Infinity

  constructor(
    private readonly now: () => number,
    /** Called with the expired deadline; return true if it ended the probe (no re-arm). */
    private readonly onExpire: (key: K) => boolean,
  ) {}

  set(key: K, atMs: number): void {
    this.at.set(key, atMs)
    if (atMs < this.armedFor) this.arm(atMs)
  }

  clear(key: K): void {
    this.at.delete(key)
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.armedFor = Infinity
    this.at.clear()
  }

  private arm(atMs: number): void {
    clearTimeout(this.timer)
    this.armedFor = atMs
    // Node timers run on millisecond loop time; round up so we never fire a hair early and spin.
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(atMs - this.now())))
  }

  private fire(): void {
    this.timer = undefined
    this.armedFor = Infinity
    const now = this.now()
    let next = Infinity
    for (const [key, at] of this.at) {
      if (at <= now) {
        this.at.delete(key)
        if (this.onExpire(key)) return
      } else next = Math.min(next, at)
    }
    for (const at of this.at.values()) next = Math.min(next, at)
    if (next < Infinity) this.arm(next)
  }
}
