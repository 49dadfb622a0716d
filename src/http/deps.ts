import type { Catalog } from '../catalog.js'
import type { ProbeSample } from '../core/types.js'
import type { Metrics } from '../ops/metrics.js'
import type { WeightsService } from '../routing/publisher.js'
import type { Endpoint } from '../routing/render.js'
import type { SampleQuery } from '../store/sample-store.js'
import type { StatsService } from '../stats/stats-service.js'

/** The last config reload (SIGHUP): what was applied, or every reason it was not. */
export interface ReloadStatus {
  at: string
  ok: boolean
  file: string
  errors: string[]
}

export interface HealthReport {
  status: 'ok' | 'degraded'
  uptime_s: number
  probes: { in_flight: number; completed: number; last_sample_at: string | null }
  writer: { written: number; pending: number; dropped: number; failed_flushes: number }
  /** Null until a reload has been asked for. */
  last_reload: ReloadStatus | null
}

/** What an admin reload answers: rejected with every error, or accepted (applied right after the response). */
export type AdminReloadResult = { accepted: true } | { accepted: false; errors: string[] }

/** One admin action, for the audit log (never a secret). */
export interface AuditEntry {
  action: string
  remote: string | null
  result: string
  details?: Record<string, unknown>
}

/** What the HTTP layer may touch. No database handle: reads come from snapshots (samples excepted). */
export interface ApiDeps {
  catalog: Catalog
  stats: StatsService
  weights: WeightsService
  /** How gateways reach each provider, for the rendered formats. */
  endpoints: ReadonlyMap<string, Endpoint>
  health(): HealthReport
  metrics: Metrics
  /** Bearer tokens: admin routes (null = admin API off), read API (null = open). */
  tokens: { admin: string | null; read: string | null }
  /** Admin actions; absent when the daemon was not started by `weighbridge serve` with a config file. */
  admin: { reload?: () => Promise<AdminReloadResult> }
  audit(entry: AuditEntry): void
  recentSamples(q: SampleQuery): ProbeSample[]
}
