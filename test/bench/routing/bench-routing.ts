/**
 * `npm run bench:routing`: gateways routing real streaming traffic by
 * different policies, side by side, over the same scripted vendors.
 *
 * Six simulated vendors of one model change over a 4-minute script (scenario.ts):
 * a slow degradation, a hard outage and recovery, 429 bursts, a flapping vendor,
 * and a fast but expensive one. The daemon probes them every second and
 * publishes weights. Five gateways send Poisson traffic at the same time, one
 * per policy: ours (polling /v1/weights on its TTL), round-robin, static
 * weights by price, LiteLLM's lowest-latency with a 10% buffer, and an oracle
 * that knows the script. A failed request is retried once on another vendor
 * by the same policy, as gateways do. Meanwhile 100 more gateways poll
 * /v1/weights, and a watcher reads every published version.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { parseConfig } from '../../../src/config/load.js'
import { simVendorSchema } from '../../../src/config/sim-schema.js'
import { systemClock } from '../../../src/core/clock.js'
import { seededRng } from '../../../src/core/random.js'
import { silentLogger } from '../../../src/log.js'
import { startDaemon } from '../../../src/main.js'
import { moved } from '../../../src/routing/decide.js'
import type { WeightsDocument } from '../../../src/routing/publisher.js'
import { startSimVendor, type SimVendorHandle } from '../../../src/sim/server.js'
import { litellmLowestLatency, oracle, roundRobin, staticByPrice, weighbridgeRouter, type Router } from './routers.js'
import { behaviourFor, OUTAGE, OUTPUT_TOKENS, RUN_S, VENDORS } from './scenario.js'

const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 30)
const RATE = Number(process.env.BENCH_RATE ?? 6) // requests per second per gateway
const POLLERS = 100
const TTL_S = 2
const PROBE_INTERVAL_S = 1
const MAX_STEP = 0.5
const MODEL = 'dsv3'
const IN_TOKENS = 50

const t0 = Date.now() + WARMUP_S * 1000
const tOf = (wallMs: number) => (wallMs - t0) / 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

interface Outcome {
  t: number
  ok: boolean
  e2eMs: number
  costUsd: number
  vendors: string[]
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'weighbridge-bench-routing-'))
  const agent = new Agent({ connections: 512, keepAliveTimeout: 30_000 })
  const handles: SimVendorHandle[] = []
  try {
    for (const v of VENDORS) {
      const cfg = simVendorSchema.parse({ id: v.id, protocol: 'openai-chat', auth: 'none', models: { [MODEL]: null } })
      handles.push(await startSimVendor(cfg, { clock: systemClock, script: (model, wall) => (model === MODEL ? behaviourFor(v.truth(tOf(wall))) : undefined) }))
    }
    const base = new Map(VENDORS.map((v, i) => [v.id, handles[i]!.baseUrl]))
    const config = parseConfig(`
server: { host: 127.0.0.1, port: 0 }
storage: { flush_ms: 100 }
stats: { min_n: 5, refresh_s: 0.5 }
weights:
  profile: latency
  window: 5m
  min_n: 5
  recompute_s: 0.5
  ttl_s: ${TTL_S}
  exploration_floor: 0.005
  damping: { max_step: ${MAX_STEP}, score_alpha: 0.5 }
prompt_buckets: { short: { input_tokens: ${IN_TOKENS}, max_tokens: ${OUTPUT_TOKENS} } }
schedules: [{ name: probe, cron: "* * * * * *", jitter_ms: 0, bucket: short }]
models: [{ id: ${MODEL} }]
providers:
${VENDORS.map((v) => `  - { id: ${v.id}, protocol: openai-chat, base_url: "${base.get(v.id)}", timeouts: { first_token_ms: 5000, idle_ms: 5000, total_ms: 20000 } }`).join('\n')}
offerings:
${VENDORS.map((v) => `  - { provider: ${v.id}, model: ${MODEL}, upstream_model: ${MODEL}, price: { input_per_mtok: ${v.price.input_per_mtok}, output_per_mtok: ${v.price.output_per_mtok} } }`).join('\n')}
`)
    const daemon = await startDaemon({ config, log: silentLogger, dbPath: join(dir, 'wb.db') })
    const weightsUrl = `${daemon.url}/v1/weights?model=${MODEL}&profile=latency`
    const ids = VENDORS.map((v) => v.id)
    const weightsOf = (doc: WeightsDocument) => new Map(doc.models[MODEL]!.providers.map((p) => [p.provider, p.weight]))

    // The watcher: every published version, to check how far each one moved and when the dead vendor reached 0.
    const versions: { at: number; version: number; weights: Map<string, number>; status: string }[] = []
    let watching = true
    const watcher = (async () => {
      let etag = ''
      while (watching) {
        const res = await request(weightsUrl, { dispatcher: agent, headers: etag ? { 'if-none-match': etag } : {} })
        if (res.statusCode === 200) {
          etag = res.headers.etag as string
          const doc = (await res.body.json()) as WeightsDocument
          if (versions.at(-1)?.version !== doc.version) versions.push({ at: Date.now(), version: doc.version, weights: weightsOf(doc), status: doc.models[MODEL]!.status })
        } else await res.body.dump()
        await sleep(20)
      }
    })()

    // A hundred gateways polling on their TTL, with jitter, honouring ETags.
    const polls = { n: 0, notModified: 0, ms: [] as number[] }
    const pollers = Array.from({ length: POLLERS }, async (_, i) => {
      let etag = ''
      await sleep((i / POLLERS) * TTL_S * 1000)
      while (Date.now() < t0 + RUN_S * 1000) {
        const s = performance.now()
        const res = await request(weightsUrl, { dispatcher: agent, headers: etag ? { 'if-none-match': etag } : {} })
        if (res.statusCode === 200) etag = res.headers.etag as string
        await res.body.dump()
        polls.ms.push(performance.now() - s)
        polls.n++
        if (res.statusCode === 304) polls.notModified++
        await sleep(TTL_S * 1000 * (0.9 + Math.random() * 0.2))
      }
    })

    process.stderr.write(`warming up for ${WARMUP_S} s (probes every ${PROBE_INTERVAL_S} s)\n`)
    while (Date.now() < t0) await sleep(200)
    process.stderr.write(`running ${RUN_S} s of scripted traffic: ${RATE} req/s per gateway\n`)

    const ours = weighbridgeRouter(seededRng(1), ids)
    const ourPoller = (async () => {
      let etag = ''
      while (Date.now() < t0 + RUN_S * 1000) {
        const res = await request(weightsUrl, { dispatcher: agent, headers: etag ? { 'if-none-match': etag } : {} })
        if (res.statusCode === 200) {
          etag = res.headers.etag as string
          ours.set(weightsOf((await res.body.json()) as WeightsDocument))
        } else await res.body.dump()
        await sleep(TTL_S * 1000)
      }
    })()
    const routers: Router[] = [ours, roundRobin(ids), staticByPrice(seededRng(2), VENDORS), litellmLowestLatency(seededRng(3), ids), oracle(VENDORS, tOf)]
    const priceOf = new Map(VENDORS.map((v) => [v.id, v.price]))

    const attempt = async (vendor: string): Promise<{ ok: boolean; ms: number; cost: number }> => {
      const s = performance.now()
      try {
        const res = await request(`${base.get(vendor)}/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: MODEL, stream: true, max_tokens: OUTPUT_TOKENS, messages: [{ role: 'user', content: 'Summarise the history of the weighbridge in one paragraph.' }] }),
          headersTimeout: 20_000,
          bodyTimeout: 20_000,
        })
        if (res.statusCode !== 200) {
          await res.body.dump()
          return { ok: false, ms: performance.now() - s, cost: 0 }
        }
        for await (const _ of res.body);
        const p = priceOf.get(vendor)!
        return { ok: true, ms: performance.now() - s, cost: (IN_TOKENS * p.input_per_mtok + OUTPUT_TOKENS * p.output_per_mtok) / 1e6 }
      } catch {
        return { ok: false, ms: performance.now() - s, cost: 0 }
      }
    }
    const results = new Map<string, Outcome[]>(routers.map((r) => [r.name, []]))
    const gateway = async (router: Router, rng: ReturnType<typeof seededRng>) => {
      const inflight: Promise<void>[] = []
      let next = t0
      while (next < t0 + RUN_S * 1000) {
        next += (-Math.log(1 - rng.next()) / RATE) * 1000
        await sleep(Math.max(0, next - Date.now()))
        inflight.push(
          (async () => {
            const start = Date.now()
            const tried = new Set<string>()
            let total = 0
            let cost = 0
            let ok = false
            for (let k = 0; k < 2 && !ok; k++) {
              const v = router.pick(Date.now(), tried)
              tried.add(v)
              const r = await attempt(v)
              router.record?.(v, r.ok, r.ms, Date.now())
              total += r.ms
              cost += r.cost
              ok = r.ok
            }
            results.get(router.name)!.push({ t: tOf(start), ok, e2eMs: total, costUsd: cost, vendors: [...tried] })
          })(),
        )
      }
      await Promise.all(inflight)
    }
    await Promise.all(routers.map((r, i) => gateway(r, seededRng(100 + i))))
    await ourPoller
    await Promise.all(pollers)
    watching = false
    await watcher
    await daemon.stop()

    // The table.
    const q = (xs: number[], p: number) => {
      const s = [...xs].sort((a, b) => a - b)
      return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
    }
    const rows = routers.map((r) => {
      const out = results.get(r.name)!
      const okMs = out.filter((o) => o.ok).map((o) => o.e2eMs)
      // How long after the outage began the dead vendor still got requests (first attempts).
      const toDead = out.filter((o) => o.t >= OUTAGE.from && o.t < OUTAGE.to && o.vendors[0] === OUTAGE.vendor).map((o) => o.t - OUTAGE.from)
      return {
        name: r.name, n: out.length, p50: q(okMs, 50), p90: q(okMs, 90), p99: q(okMs, 99),
        errors: out.filter((o) => !o.ok).length / out.length,
        retried: out.filter((o) => o.vendors.length > 1).length / out.length,
        costPer1k: (out.reduce((s, o) => s + o.costUsd, 0) / out.length) * 1000,
        lastToDead: toDead.length ? Math.max(...toDead) : 0, sentToDead: toDead.length,
      }
    })
    const [w, rr, , , orc] = rows
    // Published versions: how far each one moved, and when the dead vendor's weight reached 0.
    const steps = versions.slice(1).map((v, i) => moved(ids.map((id) => versions[i]!.weights.get(id) ?? 0), ids.map((id) => v.weights.get(id) ?? 0)))
    const maxStep = Math.max(0, ...steps)
    const outageAt = t0 + OUTAGE.from * 1000
    const zero = versions.find((v) => v.at >= outageAt && v.weights.get(OUTAGE.vendor) === 0)
    const before = [...versions].reverse().find((v) => v.at < outageAt)
    const toZeroS = zero ? (zero.at - outageAt) / 1000 : Infinity
    const backAt = versions.find((v) => v.at >= t0 + OUTAGE.to * 1000 && (v.weights.get(OUTAGE.vendor) ?? 0) > 0)

    const out: string[] = []
    out.push(`bench:routing — ${VENDORS.length} scripted vendors, ${RUN_S} s, ${RATE} req/s per gateway (Poisson), one retry on another vendor; probes every ${PROBE_INTERVAL_S} s; ${POLLERS} more gateways polling every ${TTL_S} s`)
    out.push('')
    for (const v of VENDORS) out.push(`- ${v.id}: ${v.story} ($${v.price.input_per_mtok}/$${v.price.output_per_mtok} per Mtok)`)
    out.push('')
    out.push('| gateway policy | requests | P50 ms | P90 ms | P99 ms | errors (after retry) | retried | cost per 1k requests | sent to the dead vendor during its outage |')
    out.push('|---|---|---|---|---|---|---|---|---|')
    for (const r of rows)
      out.push(`| ${r.name} | ${fmt(r.n)} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${fmt(r.errors * 100, 2)}% | ${fmt(r.retried * 100, 1)}% | $${fmt(r.costPer1k, 3)} | ${r.sentToDead === 0 ? 'none' : `${fmt(r.sentToDead)} requests, the last ${fmt(r.lastToDead, 1)} s in`} |`)
    out.push('')
    out.push(`- published versions: ${fmt(versions.length)}; largest move in one publish: ${fmt(maxStep * 100, 1)}% of traffic (cap ${MAX_STEP * 100}%)`)
    out.push(`- dead vendor (${OUTAGE.vendor}) weight ${before?.weights.get(OUTAGE.vendor) ?? '?'} → 0 ${fmt(toZeroS, 2)} s after the outage began (${fmt(toZeroS / PROBE_INTERVAL_S, 2)} probe intervals); back above 0 ${backAt ? `${fmt((backAt.at - (t0 + OUTAGE.to * 1000)) / 1000, 1)} s after it recovered` : 'not within the run'}`)
    out.push(`- ${POLLERS} polling gateways: ${fmt(polls.n)} polls, ${fmt((polls.notModified / polls.n) * 100, 1)}% answered 304, P99 ${fmt(q(polls.ms, 99), 1)} ms`)
    out.push('')
    const goals = [
      [`P90 at least 30% lower than round-robin (${fmt(w!.p90)} vs ${fmt(rr!.p90)} ms: ${fmt((1 - w!.p90 / rr!.p90) * 100)}% lower)`, w!.p90 <= 0.7 * rr!.p90],
      [`P90 within 1.15× the oracle (${fmt(w!.p90 / orc!.p90, 2)}×)`, w!.p90 <= 1.15 * orc!.p90],
      [`dead vendor's weight at 0 within 2 probe intervals (${fmt(toZeroS / PROBE_INTERVAL_S, 2)})`, toZeroS <= 2 * PROBE_INTERVAL_S],
      [`no publish moves more than ${MAX_STEP * 100}% of traffic (${fmt(maxStep * 100, 1)}%)`, maxStep <= MAX_STEP + 1e-9],
    ] as const
    for (const [name, met] of goals) out.push(`- ${name}: ${met ? 'met' : 'NOT met'}`)
    process.stdout.write(`${out.join('\n')}\n`)
  } finally {
    for (const h of handles) await h.close()
    await agent.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
