import { setMaxListeners } from 'node:events'
import { randomBytes } from 'node:crypto'
import { schedule as cronSchedule, type ScheduledTask } from 'node-cron'
import type { ScheduleConfig } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import type { Rng } from '../core/random.js'
import type { Logger } from '../log.js'
import { buildPrompt, type PromptCorpus } from '../probe/prompts.js'
import type { Prober } from '../probe/prober.js'
import type { ProbeTarget } from '../probe/target.js'

export interface SchedulerOptions {
  schedules: readonly ScheduleConfig[]
  /** Enabled targets per logical model. */
  targetsByModel: ReadonlyMap<string, readonly ProbeTarget[]>
  buckets: Readonly<Record<string, { input_tokens: number; max_tokens: number }>>
  corpus: PromptCorpus
  prober: Prober
  clock: Clock
  rng: Rng
  log: Logger
}

export interface Scheduler {
  start(): void
  /** Run one round of a schedule now; resolves when its probes have finished. */
  runRound(schedule: ScheduleConfig): Promise<void>
  /** One confirmation probe of an offering after `delayMs` (flagged `recheck`). */
  recheck(offering: string, bucket: string, delayMs: number): void
  readonly inFlight: number
  readonly completed: number
  /** Stop ticking, drop probes still waiting for their jitter, cancel in-flight ones and wait for their samples. */
  stop(): Promise<void>
}

/**
 * Fires probe rounds on cron schedules. A round sends the same fresh prompt to
 * every offering of the selected models, each after its own random jitter,
 * stamped with the instant it was meant to go (so lateness shows as start lag).
 */
export function createScheduler(o: SchedulerOptions): Scheduler {
  const tasks: ScheduledTask[] = []
  /** Probes waiting for their jitter delay, with the resolver of their round's promise. */
  const pending = new Map<NodeJS.Timeout, () => void>()
  const inFlight = new Set<Promise<unknown>>()
  const shutdown = new AbortController()
  // Every probe in flight listens on this one signal (and removes its listener when done): more than 10 is normal.
  setMaxListeners(0, shutdown.signal)
  let completed = 0
  let stopped = false

  const runRound = (s: ScheduleConfig): Promise<void> => {
    if (stopped) return Promise.resolve()
    const bucket = o.buckets[s.bucket]!
    const roundId = randomBytes(6).toString('hex')
    const prompt = buildPrompt(o.corpus, { name: s.bucket, ...bucket }, roundId, o.rng)
    const models = s.models.length > 0 ? s.models : [...o.targetsByModel.keys()]
    const jobs: Promise<unknown>[] = []
    for (const model of models)
      for (const target of o.targetsByModel.get(model) ?? []) {
        const delay = Math.floor(o.rng.next() * (s.jitter_ms + 1))
        const tSched = o.clock.wallMs() + delay
        jobs.push(
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              pending.delete(timer)
              const p = o.prober.run({ target, prompt, tSched, source: 'probe' }, shutdown.signal).then(
                () => void completed++,
                (err: unknown) => o.log.error({ err, offering: target.offering }, 'prober failed unexpectedly'),
              )
              inFlight.add(p)
              void p.finally(() => {
                inFlight.delete(p)
                resolve()
              })
            }, delay)
            pending.set(timer, resolve)
          }),
        )
      }
    return Promise.all(jobs).then(() => undefined)
  }

  /**
   * One confirmation probe of one offering, `delayMs` from now (HAProxy's
   * `fastinter`): after a provider failure, health need not wait a whole
   * interval to learn whether it was a blip or an outage.
   */
  const recheck = (offering: string, bucketName: string, delayMs: number): void => {
    if (stopped) return
    const target = [...o.targetsByModel.values()].flat().find((t) => t.offering === offering)
    const bucket = o.buckets[bucketName]
    if (!target || !bucket) return
    const prompt = buildPrompt(o.corpus, { name: bucketName, ...bucket }, randomBytes(6).toString('hex'), o.rng)
    const timer = setTimeout(() => {
      pending.delete(timer)
      const p = o.prober.run({ target, prompt, tSched: o.clock.wallMs(), source: 'probe', flags: ['recheck'] }, shutdown.signal).then(
        () => void completed++,
        (err: unknown) => o.log.error({ err, offering }, 'prober failed unexpectedly'),
      )
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
    }, delayMs)
    pending.set(timer, () => {})
  }

  return {
    recheck,
    start() {
      for (const s of o.schedules)
        tasks.push(
          cronSchedule(s.cron, () => void runRound(s), {
            name: `probe:${s.name}`,
            logger: { info: () => {}, debug: () => {}, warn: (m) => o.log.warn({ schedule: s.name }, m), error: (m) => o.log.error({ schedule: s.name }, String(m)) },
          }),
        )
      o.log.info({ schedules: o.schedules.map((s) => `${s.name} (${s.cron})`) }, 'probe schedules started')
    },
    runRound,
    get inFlight() {
      return inFlight.size
    },
    get completed() {
      return completed
    },
    async stop() {
      stopped = true
      await Promise.all(tasks.map((t) => t.destroy()))
      for (const [t, resolve] of pending) (clearTimeout(t), resolve())
      pending.clear()
      shutdown.abort()
      await Promise.allSettled([...inFlight])
    },
  }
}
