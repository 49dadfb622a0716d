import type { Clock } from '../core/clock.js'
import type { Rng } from '../core/random.js'
import { arrivalOffsets, type ArrivalSpec } from './arrivals.js'

/** Send request `i`, intended for wall time `tSched`; resolves when it has been measured. */
export type Fire = (i: number, tSched: number) => Promise<void>

/**
 * Open loop: request i is due at its arrival offset whatever happened to the
 * others, and is stamped with that intended instant. A late prober shows up as
 * start lag; a stalled vendor gets the same arrivals as a healthy one (no
 * coordinated omission). Nothing is skipped.
 */
export async function runOpenLoop(o: { arrivals: ArrivalSpec; count: number; clock: Clock; rng: Rng; fire: Fire; signal?: AbortSignal }): Promise<void> {
  const offsets = arrivalOffsets(o.arrivals, o.rng, o.count)
  const startMono = o.clock.monoMs()
  const startWall = o.clock.wallMs()
  const inFlight: Promise<void>[] = []
  for (let i = 0; i < offsets.length; i++) {
    if (o.signal?.aborted) break
    const wait = startMono + offsets[i]! - o.clock.monoMs()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    inFlight.push(o.fire(i, startWall + offsets[i]!))
  }
  await Promise.all(inFlight)
}

/** Closed loop: `concurrency` workers, each sending its next request when the previous one ends. */
export async function runClosedLoop(o: { concurrency: number; count: number; clock: Clock; fire: Fire; signal?: AbortSignal }): Promise<void> {
  let next = 0
  const worker = async () => {
    for (let i = next++; i < o.count && !o.signal?.aborted; i = next++) await o.fire(i, o.clock.wallMs())
  }
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, worker))
}
