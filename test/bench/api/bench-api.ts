/**
 * `npm run bench:api`: `GET /v1/weights` under gateway polling, next to a
 * plain node:http server sending the same bytes, in the same run.
 *
 * The daemon runs the demo's six simulated vendors with its probe schedules
 * on, so probes, sample writes and statistics refreshes happen throughout.
 * The plain server lives in the same process (same event loop, same
 * background work). The load generator is a separate process (load.ts).
 *
 *   1. throughput, closed loop: requests/s with 32 connections, ours vs plain,
 *      interleaved rounds, median;
 *   2. latency, open loop at 10× the expected poll rate (1,000 gateways polling
 *      every 10 s = 100/s; so 1,000/s), measured from each request's intended
 *      send time, full responses and ETag revalidations (304).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfigFile } from '../../../src/config/load.js'
import { silentLogger } from '../../../src/log.js'
import { startDaemon } from '../../../src/main.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = 32
const EXPECTED_RPS = 100
const LOAD = new URL('./load.js', import.meta.url).pathname
const DEMO = new URL('../../../../probes/demo.yaml', import.meta.url).pathname
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

interface LoadResult {
  n: number
  rps: number
  p50: number
  p99: number
  max: number
  errors: number
  bytes: number
}
// Asynchronously: the servers under test share this process's event loop.
const load = async (args: string[]): Promise<LoadResult> => JSON.parse((await promisify(execFile)(process.execPath, [LOAD, ...args], { encoding: 'utf8' })).stdout) as LoadResult

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'weighbridge-bench-api-'))
  const config = loadConfigFile(DEMO)
  config.server.port = 0
  const daemon = await startDaemon({ config, log: silentLogger, dbPath: join(dir, 'wb.db') })
  try {
    process.stderr.write('warming up: letting probes land and weights publish (20 s)\n')
    await new Promise((r) => setTimeout(r, 20_000))
    const url = `${daemon.url}/v1/weights`
    const res = await fetch(url)
    const body = await res.text()
    const etag = res.headers.get('etag')!
    const headers = { 'content-type': res.headers.get('content-type')!, etag, 'cache-control': res.headers.get('cache-control')! }
    // The baseline: plain node:http, in this process, sending the same bytes with the same headers.
    const plain = createServer((req, rs) => {
      if (req.headers['if-none-match'] === etag) return void rs.writeHead(304, headers).end()
      rs.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body)
    })
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r))
    const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/v1/weights`

    const ours: LoadResult[] = []
    const base: LoadResult[] = []
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await load(['closed', url, String(CONNECTIONS), String(SECONDS)]))
      base.push(await load(['closed', plainUrl, String(CONNECTIONS), String(SECONDS)]))
      process.stderr.write(`round ${i + 1}/${ROUNDS}: ours ${fmt(ours.at(-1)!.rps)} req/s, plain ${fmt(base.at(-1)!.rps)} req/s\n`)
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const ratios = ours.map((o, i) => o.rps / base[i]!.rps)
    const rate = EXPECTED_RPS * 10
    const open = await load(['open', url, String(rate), '20'])
    const open304 = await load(['open', url, String(rate), '20', etag])
    const openPlain = await load(['open', plainUrl, String(rate), '20'])
    const healthz = (await (await fetch(`${daemon.url}/healthz`)).json()) as { probes: { completed: number }; writer: { written: number } }
    plain.close()

    const out: string[] = []
    out.push(`bench:api — GET /v1/weights (${fmt(Buffer.byteLength(body))} bytes, demo config: 6 simulated vendors probed on schedule while measuring; ${fmt(healthz.probes.completed)} probes completed and ${fmt(healthz.writer.written)} samples written by the end)`)
    out.push('')
    out.push('| measure | ours (pre-serialised bytes; node:http fast path, Hono for the rest) | plain node:http, same bytes | ratio |')
    out.push('|---|---|---|---|')
    out.push(`| closed loop, ${CONNECTIONS} connections, req/s (median of ${ROUNDS} interleaved rounds of ${SECONDS} s) | ${fmt(median(ours.map((o) => o.rps)))} | ${fmt(median(base.map((o) => o.rps)))} | ${fmt(median(ratios), 2)}× (rounds: ${ratios.map((r) => fmt(r, 2)).join(', ')}) |`)
    out.push(`| open loop ${fmt(rate)} req/s (10× ${EXPECTED_RPS}/s), 200s: P50 / P99 / max ms | ${fmt(open.p50, 2)} / ${fmt(open.p99, 2)} / ${fmt(open.max, 1)} (${open.errors} errors) | ${fmt(openPlain.p50, 2)} / ${fmt(openPlain.p99, 2)} / ${fmt(openPlain.max, 1)} | |`)
    out.push(`| open loop ${fmt(rate)} req/s, If-None-Match → 304: P50 / P99 / max ms | ${fmt(open304.p50, 2)} / ${fmt(open304.p99, 2)} / ${fmt(open304.max, 1)} (${open304.errors} errors) | | |`)
    out.push('')
    const goals = [
      [`throughput ≥ 0.8× plain node:http (${fmt(median(ratios), 2)}×)`, median(ratios) >= 0.8],
      [`P99 < 20 ms at 10× the expected poll rate while probes and writes run (${fmt(Math.max(open.p99, open304.p99), 2)} ms)`, Math.max(open.p99, open304.p99) < 20],
    ] as const
    for (const [name, met] of goals) out.push(`- ${name}: ${met ? 'met' : 'NOT met'}`)
    process.stdout.write(`${out.join('\n')}\n`)
  } finally {
    await daemon.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
