import { statSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Catalog } from '../catalog.js'
import type { ProbeSample } from '../core/types.js'
import type { WeightsService } from '../routing/publisher.js'

/**
 * `GET /metrics` for Prometheus. Probe measurements use the OpenTelemetry
 * GenAI semantic conventions' names and units, as Prometheus spells them
 * (`gen_ai.server.time_to_first_token` → `gen_ai_server_time_to_first_token_seconds`,
 * attributes → labels `gen_ai_provider_name`, `gen_ai_request_model`), so
 * dashboards built for GenAI clients read them; Weighbridge's own series are
 * `weighbridge_*`. Rechecks are counted in outcomes but not in the latency
 * histograms, as in the statistics.
 */
export interface MetricsSources {
  catalog: Catalog
  weights: WeightsService
  writerPending(): number
  dbPath: string | null
}

// Buckets in seconds: TTFT from 50 ms to a minute, per-token time from 1 ms to 1 s.
const TTFT_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 60]
const TPOT_BUCKETS = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1]
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120]
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536]

export function createMetrics(src: MetricsSources) {
  const registry = new Registry()
  const labels = ['gen_ai_provider_name', 'gen_ai_request_model', 'weighbridge_offering'] as const
  const ttft = new Histogram({ name: 'gen_ai_server_time_to_first_token_seconds', help: 'Time to first token (reasoning included) of successful probes', labelNames: labels, buckets: TTFT_BUCKETS, registers: [registry] })
  const tpot = new Histogram({ name: 'gen_ai_server_time_per_output_token_seconds', help: 'Time per output token after the first, of successful probes', labelNames: labels, buckets: TPOT_BUCKETS, registers: [registry] })
  const duration = new Histogram({ name: 'gen_ai_client_operation_duration_seconds', help: 'End-to-end duration of probes, by error type (empty when ok)', labelNames: [...labels, 'error_type'], buckets: DURATION_BUCKETS, registers: [registry] })
  const tokens = new Histogram({ name: 'gen_ai_client_token_usage', help: 'Tokens per probe, by type (input, output)', labelNames: [...labels, 'gen_ai_token_type'], buckets: TOKEN_BUCKETS, registers: [registry] })
  const outcomes = new Counter({ name: 'weighbridge_probe_outcomes_total', help: 'Probe outcomes by class and blame (provider, local, quota)', labelNames: [...labels, 'outcome', 'blame'], registers: [registry] })
  const startLag = new Histogram({ name: 'weighbridge_probe_start_lag_seconds', help: 'How late probes started against their schedule (a slow prober shows here)', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] })
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()

  new Gauge({
    name: 'weighbridge_weight', help: 'Published routing weight (of 1000 per model), per profile; all prompt buckets',
    labelNames: ['model', 'weighbridge_offering', 'gen_ai_provider_name', 'profile', 'state'], registers: [registry],
    collect() {
      this.reset()
      for (const profile of src.weights.profiles) {
        const t = src.weights.current(profile)
        if (!t) continue
        for (const [model, mw] of Object.entries(t.doc.models))
          for (const p of mw.providers) this.set({ model, weighbridge_offering: p.offering, gen_ai_provider_name: p.provider, profile, state: p.state }, p.weight)
      }
    },
  })
  new Gauge({
    name: 'weighbridge_weights_status', help: '1 for the current status of each model table (default profile)', labelNames: ['model', 'status'], registers: [registry],
    collect() {
      this.reset()
      const t = src.weights.current()
      for (const [model, mw] of Object.entries(t?.doc.models ?? {})) this.set({ model, status: mw.status }, 1)
    },
  })
  new Gauge({
    name: 'weighbridge_event_loop_delay_p99_seconds', help: 'Event-loop delay P99 since the last scrape', registers: [registry],
    collect() {
      this.set(loop.percentile(99) / 1e9)
      loop.reset()
    },
  })
  new Gauge({ name: 'weighbridge_write_queue_depth', help: 'Samples waiting for the writer', registers: [registry], collect() { this.set(src.writerPending()) } })
  new Gauge({
    name: 'weighbridge_wal_bytes', help: 'Size of the SQLite write-ahead log', registers: [registry],
    collect() {
      if (!src.dbPath) return
      try {
        this.set(statSync(`${src.dbPath}-wal`).size)
      } catch {
        this.set(0)
      }
    },
  })

  const modelOf = new Map(src.catalog.models.flatMap((m) => m.offerings.map((o) => [o.id, o.upstream_model] as const)))
  return {
    registry,
    observe(s: ProbeSample) {
      const l = { gen_ai_provider_name: s.provider, gen_ai_request_model: modelOf.get(s.offering) ?? s.model, weighbridge_offering: s.offering }
      outcomes.inc({ ...l, outcome: s.outcome, blame: s.blame ?? 'none' })
      if (s.outcome === 'skipped' || s.flags.includes('recheck')) return
      startLag.observe(s.start_lag_ms / 1000)
      if (s.e2e_ms !== null) duration.observe({ ...l, error_type: s.outcome === 'ok' ? '' : s.outcome }, s.e2e_ms / 1000)
      if (s.in_tokens !== null) tokens.observe({ ...l, gen_ai_token_type: 'input' }, s.in_tokens)
      if (s.outcome !== 'ok') return
      if (s.out_tokens !== null) tokens.observe({ ...l, gen_ai_token_type: 'output' }, s.out_tokens)
      if (s.ttft_ms !== null) ttft.observe(l, s.ttft_ms / 1000)
      if (s.tpot_ms !== null) tpot.observe(l, s.tpot_ms / 1000)
    },
    close() {
      loop.disable()
    },
  }
}

export type Metrics = ReturnType<typeof createMetrics>
