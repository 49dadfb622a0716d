import type { ProbePrompt, ProbeSample, SampleSource, SampleFlag } from '../core/types.js'
import type { Logger } from '../log.js'
import { Semaphore } from '../schedule/semaphore.js'
import type { Rng } from '../core/random.js'
import { ProviderBackoff } from './backoff.js'
import { runProbe, type ProbeDeps } from './run-probe.js'
import { unsentSample } from './sample.js'
import type { ProbeTarget } from './target.js'

export interface ProbeJob {
  target: ProbeTarget
  prompt: ProbePrompt
  tSched: number
  source: SampleSource
  flags?: readonly SampleFlag[]
}

/** Runs probes within each provider's concurrency cap and hands every outcome to the sink. */
export interface Prober {
  run(job: ProbeJob, signal?: AbortSignal): Promise<ProbeSample>
}

export interface ProberOptions {
  deps: ProbeDeps
  /** Where samples go (the store's writer); called exactly once per job. */
  sink(sample: ProbeSample): void
  log: Logger
  /** Concurrency cap per provider id. */
  caps: ReadonlyMap<string, number>
  rng: Rng
}

export function createProber(o: ProberOptions): Prober {
  const sems = new Map<string, Semaphore>()
  const semFor = (provider: string) => {
    let s = sems.get(provider)
    if (!s) {
      const cap = o.caps.get(provider) ?? 4
      s = new Semaphore(cap, cap * 8)
      sems.set(provider, s)
    }
    return s
  }
  const backoffs = new Map<string, ProviderBackoff>()
  const backoffFor = (provider: string) => {
    let b = backoffs.get(provider)
    if (!b) backoffs.set(provider, (b = new ProviderBackoff(o.rng)))
    return b
  }
  const clock = o.deps.clock
  return {
    async run(job, signal) {
      let sample: ProbeSample
      const backoff = backoffFor(job.target.provider)
      const wait = backoff.remaining(clock.monoMs())
      if (wait > 0) {
        sample = unsentSample(job, clock.wallMs(), 'skipped', `backing off from ${job.target.provider} for another ${Math.round(wait)} ms after rate limiting; probe not sent`)
        o.sink(sample)
        return sample
      }
      const release = await semFor(job.target.provider).acquire(signal)
      if (release === null) {
        sample = signal?.aborted
          ? unsentSample(job, o.deps.clock.wallMs(), 'cancelled', 'cancelled while waiting for a concurrency slot')
          : unsentSample(job, o.deps.clock.wallMs(), 'skipped', `provider ${job.target.provider} concurrency queue is full (cap ${o.caps.get(job.target.provider) ?? 4}); probe not sent`)
      } else {
        try {
          sample = await runProbe(job.target, job.prompt, { source: job.source, tSched: job.tSched, ...(signal ? { signal } : {}), ...(job.flags ? { flags: job.flags } : {}) }, o.deps)
        } finally {
          release()
        }
        backoff.record(clock.monoMs(), sample.outcome === 'http.429', sample.retry_after_ms)
      }
      o.sink(sample)
      const level = sample.outcome === 'ok' ? 'debug' : 'info'
      o.log[level]({ offering: sample.offering, outcome: sample.outcome, ttft_ms: sample.ttft_ms, output_tps: sample.output_tps, error: sample.error_message }, 'probe')
      return sample
    },
  }
}
