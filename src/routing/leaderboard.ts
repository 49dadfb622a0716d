import type { CatalogModel } from '../catalog.js'
import type { WindowStats } from '../stats/window-stats.js'

export const LEADERBOARD_SORTS = ['ttft', 'ttfat', 'tps', 'e2e', 'availability', 'price'] as const
export type LeaderboardSort = (typeof LEADERBOARD_SORTS)[number]

export interface LeaderboardRow {
  rank: number
  offering: string
  provider: string
  upstream_model: string
  region: string
  price_in_per_mtok: number
  price_out_per_mtok: number
  stats: WindowStats | null
}

/** Sort key and direction: lower is better for latencies and price, higher for speed and availability. */
const KEY: Record<LeaderboardSort, (s: WindowStats | null, row: LeaderboardRow) => number | null> = {
  ttft: (s) => s?.ttft_p50 ?? null,
  ttfat: (s) => s?.ttfat_p50 ?? null,
  e2e: (s) => s?.e2e_p50 ?? null,
  tps: (s) => (s?.output_tps_p50 == null ? null : -s.output_tps_p50),
  availability: (s) => (s?.availability == null ? null : -s.availability),
  price: (_s, r) => (r.price_in_per_mtok + 3 * r.price_out_per_mtok) / 4,
}

/** Rank a model's offerings by one measured metric; offerings without enough data go last, unranked order kept. */
export function rankOfferings(model: CatalogModel, stats: ReadonlyMap<string, WindowStats> | undefined, sort: LeaderboardSort): LeaderboardRow[] {
  const rows: LeaderboardRow[] = model.offerings.map((o) => ({
    rank: 0,
    offering: o.id,
    provider: o.provider,
    upstream_model: o.upstream_model,
    region: o.region,
    price_in_per_mtok: o.price.input_per_mtok,
    price_out_per_mtok: o.price.output_per_mtok,
    stats: stats?.get(o.id) ?? null,
  }))
  const key = (r: LeaderboardRow) => KEY[sort](r.stats, r)
  rows.sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    if (ka === null || kb === null) return ka === null ? (kb === null ? 0 : 1) : -1
    return ka - kb
  })
  rows.forEach((r, i) => (r.rank = i + 1))
  return rows
}
