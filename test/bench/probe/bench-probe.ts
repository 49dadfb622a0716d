/**
 * `npm run bench:probe`: how exact is our prober under load, next to an ideal client?
 *
 * A ground-truth stream server runs in its own process and records when it
 * actually wrote each token. In this process, at 1, 100, 500 and 1000
 * concurrent streams, we run (a) a minimal hand-written undici `dispatch`
 * client, the ideal, and (b) our prober (runProbe: SSE decoder, adapter, JSON,
 * tokenizer, sample building), against the same server, the same open-loop
 * schedule, after the same warm-up. We report the error of measured TTFT and
 * TPOT against the truth, CPU time per request, start lag and event-loop delay,
 * and the ratios ours / ideal against the goals.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { spawn } from 'node:child_process'
import { cpus } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { Agent, type Dispatcher } from 'undici'
import { systemClock } from '../../../src/core/clock.js'
import { percentileSorted } from '../../../src/core/percentile.js'
import { seededRng } from '../../../src/core/random.js'
import { runClosedLoop, runOpenLoop } from '../../../src/load/run-load.js'
import { runProbe } from '../../../src/probe/run-probe.js'
import type { ProbeTarget } from '../../../src/probe/target.js'
import { timedAgent } from '../../../src/probe/transport.js'
import { adapterFor } from '../../../src/providers/registry.js'

const LEVELS = (process.env.BENCH_LEVELS ?? '1,100,500,1000').split(',').map(Number)
const TOKENS = 24
const TTFT_MS = 100
const GAP_MS = 25
/** Expected duration of one stream: with rate = N / duration, about N streams are in flight. */
const STREAM_S = (TTFT_MS + TOKENS * GAP_MS) / 1000
const GOALS: Record<number, number> = { 100: 1.2, 500: 1.2, 1000: 1.5 }
const CPU_GOAL = 1.5

interface Measured { id: string; ttft: number | null; tpot: number | null; lag: number }
type Client = (id: string, tSched: number) => Promise<Measured>

async function startTruthServer(): Promise<{ url: string; stop(): void }> {
  // Compiled (npm run bench:probe) runs the compiled server; run from source, it needs tsx.
  const script = new URL(import.meta.url.endsWith('.ts') ? './truth-server.ts' : './truth-server.js', import.meta.url).pathname
  const child = spawn(process.execPath, script.endsWith('.ts') ? ['--import', 'tsx', script] : [script], {
    env: { ...process.env, TRUTH_TTFT_MS: String(TTFT_MS), TRUTH_GAP_MS: String(GAP_MS), TRUTH_TOKENS: String(TOKENS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve))
  const port = Number(line.split(' ')[1])
  return { url: `http://127.0.0.1:${port}`, stop: () => void child.kill('SIGTERM') }
}

function body(id: string): string {
  return JSON.stringify({ model: 'truth', messages: [{ role: 'user', content: `[probe ${id}] Say hello.` }], max_tokens: TOKENS, stream: true, stream_options: { include_usage: true } })
}

/** The ideal: undici dispatch, a timestamp per chunk, a substring test for "a token is in here". Nothing else. */
function idealClient(dispatcher: Dispatcher, url: string): Client {
  const u = new URL(`${url}/v1/chat/completions`)
  return (id, tSched) =>
    new Promise((resolve) => {
      const lag = Date.now() - tSched
      const t0 = performance.now()
      let first = 0
      let last = 0
      let n = 0
      dispatcher.dispatch(
        { origin: u.origin, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body: body(id), headersTimeout: 0, bodyTimeout: 0 },
        {
          onRequestStart() {}, // marks the controller-style handler API
          onResponseData(_c, chunk) {
            const t = performance.now()
            // One token per server write; the role chunk has "content":"" and does not count.
            if (chunk.includes('"content":" ')) {
              if (n === 0) first = t
              last = t
              n++
            }
          },
          onResponseEnd: () => resolve({ id, ttft: n ? first - t0 : null, tpot: n > 1 ? (last - first) / (n - 1) : null, lag }),
          onResponseError: () => resolve({ id, ttft: null, tpot: null, lag }),
        },
      )
    })
}

/** Ours: the real probe path, as the daemon runs it. */
function ourClient(dispatcher: Dispatcher, url: string): Client {
  const target: ProbeTarget = {
    offering: 'truth/m', provider: 'truth', model: 'm', region: 'bench', upstreamModel: 'truth', baseUrl: `${url}/v1`,
    adapter: adapterFor('openai-chat'), apiKey: undefined, headers: {},
    timeouts: { connect_ms: 10_000, headers_ms: 60_000, first_token_ms: 60_000, idle_ms: 60_000, total_ms: 120_000 },
    price: { input_per_mtok: 1, output_per_mtok: 1 },
  }
  const deps = { dispatcher, clock: systemClock, countTokens }
  return async (id, tSched) => {
    const s = await runProbe(target, { bucket: 'bench', user: `[probe ${id}] Say hello.`, max_tokens: TOKENS, round_id: id }, { source: 'probe', tSched }, deps)
    return { id, ttft: s.outcome === 'ok' ? s.ttft_ms : null, tpot: s.outcome === 'ok' ? s.tpot_ms : null, lag: s.start_lag_ms }
  }
}

interface Row {
  streams: number
  client: 'ideal' | 'ours'
  n: number
  failed: number
  ttftP50: number
  ttftP99: number
  tpotP50: number
  tpotP99: number
  cpuUsPerReq: number
  mainUsPerReq: number
  lagP50: number
  lagP99: number
  loopP99: number
}

const q = (xs: number[], p: number) => percentileSorted([...xs].sort((a, b) => a - b), p) ?? NaN
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)

/** What one client accumulated over the rounds of one level. */
class Tally {
  ttftErr: number[] = []
  tpotErr: number[] = []
  lags: number[] = []
  n = 0
  failed = 0
  cpuUs = 0
  /** Time the main thread was busy (event-loop utilization), to tell our own work from GC helper threads. */
  mainThreadMs = 0
  readonly loop = monitorEventLoopDelay({ resolution: 1 })
  row(streams: number, client: Row['client']): Row {
    return {
      streams, client, n: this.n, failed: this.failed,
      ttftP50: q(this.ttftErr, 50), ttftP99: q(this.ttftErr, 99), tpotP50: q(this.tpotErr, 50), tpotP99: q(this.tpotErr, 99),
      cpuUsPerReq: this.cpuUs / this.n, mainUsPerReq: (this.mainThreadMs * 1000) / this.n, lagP50: q(this.lags, 50), lagP99: q(this.lags, 99), loopP99: this.loop.percentile(99) / 1e6,
    }
  }
}

/** One measured run of one client at one level, added to its tally. */
async function runRound(streams: number, round: number, name: Row['client'], client: Client, url: string, tally: Tally): Promise<void> {
  const count = streams === 1 ? 30 : streams * 5
  // Warm-up: open the connections this level needs, so neither client pays connection set-up in the measured part.
  await runClosedLoop({ concurrency: streams, count: streams, clock: systemClock, fire: async (i) => void (await client(`warm-${name}-${streams}-${round}-${i}`, Date.now())) })
  await fetch(`${url}/reset`, { method: 'POST' })
  const results: Measured[] = []
  tally.loop.enable()
  const elu0 = performance.eventLoopUtilization()
  const cpu0 = process.cpuUsage()
  await runOpenLoop({
    arrivals: { kind: 'constant', rate: streams / STREAM_S },
    count,
    clock: systemClock,
    rng: seededRng(streams + round),
    fire: async (i, tSched) => void results.push(await client(`${name}-${streams}-${round}-${i}`, tSched)),
  })
  const cpu = process.cpuUsage(cpu0)
  tally.mainThreadMs += performance.eventLoopUtilization(elu0).active
  tally.loop.disable()
  tally.cpuUs += cpu.user + cpu.system
  const truth = (await (await fetch(`${url}/truth`)).json()) as Record<string, { ttft_ms: number; tpot_ms: number }>
  for (const r of results) {
    tally.n++
    tally.lags.push(Math.max(0, r.lag))
    const t = truth[r.id]
    if (!t || r.ttft === null || r.tpot === null) {
      tally.failed++
      continue
    }
    tally.ttftErr.push(Math.abs(r.ttft - t.ttft_ms))
    tally.tpotErr.push(Math.abs(r.tpot - t.tpot_ms))
  }
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-')

async function main(): Promise<void> {
  const server = await startTruthServer()
  const rows: Row[] = []
  try {
    const names = (process.env.BENCH_CLIENTS ?? 'ideal,ours').split(',') as Row['client'][]
    for (const streams of LEVELS) {
      const tallies = new Map(names.map((n) => [n, new Tally()]))
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order each round, so drift on the machine does not favour one client.
        for (const name of round % 2 === 0 ? names : [...names].reverse()) {
          const dispatcher = name === 'ideal' ? new Agent({ keepAliveTimeout: 120_000 }) : timedAgent({ clock: systemClock, connectTimeoutMs: 10_000, keepAliveTimeoutMs: 120_000 })
          const client = name === 'ideal' ? idealClient(dispatcher, server.url) : ourClient(dispatcher, server.url)
          await runRound(streams, round, name, client, server.url, tallies.get(name)!)
          await dispatcher.close()
          process.stderr.write(`done: ${streams} streams, ${name}, round ${round + 1}/${ROUNDS}\n`)
        }
      }
      for (const name of names) rows.push(tallies.get(name)!.row(streams, name))
    }
  } finally {
    server.stop()
  }
  const out: string[] = []
  out.push(`bench:probe — ${cpus().length} cores, node ${process.version}; truth server in a separate process; stream = TTFT ${TTFT_MS} ms + ${TOKENS} tokens every ${GAP_MS} ms; open loop at streams/${STREAM_S}s; per client ${ROUNDS} interleaved rounds of 5×streams requests (30 at 1 stream), each after a warm-up`)
  out.push('')
  out.push('| streams | client | n | failed | TTFT err p50 ms | TTFT err p99 ms | TPOT err p50 ms | TPOT err p99 ms | CPU µs/req | main thread µs/req | start lag p50/p99 ms | loop delay p99 ms |')
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) out.push(`| ${r.streams} | ${r.client} | ${r.n} | ${r.failed} | ${f(r.ttftP50, 3)} | ${f(r.ttftP99)} | ${f(r.tpotP50, 3)} | ${f(r.tpotP99)} | ${f(r.cpuUsPerReq, 0)} | ${f(r.mainUsPerReq, 0)} | ${f(r.lagP50)} / ${f(r.lagP99)} | ${f(r.loopP99)} |`)
  out.push('')
  out.push('| streams | TTFT p50 ours/ideal | TTFT p99 ours/ideal | TPOT p50 ours/ideal | TPOT p99 ours/ideal | CPU ours/ideal | goal | verdict |')
  out.push('|---|---|---|---|---|---|---|---|')
  let allMet = true
  for (const streams of LEVELS) {
    const ideal = rows.find((r) => r.streams === streams && r.client === 'ideal')
    const ours = rows.find((r) => r.streams === streams && r.client === 'ours')
    if (!ideal || !ours) continue
    const ratios = [ours.ttftP50 / ideal.ttftP50, ours.ttftP99 / ideal.ttftP99, ours.tpotP50 / ideal.tpotP50, ours.tpotP99 / ideal.tpotP99]
    const cpu = ours.cpuUsPerReq / ideal.cpuUsPerReq
    const goal = GOALS[streams]
    const met = goal === undefined ? null : ratios.every((x) => x <= goal) && cpu <= CPU_GOAL && ours.failed === 0
    if (met === false) allMet = false
    out.push(`| ${streams} | ${ratios.map((x) => f(x)).join(' | ')} | ${f(cpu)} | ${goal === undefined ? '(none)' : `≤ ${goal}× error, ≤ ${CPU_GOAL}× CPU`} | ${met === null ? '-' : met ? 'met' : 'NOT met'} |`)
  }
  out.push('')
  out.push(allMet ? 'All goals met.' : 'Some goals NOT met (see above).')
  process.stdout.write(`${out.join('\n')}\n`)
}

await main()
