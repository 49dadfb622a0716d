import { setMaxListeners } from 'node:events'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { loadConfigFile } from './config/load.js'
import { offeringId, type Config } from './config/schema.js'
import { systemClock } from './core/clock.js'
import { ConfigError, WeighbridgeError, describeError } from './core/errors.js'
import { systemRng } from './core/random.js'
import type { ProbeSample } from './core/types.js'
import { createLogger, type LogLevel, type Logger } from './log.js'
import type { ReloadStatus } from './http/deps.js'
import { startDaemon } from './main.js'
import { buildPrompt, loadCorpus } from './probe/prompts.js'
import { runProbe } from './probe/run-probe.js'
import { percentileSorted } from './core/percentile.js'
import type { ArrivalSpec } from './load/arrivals.js'
import { runClosedLoop, runOpenLoop } from './load/run-load.js'
import { startSimFleet } from './sim/server.js'
import { providerDispatcher, resolveTargets } from './targets.js'

export const DEMO_CONFIG = fileURLToPath(new URL('../probes/demo.yaml', import.meta.url))

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands wait on it. */
  untilStopped: () => Promise<string>
  /** Calls `fn` whenever the process is asked to reload its config (SIGHUP). */
  onReload?: (fn: () => void) => void
}

const USAGE = `weighbridge — multi-vendor LLM API benchmark and routing-weight daemon

Usage:
  weighbridge serve [--config FILE] [--port N] [--db PATH] [--log-level LEVEL]
      Run the daemon: scheduled probes, SQLite store, statistics, GET /v1/weights.
      Without --config it runs the built-in demo (simulated vendors, no keys, no network).
      PORT in the environment also overrides the listen port (--port wins).
  weighbridge sim [--config FILE]
      Start only the simulated vendors of a config and print their base URLs.
  weighbridge config check FILE
      Validate a config file; print every problem with its path and line.
  weighbridge probe --offering PROVIDER/MODEL [--n N] [--bucket NAME] [--config FILE] [--json]
                   [--concurrency C | --rate R [--arrival constant|poisson|gamma] [--burstiness B]]
      Send N probes to one offering and print each measured sample, then a summary.
      Sequential by default; --concurrency runs a closed loop, --rate an open loop
      (requests per second, each stamped with its intended start).
  weighbridge help | --version
`

class UsageError extends WeighbridgeError {
  constructor(message: string) {
    super('CLI_USAGE', message)
  }
}

function intFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${value}"`)
  return n
}

function write(stream: NodeJS.WritableStream, text: string) {
  stream.write(text.endsWith('\n') ? text : `${text}\n`)
}

/** Run one CLI invocation; returns the exit code. Never calls process.exit itself. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest, io)
      case 'sim':
        return await simCommand(rest, io)
      case 'config':
        return configCommand(rest, io)
      case 'probe':
        return await probeCommand(rest, io)
      case '--version':
      case 'version': {
        const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
        write(io.stdout, pkg.version)
        return 0
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        write(io.stdout, USAGE)
        return 0
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (err) {
    if (err instanceof UsageError) {
      write(io.stderr, `error: ${err.message}\n\n${USAGE}`)
      return 2
    }
    if (err instanceof WeighbridgeError) {
      write(io.stderr, `error [${err.code}]: ${err.message}`)
      return 1
    }
    write(io.stderr, `error: ${describeError(err)}`)
    return 1
  }
}

function parse(rest: readonly string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args: [...rest], options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(describeError(err))
  }
}

function configCommand(rest: readonly string[], io: CliIo): number {
  const { positionals } = parse(rest, {})
  if (positionals[0] !== 'check' || positionals.length !== 2) throw new UsageError('usage: weighbridge config check FILE')
  const file = positionals[1]!
  try {
    const cfg = loadConfigFile(file)
    write(io.stdout, `${file}: OK (${cfg.providers.length} providers, ${cfg.models.length} models, ${cfg.offerings.length} offerings, ${cfg.schedules.length} schedules)`)
    return 0
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    write(io.stderr, `${file}: ${err.issues.length} problem(s)`)
    for (const issue of err.issues) write(io.stderr, `  ${issue.path || '(file)'}: ${issue.message}`)
    return 1
  }
}

function logger(level: string | undefined, io: CliIo): Logger {
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']
  if (level !== undefined && !levels.includes(level as LogLevel)) throw new UsageError(`--log-level must be one of ${levels.join(', ')}`)
  return createLogger((level as LogLevel | undefined) ?? 'info', io.stderr)
}

async function serveCommand(rest: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(rest, { config: { type: 'string' }, port: { type: 'string' }, db: { type: 'string' }, 'log-level': { type: 'string' } })
  const log = logger(values['log-level'] as string | undefined, io)
  const port = intFlag(values.port as string | undefined, '--port', 0, 65535) ?? intFlag(io.env.PORT, 'PORT', 0, 65535)
  const file = (values.config as string | undefined) ?? DEMO_CONFIG
  let config = loadConfigFile(file)
  let lastReload: ReloadStatus | null = null
  let reloading: Promise<void> | null = null

  /** Read and validate the whole file; on any problem, record all of them and change nothing. */
  const prepare = (): Config | null => {
    try {
      return loadConfigFile(file)
    } catch (err) {
      const errors = err instanceof ConfigError ? err.issues.map((i) => `${i.path}: ${i.message}`) : [describeError(err)]
      lastReload = { at: new Date().toISOString(), ok: false, file, errors }
      log.error({ file, errors }, 'config reload rejected; the running config is unchanged')
      return null
    }
  }
  /**
   * Apply a valid config: the daemon is rebuilt on it (same port and
   * database; the persisted weights are served, marked stale, until fresh
   * statistics exist); should the new one fail to start, the old config is
   * started again.
   */
  const apply = async (next: Config) => {
    const at = new Date().toISOString()
    const samePort = Number(new URL(daemon.url).port)
    await daemon.stop()
    try {
      daemon = await start(next, samePort)
      config = next
      lastReload = { at, ok: true, file, errors: [] }
      log.info({ file, url: daemon.url }, 'config reloaded')
    } catch (err) {
      lastReload = { at, ok: false, file, errors: [describeError(err)] }
      log.error({ file, error: describeError(err) }, 'the new config failed to start; starting the previous one again')
      daemon = await start(config, samePort)
    }
  }
  const reloadNow = (next: Config) => {
    reloading ??= apply(next).finally(() => (reloading = null))
  }
  const start = (c: Config, p: number | undefined) =>
    startDaemon({
      config: c, log, env: io.env, reloadStatus: () => lastReload,
      // POST /v1/admin/reload: validate now and answer; apply once the response has gone out.
      reload: async () => {
        const next = prepare()
        if (!next) return { accepted: false, errors: lastReload!.errors }
        setImmediate(() => reloadNow(next))
        return { accepted: true }
      },
      ...(p !== undefined ? { port: p } : {}), ...(values.db ? { dbPath: values.db as string } : {}),
    })
  let daemon = await start(config, port)
  write(io.stdout, `weighbridge serving on ${daemon.url} (config ${file}); try ${daemon.url}/v1/weights`)
  // SIGHUP: the same, without an HTTP caller.
  io.onReload?.(() => {
    const next = prepare()
    if (next) reloadNow(next)
  })

  const signal = await io.untilStopped()
  await reloading
  log.info({ signal }, 'shutting down: cancelling in-flight probes')
  await daemon.stop()
  log.info({ samples: daemon.writer.stats.written }, 'stopped cleanly')
  return 0
}

async function simCommand(rest: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(rest, { config: { type: 'string' } })
  const config = loadConfigFile((values.config as string | undefined) ?? DEMO_CONFIG)
  if (!config.simulator) throw new UsageError('this config has no "simulator" section')
  const fleet = await startSimFleet(config.simulator.vendors, { clock: systemClock })
  for (const v of config.simulator.vendors) write(io.stdout, `${v.id}\t${v.protocol}\t${fleet.urls.get(v.id)}\t${Object.keys(v.models).join(',')}`)
  await io.untilStopped()
  await fleet.close()
  return 0
}

function formatSample(s: ProbeSample, i: number): string {
  const f = (v: number | null, unit = '') => (v === null ? '-' : `${Math.round(v * 10) / 10}${unit}`)
  const head = `#${i + 1} ${s.offering} ${s.outcome}`
  if (s.outcome !== 'ok' && s.ttft_ms === null) return `${head} (${s.blame}) ${s.error_message ?? ''}`.trim()
  return `${head} ttfb=${f(s.ttfb_ms, 'ms')} ttft=${f(s.ttft_ms, 'ms')} ttfat=${f(s.ttfat_ms, 'ms')} e2e=${f(s.e2e_ms, 'ms')} tpot=${f(s.tpot_ms, 'ms')} output_tps=${f(s.output_tps)} in=${s.in_tokens ?? '-'} out=${s.out_tokens ?? '-'}${s.reasoning_tokens ? ` reasoning=${s.reasoning_tokens}` : ''} usage=${s.usage_source ?? '-'} cost=$${s.cost_usd?.toFixed(6) ?? '-'}${s.outcome === 'ok' ? '' : ` error=${s.error_message ?? ''}`}`
}

function floatFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number from ${min} to ${max}, got "${value}"`)
  return n
}

/** Which load shape the probe command runs, from its flags. */
function loadShape(values: Record<string, unknown>): { kind: 'closed'; concurrency: number } | { kind: 'open'; arrivals: ArrivalSpec } {
  const rate = floatFlag(values.rate as string | undefined, '--rate', 0.001, 10_000)
  const concurrency = intFlag(values.concurrency as string | undefined, '--concurrency', 1, 10_000)
  if (rate !== undefined && concurrency !== undefined) throw new UsageError('use either --rate (open loop) or --concurrency (closed loop), not both')
  if (rate === undefined) {
    if (values.arrival !== undefined || values.burstiness !== undefined) throw new UsageError('--arrival and --burstiness need --rate')
    return { kind: 'closed', concurrency: concurrency ?? 1 }
  }
  const arrival = (values.arrival as string | undefined) ?? 'poisson'
  if (arrival === 'constant' || arrival === 'poisson') return { kind: 'open', arrivals: { kind: arrival, rate } }
  if (arrival === 'gamma') return { kind: 'open', arrivals: { kind: 'gamma', rate, burstiness: floatFlag(values.burstiness as string | undefined, '--burstiness', 0.01, 100) ?? 1 } }
  throw new UsageError(`--arrival must be constant, poisson or gamma, got "${arrival}"`)
}

function summaryLine(samples: readonly ProbeSample[]): string {
  const ok = samples.filter((s) => s.outcome === 'ok')
  const pct = (xs: (number | null)[], p: number) => {
    const v = percentileSorted(xs.filter((x): x is number => x !== null).sort((a, b) => a - b), p)
    return v === null ? '-' : String(Math.round(v * 10) / 10)
  }
  const outcomes = new Map<string, number>()
  for (const s of samples) outcomes.set(s.outcome, (outcomes.get(s.outcome) ?? 0) + 1)
  return `summary: n=${samples.length} ${[...outcomes].map(([k, v]) => `${k}=${v}`).join(' ')} | ttft p50=${pct(ok.map((s) => s.ttft_ms), 50)}ms p90=${pct(ok.map((s) => s.ttft_ms), 90)}ms | output_tps p50=${pct(ok.map((s) => s.output_tps), 50)} p10=${pct(ok.map((s) => s.output_tps), 10)} | start_lag p99=${pct(samples.map((s) => s.start_lag_ms), 99)}ms`
}

async function probeCommand(rest: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(rest, {
    offering: { type: 'string' }, n: { type: 'string' }, bucket: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' },
    rate: { type: 'string' }, arrival: { type: 'string' }, burstiness: { type: 'string' }, concurrency: { type: 'string' },
  })
  const id = values.offering as string | undefined
  if (!id) throw new UsageError('--offering PROVIDER/MODEL is required')
  const n = intFlag(values.n as string | undefined, '--n', 1, 1_000_000) ?? 1
  const shape = loadShape(values)
  const config: Config = loadConfigFile((values.config as string | undefined) ?? DEMO_CONFIG)
  const known = config.offerings.map(offeringId)
  const offering = config.offerings.find((o) => offeringId(o) === id)
  if (!offering) throw new UsageError(`no offering "${id}"; known: ${known.join(', ')}`)
  const bucketName = (values.bucket as string | undefined) ?? 'short'
  const bucket = config.prompt_buckets[bucketName]
  if (!bucket) throw new UsageError(`no prompt bucket "${bucketName}"; known: ${Object.keys(config.prompt_buckets).join(', ')}`)
  const provider = config.providers.find((p) => p.id === offering.provider)!
  const needSim = provider.base_url.startsWith('sim://') && config.simulator
  const fleet = needSim ? await startSimFleet(config.simulator!.vendors.filter((v) => `sim://${v.id}` === provider.base_url), { clock: systemClock }) : undefined
  const dispatcher = providerDispatcher(provider.timeouts.connect_ms, systemClock)
  const stop = new AbortController()
  // Every probe in flight listens on this one signal (and removes its listener when done): more than 10 is normal.
  setMaxListeners(0, stop.signal)
  void io.untilStopped().then(() => stop.abort())
  const samples: ProbeSample[] = []
  try {
    const target = resolveTargets({ ...config, offerings: [offering] }, { simUrls: fleet?.urls ?? new Map(), env: io.env })[0]!
    const corpus = loadCorpus()
    const deps = { dispatcher, clock: systemClock, countTokens }
    const fire = async (i: number, tSched: number) => {
      const prompt = buildPrompt(corpus, { name: bucketName, ...bucket }, `cli-${Date.now().toString(36)}-${i}`, systemRng)
      const sample = await runProbe(target, prompt, { source: 'probe', tSched, signal: stop.signal }, deps)
      samples.push(sample)
      write(io.stdout, values.json ? JSON.stringify(sample) : formatSample(sample, samples.length - 1))
    }
    if (shape.kind === 'open') await runOpenLoop({ arrivals: shape.arrivals, count: n, clock: systemClock, rng: systemRng, fire, signal: stop.signal })
    else await runClosedLoop({ concurrency: shape.concurrency, count: n, clock: systemClock, fire, signal: stop.signal })
    if (!values.json && n > 1) write(io.stdout, summaryLine(samples))
  } finally {
    await dispatcher.close()
    await fleet?.close()
  }
  return samples.every((s) => s.outcome === 'ok') ? 0 : 1
}
