import { appendFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import type { AddressInfo } from 'node:net'
import type { Dispatcher } from 'undici'
import { buildCatalog, type Catalog } from './catalog.js'
import type { Config } from './config/schema.js'
import { systemClock, type Clock } from './core/clock.js'
import { systemRng, type Rng } from './core/random.js'
import { createAdminApp, createApp } from './http/app.js'
import { createMetrics } from './ops/metrics.js'
import { HOUR_MS } from './stats/hour-figures.js'
import { weightsFastPath } from './http/weights-fast-path.js'
import { loadToken } from './http/auth.js'
import type { AdminReloadResult, AuditEntry, HealthReport, ReloadStatus } from './http/deps.js'
import type { Logger } from './log.js'
import { startLoopLagMonitor } from './probe/loop-lag.js'
import { loadCorpus } from './probe/prompts.js'
import { createProber } from './probe/prober.js'
import type { ProbeTarget } from './probe/target.js'
import { createWeightsService, type WeightsService } from './routing/publisher.js'
import { buildProfiles, strategiesFor } from './routing/profiles.js'
import { stateFile } from './routing/state-file.js'
import { createScheduler, type Scheduler } from './schedule/scheduler.js'
import { startSimFleet } from './sim/server.js'
import { createStatsService, inProcessSource, workerSource, type StatsService } from './stats/stats-service.js'
import { openDatabase } from './store/db.js'
import { sqliteSampleStore, type SampleQuery, type SampleStore } from './store/sample-store.js'
import { createSampleWriter, type SampleWriter } from './store/sample-writer.js'
import { providerDispatcher, resolveTargets } from './targets.js'

export interface DaemonOptions {
  config: Config
  log: Logger
  /** Overrides `storage.path` (`serve --db`). */
  dbPath?: string
  /** Overrides `server.port` (`serve --port`, `PORT`). */
  port?: number
  env?: NodeJS.ProcessEnv
  clock?: Clock
  rng?: Rng
  /** Start the cron schedules (tests drive rounds by hand). Default true. */
  schedules?: boolean
  /** The last config reload, for /healthz (the CLI owns reloading). */
  reloadStatus?: () => ReloadStatus | null
  /** `POST /v1/admin/reload` (the CLI provides it for `serve --config`). */
  reload?: () => Promise<AdminReloadResult>
}

export interface Daemon {
  url: string
  /** The admin listener's URL when `server.admin_port` is set; else null (admin routes are on `url`). */
  adminUrl: string | null
  catalog: Catalog
  targets: readonly ProbeTarget[]
  store: SampleStore
  writer: SampleWriter
  stats: StatsService
  weights: WeightsService
  scheduler: Scheduler
  simUrls: ReadonlyMap<string, string>
  /** Graceful stop: cancel in-flight probes (recorded as cancelled), flush samples, close everything. */
  stop(): Promise<void>
}

/** How often the writer checks for an hour to seal. */
const SEAL_CHECK_MS = 30_000

/**
 * The composition root: the only place that builds real I/O (simulators,
 * connection pools, database, timers, HTTP listener) and wires the stages
 * probe → store → statistics → weights → API together.
 */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const { config, log } = o
  const clock = o.clock ?? systemClock
  const rng = o.rng ?? systemRng
  const cleanups: (() => Promise<void> | void)[] = []
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn()
  }
  try {
    const usesSim = config.providers.some((p) => p.base_url.startsWith('sim://'))
    let simUrls: ReadonlyMap<string, string> = new Map()
    if (usesSim && config.simulator) {
      const fleet = await startSimFleet(config.simulator.vendors, { clock })
      cleanups.push(() => fleet.close())
      simUrls = fleet.urls
      log.info({ vendors: Object.fromEntries(simUrls) }, 'simulated vendors listening')
    }
    const dispatchers = new Map<string, Dispatcher>(config.providers.map((p) => [p.id, providerDispatcher(p.timeouts.connect_ms, clock)]))
    cleanups.push(() => Promise.all([...dispatchers.values()].map((d) => d.close())).then(() => undefined))
    const targets = resolveTargets(config, { simUrls, env: o.env ?? process.env, dispatchers })
    const catalog = buildCatalog(config)

    const dbPath = o.dbPath ?? config.storage.path
    const store = sqliteSampleStore(openDatabase(dbPath, log), config.slo)
    cleanups.push(() => store.close())
    const writer = createSampleWriter(store, log, { flushMs: config.storage.flush_ms })
    cleanups.push(() => writer.close())
    log.info({ db: dbPath, samples: store.count() }, 'database open')

    const statsParams = { offerings: targets.map((t) => t.offering), minN: config.stats.min_n, slo: config.slo }
    const source = dbPath === ':memory:' ? inProcessSource((a, b) => store.windowInputs(a, b), statsParams) : workerSource(dbPath, statsParams)
    const stats = createStatsService({ source, clock, log, refreshMs: config.stats.refresh_s * 1000 })
    const weights = createWeightsService({
      catalog, stats, clock, log,
      window: config.weights.window,
      minN: config.weights.min_n,
      floor: config.weights.exploration_floor,
      ttlS: config.weights.ttl_s,
      defaultProfile: config.weights.profile,
      profiles: strategiesFor(buildProfiles(config.weights.profiles)),
      buckets: Object.keys(config.prompt_buckets),
      health: {
        fall: config.weights.health.fall,
        rise: config.weights.health.rise,
        ejectionBaseMs: config.weights.health.ejection_base_s * 1000,
        ejectionMaxMs: config.weights.health.ejection_max_s * 1000,
        maxEjectionPercent: config.weights.health.max_ejection_percent,
        slowStartMs: config.weights.health.slow_start_s * 1000,
      },
      damping: { scoreAlpha: config.weights.damping.score_alpha, maxStep: config.weights.damping.max_step },
      ...(dbPath === ':memory:' && !config.weights.state_file ? {} : { stateFile: stateFile(config.weights.state_file ?? join(dirname(dbPath), 'weights-state.json'), log) }),
    })
    cleanups.push(() => weights.close())
    stats.start()
    weights.recompute()
    const weightsTimer = setInterval(() => weights.recompute(), config.weights.recompute_s * 1000)
    cleanups.push(async () => (clearInterval(weightsTimer), await stats.stop()))
    // Housekeeping, writer side: seal finished hours into rollups; expire hourly.
    const sealTimer = setInterval(() => {
      try {
        const sealed = store.seal(clock.wallMs(), config.storage.seal_grace_s * 1000)
        if (sealed > 0) log.debug({ hours: sealed, sealed_until: new Date(store.sealedUntil()).toISOString() }, 'sealed hours into rollups')
      } catch (err) {
        log.error({ err }, 'sealing an hour into rollups failed; raw samples are intact and the next pass retries')
      }
    }, SEAL_CHECK_MS)
    sealTimer.unref()
    cleanups.push(() => clearInterval(sealTimer))
    const pruneTimer = setInterval(() => {
      const now = clock.wallMs()
      try {
        const rollupsRemoved = store.pruneRollups(now - config.storage.rollup_retention_days * 24 * HOUR_MS)
        const removed = store.pruneBefore(now - config.storage.raw_retention_days * 24 * HOUR_MS)
        if (removed + rollupsRemoved > 0) log.info({ removed, rollups_removed: rollupsRemoved }, 'pruned data past retention')
      } catch (err) {
        log.error({ err }, 'retention failed; the next hourly pass retries')
      }
    }, HOUR_MS)
    pruneTimer.unref()
    cleanups.push(() => clearInterval(pruneTimer))

    const metrics = createMetrics({ catalog, weights, writerPending: () => writer.stats.pending, dbPath: dbPath === ':memory:' ? null : dbPath })
    cleanups.push(() => metrics.close())
    const loopLag = startLoopLagMonitor(clock)
    cleanups.push(() => loopLag.stop())
    let lastSampleAt: number | null = null
    const prober = createProber({
      deps: { dispatcher: dispatchers.values().next().value!, clock, countTokens, loopLag },
      sink: (s) => {
        writer.add(s)
        weights.observe(s)
        metrics.observe(s)
        // A provider failure: confirm soon rather than at the next scheduled round (never a recheck of a recheck).
        if (s.blame === 'provider' && !s.flags.includes('recheck') && config.weights.health.recheck_ms > 0) scheduler.recheck(s.offering, s.prompt_bucket, config.weights.health.recheck_ms)
        lastSampleAt = s.ts_ms
      },
      log,
      caps: new Map(config.providers.map((p) => [p.id, p.max_concurrency])),
      rng,
    })
    const targetsByModel = new Map<string, ProbeTarget[]>()
    for (const t of targets) targetsByModel.set(t.model, [...(targetsByModel.get(t.model) ?? []), t])
    const scheduler = createScheduler({ schedules: config.schedules, targetsByModel, buckets: config.prompt_buckets, corpus: loadCorpus(), prober, clock, rng, log })
    // Stopping the scheduler (cancelling in-flight probes) must come before the writer's final flush.
    cleanups.push(() => scheduler.stop())

    const startedAt = clock.monoMs()
    const health = (): HealthReport => ({
      status: writer.stats.failedFlushes > 0 && writer.stats.pending > 0 ? 'degraded' : 'ok',
      uptime_s: Math.round((clock.monoMs() - startedAt) / 1000),
      probes: { in_flight: scheduler.inFlight, completed: scheduler.completed, last_sample_at: lastSampleAt === null ? null : new Date(lastSampleAt).toISOString() },
      writer: { written: writer.stats.written, pending: writer.stats.pending, dropped: writer.stats.dropped, failed_flushes: writer.stats.failedFlushes },
      last_reload: o.reloadStatus?.() ?? null,
    })
    const endpoints = new Map(config.providers.map((p) => [p.id, { protocol: p.protocol, base_url: targets.find((t) => t.provider === p.id)?.baseUrl ?? p.base_url, ...(p.api_key_env ? { api_key_env: p.api_key_env } : {}) }]))
    const env = o.env ?? process.env
    const tokens = {
      admin: loadToken({ env: config.server.admin_token_env, file: config.server.admin_token_file }, env, 'admin_token'),
      read: loadToken({ env: config.server.read_token_env, file: config.server.read_token_file }, env, 'read_token'),
    }
    // Admin actions go to an append-only JSON-lines file beside the database, and to the log.
    const auditPath = dbPath === ':memory:' ? null : join(dirname(dbPath), 'audit.log')
    const audit = (e: AuditEntry) => {
      const line = { at: new Date(clock.wallMs()).toISOString(), ...e }
      log.info({ audit: line }, `admin ${e.action}: ${e.result}`)
      if (auditPath) appendFileSync(auditPath, `${JSON.stringify(line)}\n`)
    }
    const apiDeps = { catalog, stats, weights, endpoints, health, metrics, tokens, admin: o.reload ? { reload: o.reload } : {}, audit, recentSamples: (q: SampleQuery) => store.recent(q) }
    const separateAdmin = config.server.admin_port !== undefined
    const app = createApp(apiDeps, log, { admin: separateAdmin ? 'elsewhere' : 'here' })
    let adminUrl: string | null = null
    if (separateAdmin) {
      const adminServer = await listen(createAdminApp(apiDeps, log).fetch, () => false, '127.0.0.1', config.server.admin_port!)
      cleanups.push(() => new Promise<void>((resolve) => adminServer.close(() => resolve())))
      adminUrl = `http://127.0.0.1:${(adminServer.address() as AddressInfo).port}`
    }
    const port = o.port ?? config.server.port
    const server = await listen(app.fetch, weightsFastPath(weights, tokens.read), config.server.host, port)
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const addr = server.address() as AddressInfo
    const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
    if (o.schedules !== false) scheduler.start()
    log.info({ url, offerings: targets.length, models: catalog.models.length }, 'weighbridge serving')

    let stopping: Promise<void> | undefined
    return {
      url, adminUrl, catalog, targets, store, writer, stats, weights, scheduler, simUrls,
      stop: () => (stopping ??= cleanup()),
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/** node:http with the weights fast path first, Hono for everything else. */
function listen(fetch: (req: Request) => Response | Promise<Response>, fast: (req: IncomingMessage, res: ServerResponse) => boolean, hostname: string, port: number): Promise<Server> {
  const hono = getRequestListener(fetch, { overrideGlobalObjects: false })
  const server = createServer((req, res) => {
    if (!fast(req, res)) void hono(req, res)
  })
  // Explicit, so a slow client (slowloris) cannot hold a connection open indefinitely.
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => resolve(server))
  })
}
