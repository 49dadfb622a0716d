/**
 * The API benchmark's load generator, run as its own process so its CPU is
 * not the server's. Closed loop (N connections, as fast as answered) or open
 * loop (a fixed rate; latency from each request's intended send time, so a
 * stall is counted, not hidden). Prints one JSON line.
 *
 *   node load.js closed URL CONNECTIONS SECONDS [ETAG]
 *   node load.js open URL RATE SECONDS [ETAG]
 */
import { Agent, request } from 'undici'

const [mode, url, arg, secondsArg, etag] = process.argv.slice(2)
const seconds = Number(secondsArg)
const agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 60_000 })
const headers = etag ? { 'if-none-match': etag } : {}
const lat: number[] = []
let errors = 0
let bytes = 0

async function once(intended: number) {
  try {
    const res = await request(url!, { dispatcher: agent, headers })
    const body = await res.body.arrayBuffer()
    bytes += body.byteLength
    if (res.statusCode !== 200 && res.statusCode !== 304) errors++
  } catch {
    errors++
  }
  lat.push(performance.now() - intended)
}

const start = performance.now()
const end = start + seconds * 1000
if (mode === 'closed') {
  await Promise.all(
    Array.from({ length: Number(arg) }, async () => {
      while (performance.now() < end) await once(performance.now())
    }),
  )
} else {
  const rate = Number(arg)
  const inflight: Promise<void>[] = []
  for (let i = 0; ; i++) {
    const intended = start + (i * 1000) / rate
    if (intended >= end) break
    const wait = intended - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    // Sent up to a millisecond early (timer granularity): then latency counts from the actual send.
    inflight.push(once(Math.min(intended, performance.now())))
  }
  await Promise.all(inflight)
}
const elapsed = (performance.now() - start) / 1000
lat.sort((a, b) => a - b)
const q = (p: number) => lat[Math.max(0, Math.ceil((p / 100) * lat.length) - 1)] ?? NaN
process.stdout.write(`${JSON.stringify({ n: lat.length, rps: lat.length / elapsed, p50: q(50), p99: q(99), max: lat.at(-1), errors, bytes })}\n`)
await agent.close()
