import { randomUUID } from 'node:crypto'
import { blameOf, type Outcome } from '../core/outcome.js'
import { redactSecrets } from '../core/redact.js'
import type { ProbePrompt, ProbeSample, SampleFlag, SampleSource } from '../core/types.js'
import type { ProbeTarget } from './target.js'
import { computeTiming, type StreamTimeline } from './timing.js'

/** What a stream told us, gathered while it ran. */
export interface StreamAccumulator {
  timeline: StreamTimeline & { tokenEvents: { t: number; answer: boolean }[] }
  /** Token-bearing SSE events, not merged by arrival instant (chunks coalesced by TCP still count one each). */
  tokenEventCount: number
  text: string
  inTokens: number | undefined
  outTokens: number | undefined
  reasoningTokens: number | undefined
  streamError: { outcome: Outcome; message: string } | null
  flags: Set<SampleFlag>
}

export interface SampleParts {
  target: ProbeTarget
  prompt: ProbePrompt
  opts: { source: SampleSource; tSched: number; flags?: readonly SampleFlag[] | undefined }
  countTokens: (text: string) => number
  acc: StreamAccumulator
  wallStart: number
  connectMs: number | null
  status: number | null
  retryAfter: number | null
  outcome: Outcome
  message: string | null
  censoredMs: number | null
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits

/**
 * Turn what was observed into the row we store. The vendor's usage is the
 * truth when it is present and possible; otherwise counts come from the
 * reference tokenizer and say so (`usage_source: estimated`).
 */
export function buildSample(p: SampleParts): ProbeSample {
  const { target, acc } = p
  const flags = new Set([...acc.flags, ...(p.opts.flags ?? [])])
  const hasText = acc.text.length > 0
  const ref = hasText ? p.countTokens(acc.text) : null
  const events = acc.tokenEventCount
  let reported = acc.outTokens !== undefined
  // Every token-bearing event carries at least one token: fewer reported tokens than events is impossible.
  if (reported && (acc.outTokens! < 0 || acc.outTokens! < events)) (flags.add('usage_suspect'), (reported = false))
  if (acc.outTokens === undefined && p.outcome === 'ok') flags.add('usage_missing')
  const outTokens = reported ? acc.outTokens! : ref
  const inTokens = acc.inTokens !== undefined && acc.inTokens >= 0 ? acc.inTokens : hasText || p.outcome === 'ok' ? p.countTokens(p.prompt.user + (p.prompt.system ?? '')) : null
  const timing = computeTiming(acc.timeline, outTokens)
  if (flags.has('usage_suspect')) Object.assign(timing, { tpot_ms: null, output_tps: null, e2e_tps: null })
  const cost = inTokens !== null && outTokens !== null ? (inTokens * target.price.input_per_mtok + outTokens * target.price.output_per_mtok) / 1e6 : null
  return {
    id: randomUUID(),
    ts_ms: p.wallStart,
    offering: target.offering,
    provider: target.provider,
    model: target.model,
    region: target.region,
    source: p.opts.source,
    prompt_bucket: p.prompt.bucket,
    t_sched: p.opts.tSched,
    start_lag_ms: Math.max(0, round(p.wallStart - p.opts.tSched, 3)),
    connect_ms: p.connectMs,
    ...timing,
    in_tokens: inTokens,
    out_tokens: outTokens,
    reasoning_tokens: acc.reasoningTokens ?? null,
    ref_out_tokens: ref,
    usage_diff_pct: reported && ref ? round(((acc.outTokens! - ref) / ref) * 100, 2) : null,
    usage_source: outTokens === null ? null : reported ? 'reported' : 'estimated',
    cost_usd: cost === null ? null : round(cost, 10),
    outcome: p.outcome,
    blame: blameOf(p.outcome),
    http_status: p.status,
    error_message: p.message === null ? null : redactSecrets(p.message, target.apiKey ? [target.apiKey] : []),
    censored_ms: p.censoredMs,
    retry_after_ms: p.retryAfter,
    flags: [...flags].sort(),
  }
}

/** A probe that was never sent still leaves a row, so nothing disappears silently. */
export function unsentSample(job: { target: ProbeTarget; prompt: ProbePrompt; source: SampleSource; tSched: number; flags?: readonly SampleFlag[] }, wallNow: number, outcome: Outcome, message: string): ProbeSample {
  const empty = { t0: 0, tHeaders: null, tokenEvents: [], tDone: null }
  const acc: StreamAccumulator = { timeline: empty, tokenEventCount: 0, text: '', inTokens: undefined, outTokens: undefined, reasoningTokens: undefined, streamError: null, flags: new Set() }
  return buildSample({ target: job.target, prompt: job.prompt, opts: job, countTokens: () => 0, acc, wallStart: wallNow, connectMs: null, status: null, retryAfter: null, outcome, message, censoredMs: null })
}
