import type { ModelWeights, ProviderWeight } from './decide.js'
import type { ProfileName } from './profiles.js'

/** One published change of one model's weights, with why. */
export interface HistoryEntry {
  version: number
  at: string
  profile: ProfileName
  model: string
  status: ModelWeights['status']
  status_reason?: string
  changes: { offering: string; from: number | null; to: number; state_from: string | null; state_to: string }[]
  /** One line per changed offering: "vendor-b 620 → 180: p90 ttft 812 ms → 3400 ms, state healthy → ejected, n=412". */
  summary: string[]
}

/** Weight moves smaller than this (points of 1000) are score drift, not news; state changes always are. */
export const HISTORY_MIN_MOVE = 10

type Doc = { version: number; generated_at: string; profile: ProfileName; models: Record<string, ModelWeights> }

const ms = (x: number | null) => (x === null ? 'n/a' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`)
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`)
const tps = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)} tok/s`)

function why(a: ProviderWeight | undefined, b: ProviderWeight): string {
  const parts: string[] = []
  const m0 = a?.metrics
  const m1 = b.metrics
  const lat = (m: ProviderWeight['metrics'] | undefined) => m?.ttfat_p90_ms ?? m?.ttft_p90_ms ?? null
  const changed = (x: number | null, y: number | null, rel: number) => x === null || y === null ? x !== y : Math.abs(y - x) > rel * Math.max(Math.abs(x), 1e-9)
  if (changed(lat(m0), lat(m1), 0.05)) parts.push(`p90 ${m1.ttfat_p90_ms !== null ? 'ttfat' : 'ttft'} ${ms(lat(m0))} → ${ms(lat(m1))}`)
  if (changed(m0?.output_tps_p50 ?? null, m1.output_tps_p50, 0.05)) parts.push(`decode p50 ${tps(m0?.output_tps_p50 ?? null)} → ${tps(m1.output_tps_p50)}`)
  if (changed(m0?.availability ?? null, m1.availability, 0.001)) parts.push(`availability ${pct(m0?.availability ?? null)} → ${pct(m1.availability)}`)
  if (changed(m0?.rate_limited_ratio ?? null, m1.rate_limited_ratio, 0.001)) parts.push(`rate limited ${pct(m0?.rate_limited_ratio ?? null)} → ${pct(m1.rate_limited_ratio)}`)
  if (a?.state !== b.state) parts.push(`state ${a?.state ?? 'new'} → ${b.state}`)
  if (parts.length === 0) parts.push(b.reasons[0] ?? 'rebalanced against its peers')
  parts.push(`n=${m1.n}`)
  return parts.join(', ')
}

/** What changed between two published documents of one profile: an entry per model that moved. */
export function describeChanges(before: Doc | undefined, after: Doc): HistoryEntry[] {
  const out: HistoryEntry[] = []
  for (const [model, mw] of Object.entries(after.models)) {
    const prev = before?.models[model]
    const prevBy = new Map(prev?.providers.map((p) => [p.offering, p]) ?? [])
    const moved = mw.providers.filter((p) => {
      const q = prevBy.get(p.offering)
      return !q || q.state !== p.state || Math.abs(q.weight - p.weight) >= HISTORY_MIN_MOVE
    })
    if (moved.length === 0 && prev?.status === mw.status) continue
    out.push({
      version: after.version,
      at: after.generated_at,
      profile: after.profile,
      model,
      status: mw.status,
      ...(mw.status_reason ? { status_reason: mw.status_reason } : {}),
      changes: moved.map((p) => ({ offering: p.offering, from: prevBy.get(p.offering)?.weight ?? null, to: p.weight, state_from: prevBy.get(p.offering)?.state ?? null, state_to: p.state })),
      summary: [
        ...(prev?.status !== mw.status ? [`status ${prev?.status ?? 'new'} → ${mw.status}${mw.status_reason ? `: ${mw.status_reason}` : ''}`] : []),
        ...moved.map((p) => `${p.provider} ${prevBy.get(p.offering)?.weight ?? '—'} → ${p.weight}: ${why(prevBy.get(p.offering), p)}`),
      ],
    })
  }
  return out
}
