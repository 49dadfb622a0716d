/**
 * A counting semaphore with a bounded wait queue. `acquire` resolves to a
 * release function, or to `null` when the queue is full (the caller records a
 * skipped probe instead of piling up work behind a stuck vendor).
 */
export class Semaphore {
  private active = 0
  private readonly waiting: ((release: (() => void) | null) => void)[] = []

  constructor(
    readonly limit: number,
    readonly maxQueue: number,
  ) {}

  get inUse(): number {
    return this.active
  }

  acquire(signal?: AbortSignal): Promise<(() => void) | null> {
    if (this.active < this.limit) {
      this.active++
      return Promise.resolve(this.releaser())
    }
    if (this.waiting.length >= this.maxQueue) return Promise.resolve(null)
    return new Promise((resolve) => {
      const waiter = (r: (() => void) | null) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(r)
      }
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter)
        if (i >= 0) this.waiting.splice(i, 1)
        resolve(null)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
    })
  }

  private releaser(): () => void {
    let done = false
    return () => {
      if (done) return
      done = true
      const next = this.waiting.shift()
      if (next) next(this.releaser())
      else this.active--
    }
  }
}
