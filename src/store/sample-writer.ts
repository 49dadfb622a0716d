import type { ProbeSample } from '../core/types.js'
import type { Logger } from '../log.js'
import type { SampleStore } from './sample-store.js'

export interface SampleWriterOptions {
  flushMs: number
  /** Flush at once when this many samples wait. */
  maxBatch?: number
  /** Samples kept in memory while the database refuses writes; the oldest beyond this are dropped and counted. */
  maxBuffered?: number
  /** Called after a batch has committed: from here on, these samples survive a crash of the process. */
  onCommit?(samples: readonly ProbeSample[]): void
}

export interface SampleWriter {
  add(sample: ProbeSample): void
  /** Write everything buffered now. */
  flush(): void
  readonly stats: { written: number; dropped: number; failedFlushes: number; pending: number }
  close(): void
}

/**
 * One writer, short batched transactions: probes hand samples over without
 * waiting, and a timer commits them in batches. A failed commit (disk full,
 * lock) keeps the batch for the next try instead of losing it.
 */
export function createSampleWriter(store: SampleStore, log: Logger, opts: SampleWriterOptions): SampleWriter {
  const maxBatch = opts.maxBatch ?? 500
  const maxBuffered = opts.maxBuffered ?? 100_000
  let buffer: ProbeSample[] = []
  const stats = { written: 0, dropped: 0, failedFlushes: 0, pending: 0 }
  const flush = () => {
    if (buffer.length === 0) return
    const batch = buffer
    buffer = []
    try {
      store.insertMany(batch)
      stats.written += batch.length
      opts.onCommit?.(batch)
    } catch (err) {
      stats.failedFlushes++
      buffer = batch.concat(buffer)
      const over = buffer.length - maxBuffered
      if (over > 0) {
        buffer.splice(0, over)
        stats.dropped += over
      }
      log.error({ err, pending: buffer.length }, 'writing samples failed; keeping them buffered')
    }
    stats.pending = buffer.length
  }
  const timer = setInterval(flush, opts.flushMs)
  timer.unref()
  return {
    add(sample) {
      buffer.push(sample)
      stats.pending = buffer.length
      if (buffer.length >= maxBatch) flush()
    },
    flush,
    stats,
    close() {
      clearInterval(timer)
      flush()
    },
  }
}
