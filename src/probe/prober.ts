import { randomUUID } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import { blameOf, type Outcome } from '../core/outcome.js'
import type { ProbePrompt, ProbeSample, SampleSource } from '../core/types.js'
import type { Logger } from '../log.js'
import { Semaphore } from '../schedule/semaphore.js'
import { runProbe, type ProbeDeps } from './run-probe.js'
import type { ProbeTarget } from './target.js'

export interface ProbeJob {
  target: ProbeTarget
  prompt: ProbePrompt
  tSched: number
  source: SampleSource
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
}

/** A probe that was never sent still leaves a row, so nothing disappears silently. */
function unsentSample(job: ProbeJob, clock: Clock, outcome: Outcome, message: string): ProbeSample {
  const t = job.target
  const nulls = { connect_ms: null, ttfb_ms: null, ttft_ms: null, ttfat_ms: null, e2e_ms: null, decode_ms: null, tpot_ms: null, output_tps: null, e2e_tps: null, gap_p50_ms: null, gap_p99_ms: null, gap_max_ms: null, in_tokens: null, out_tokens: null, reasoning_tokens: null, ref_out_tokens: null, usage_diff_pct: null, usage_source: null, cost_usd: null, http_status: null, censored_ms: null }
  const now = clock.wallMs()
  return { id: randomUUID(), ts_ms: now, offering: t.offering, provider: t.provider, model: t.model, region: t.region, source: job.source, prompt_bucket: job.prompt.bucket, t_sched: job.tSched, start_lag_ms: Math.max(0, now - job.tSched), ...nulls, outcome, blame: blameOf(outcome), error_message: message }
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
  return {
    async run(job, signal) {
      let sample: ProbeSample
      const release = await semFor(job.target.provider).acquire(signal)
      if (release === null) {
        sample = signal?.aborted
          ? unsentSample(job, o.deps.clock, 'cancelled', 'cancelled while waiting for a concurrency slot')
          : unsentSample(job, o.deps.clock, 'skipped', `provider ${job.target.provider} concurrency queue is full (cap ${o.caps.get(job.target.provider) ?? 4}); probe not sent`)
      } else {
        try {
          sample = await runProbe(job.target, job.prompt, { source: job.source, tSched: job.tSched, ...(signal ? { signal } : {}) }, o.deps)
        } finally {
          release()
        }
      }
      o.sink(sample)
      const level = sample.outcome === 'ok' ? 'debug' : 'info'
      o.log[level]({ offering: sample.offering, outcome: sample.outcome, ttft_ms: sample.ttft_ms, output_tps: sample.output_tps, error: sample.error_message }, 'probe')
      return sample
    },
  }
}
