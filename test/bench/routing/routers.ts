import type { Rng } from '../../../src/core/random.js'
import { expectedE2eMs, type ScriptedVendor } from './scenario.js'

/** A gateway's routing policy: pick a vendor (never one in `exclude`), and learn from each outcome. */
export interface Router {
  name: string
  pick(nowMs: number, exclude: ReadonlySet<string>): string
  record?(vendor: string, ok: boolean, e2eMs: number, nowMs: number): void
}

function weightedPick(rng: Rng, weights: ReadonlyMap<string, number>, exclude: ReadonlySet<string>): string | null {
  let total = 0
  for (const [v, w] of weights) if (!exclude.has(v)) total += w
  if (total <= 0) return null
  let x = rng.next() * total
  for (const [v, w] of weights) {
    if (exclude.has(v)) continue
    x -= w
    if (x < 0) return v
  }
  return [...weights.keys()].find((v) => !exclude.has(v)) ?? null
}

/** Weighted random over the weights the gateway last fetched from Weighbridge (updated by its poller). */
export function weighbridgeRouter(rng: Rng, ids: string[]): Router & { set(w: ReadonlyMap<string, number>): void; weights(): ReadonlyMap<string, number> } {
  let weights: ReadonlyMap<string, number> = new Map(ids.map((v) => [v, 1]))
  return {
    name: 'weighbridge (profile latency)',
    set: (w) => void (weights = w),
    weights: () => weights,
    // All remaining weights zero (the only vendor with weight failed): fall back to any other, as gateways do.
    pick: (_now, ex) => weightedPick(rng, weights, ex) ?? weightedPick(rng, new Map(ids.map((v) => [v, 1])), ex)!,
  }
}

export function roundRobin(ids: string[]): Router {
  let i = 0
  return {
    name: 'round-robin',
    pick(_now, ex) {
      for (let k = 0; k < ids.length; k++) {
        const v = ids[i++ % ids.length]!
        if (!ex.has(v)) return v
      }
      return ids[0]!
    },
  }
}

/** Static weights by price, as OpenRouter's legacy default: w ∝ 1 / price². */
export function staticByPrice(rng: Rng, vendors: ScriptedVendor[]): Router {
  const blended = (v: ScriptedVendor) => (v.price.input_per_mtok + 3 * v.price.output_per_mtok) / 4
  const weights = new Map(vendors.map((v) => [v.id, 1 / blended(v) ** 2]))
  return { name: 'static by price (1/p²)', pick: (_now, ex) => weightedPick(rng, weights, ex)! }
}

/**
 * LiteLLM's latency-based routing as its source reads (router_strategy/lowest_latency.py):
 * per deployment the last 10 latencies (kept rolling here, which is kinder than the source),
 * an unseen deployment counts as 0 and is tried first, a failure counts as a 1000 s latency;
 * candidates within `lowest_latency_buffer` (10%) of the best, uniform among them. Plus
 * LiteLLM's cooldown: 3 failures within a minute cool a deployment for 5 s.
 */
export function litellmLowestLatency(rng: Rng, ids: string[], buffer = 0.1): Router {
  const lat = new Map<string, number[]>(ids.map((v) => [v, []]))
  const fails = new Map<string, number[]>(ids.map((v) => [v, []]))
  const cooledUntil = new Map<string, number>()
  return {
    name: `LiteLLM lowest-latency (buffer ${buffer * 100}%)`,
    pick(now, ex) {
      const live = ids.filter((v) => !ex.has(v) && (cooledUntil.get(v) ?? 0) <= now)
      const pool = live.length > 0 ? live : ids.filter((v) => !ex.has(v))
      const mean = (v: string) => {
        const xs = lat.get(v)!
        return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length
      }
      const best = Math.min(...pool.map(mean))
      const candidates = pool.filter((v) => mean(v) <= best * (1 + buffer))
      return candidates[Math.floor(rng.next() * candidates.length)]!
    },
    record(v, ok, e2e, now) {
      const xs = lat.get(v)!
      xs.push(ok ? e2e : 1_000_000)
      if (xs.length > 10) xs.shift()
      if (ok) return
      const f = fails.get(v)!.filter((t) => now - t < 60_000)
      f.push(now)
      fails.set(v, f)
      if (f.length >= 3) cooledUntil.set(v, now + 5_000)
    },
  }
}

/** Knows the script: each request goes to the vendor whose true expected latency right now is lowest among those answering. */
export function oracle(vendors: ScriptedVendor[], tOf: (nowMs: number) => number): Router {
  return {
    name: 'oracle (knows the script)',
    pick(now, ex) {
      const t = tOf(now)
      let best: string | null = null
      let bestMs = Infinity
      for (const v of vendors) {
        if (ex.has(v.id)) continue
        const truth = v.truth(t)
        if (truth.mode !== 'ok') continue
        const e = expectedE2eMs(truth)
        if (e < bestMs) (best = v.id), (bestMs = e)
      }
      return best ?? vendors.find((v) => !ex.has(v.id))!.id
    },
  }
}
