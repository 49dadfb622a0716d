import type { ProbeSample, SampleFlag } from '../core/types.js'

/**
 * How a ProbeSample is laid out in the `samples` table, compactly: a week of
 * procurement probing is tens of millions of rows, and bytes per row decide
 * whether that is 1 GB or 7. Durations are integer microseconds and rates
 * integer thousandths (SQLite stores small integers in 1–4 bytes, a REAL in 8;
 * probe values are rounded to 3 decimals, so nothing is lost); the six
 * identifying strings become one `series` id; the UUID is 16 bytes.
 * `sample_view` shows the same rows in METRICS.md names and units.
 */
type Kind = 'int' | 'real' | 'text' | 'us' | 'milli'
type Field = Exclude<keyof ProbeSample, 'id' | 'ts_ms' | 't_sched' | 'flags' | SeriesField>
const SERIES_FIELDS = ['offering', 'provider', 'model', 'region', 'source', 'prompt_bucket'] as const
type SeriesField = (typeof SERIES_FIELDS)[number]

const FIELDS: readonly [Field, string, Kind][] = [
  ['start_lag_ms', 'start_lag_us', 'us'],
  ['connect_ms', 'connect_us', 'us'],
  ['ttfb_ms', 'ttfb_us', 'us'],
  ['ttft_ms', 'ttft_us', 'us'],
  ['ttfat_ms', 'ttfat_us', 'us'],
  ['e2e_ms', 'e2e_us', 'us'],
  ['decode_ms', 'decode_us', 'us'],
  ['tpot_ms', 'tpot_us', 'us'],
  ['output_tps', 'output_mtps', 'milli'],
  ['e2e_tps', 'e2e_mtps', 'milli'],
  ['gap_p50_ms', 'gap_p50_us', 'us'],
  ['gap_p99_ms', 'gap_p99_us', 'us'],
  ['gap_max_ms', 'gap_max_us', 'us'],
  ['in_tokens', 'in_tokens', 'int'],
  ['out_tokens', 'out_tokens', 'int'],
  ['reasoning_tokens', 'reasoning_tokens', 'int'],
  ['ref_out_tokens', 'ref_out_tokens', 'int'],
  ['usage_diff_pct', 'usage_diff_mpct', 'milli'],
  ['usage_source', 'usage_source', 'text'],
  ['cost_usd', 'cost_usd', 'real'],
  ['outcome', 'outcome', 'text'],
  ['blame', 'blame', 'text'],
  ['http_status', 'http_status', 'int'],
  ['error_message', 'error_message', 'text'],
  ['censored_ms', 'censored_us', 'us'],
  ['retry_after_ms', 'retry_after_us', 'us'],
]

// Compile-time check that every ProbeSample field has a column.
type Missing = Exclude<Field, (typeof FIELDS)[number][0]>
const _allFields: Missing extends never ? true : Missing = true
void _allFields

/** Columns of `samples`, in insert order. */
export const SAMPLE_COLUMNS = ['id', 'ts_ms', 'series', 't_sched_us', 'flags', ...FIELDS.map((f) => f[1])] as const

const toInt = (x: number | null, scale: number) => (x === null ? null : Math.round(x * scale))
const fromInt = (x: number | null, scale: number) => (x === null ? null : x / scale)
const SCALE: Record<Kind, number> = { int: 1, real: 1, text: 1, us: 1000, milli: 1000 }

const idBytes = Buffer.alloc(16)
const nibble = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1)
/**
 * A lower-case UUID (ours) as 16 bytes; any other id as text (the column is
 * ANY). The buffer is reused: SQLite copies a blob when it is bound.
 */
function encodeId(id: string): Buffer | string {
  if (id.length !== 36) return id
  let j = 0
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (id.charCodeAt(i) !== 45) return id
      i--
      continue
    }
    const hi = nibble(id.charCodeAt(i))
    const lo = nibble(id.charCodeAt(i + 1))
    if (hi < 0 || lo < 0) return id
    idBytes[j++] = hi * 16 + lo
  }
  return idBytes
}
function decodeId(v: Buffer | string): string {
  if (typeof v === 'string') return v
  const h = v.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export type SeriesKey = Pick<ProbeSample, SeriesField>
export const seriesKey = (s: SeriesKey) => `${s.offering}\u0000${s.provider}\u0000${s.model}\u0000${s.region}\u0000${s.source}\u0000${s.prompt_bucket}`

// The field table flattened for the insert path, which runs for every sample.
const NAMES = FIELDS.map((f) => f[0])
// 0 = stored as is; integers are rounded too (STRICT tables refuse 12.000000001 in an INTEGER column).
const SCALES = FIELDS.map((f) => (f[2] === 'text' || f[2] === 'real' ? 0 : SCALE[f[2]]))
const FIXED = 5

/**
 * A sample as the positional values of SAMPLE_COLUMNS, given its series id,
 * written into `row` (reused across a batch: the insert reads it at once).
 */
export function encodeSample(s: ProbeSample, series: number, row: unknown[] = new Array(SAMPLE_COLUMNS.length)): unknown[] {
  const ts = Math.round(s.ts_ms)
  row[0] = encodeId(s.id)
  row[1] = ts
  row[2] = series
  row[3] = Math.round((s.t_sched - ts) * 1000)
  row[4] = s.flags.length === 0 ? '' : s.flags.join(',')
  for (let i = 0; i < NAMES.length; i++) {
    const v = s[NAMES[i]!]
    const scale = SCALES[i]!
    row[FIXED + i] = scale === 0 || v === null ? v : Math.round((v as number) * scale)
  }
  return row
}

export type StoredSample = Record<(typeof SAMPLE_COLUMNS)[number], unknown>

/** The inverse of encodeSample, given the series it points to. */
export function decodeSample(r: StoredSample, series: SeriesKey): ProbeSample {
  const ts = r.ts_ms as number
  const out: Record<string, unknown> = { id: decodeId(r.id as Buffer | string), ts_ms: ts, ...series, t_sched: ts + (r.t_sched_us as number) / 1000 }
  for (const [field, column, kind] of FIELDS) {
    const v = r[column as keyof StoredSample]
    out[field] = kind === 'text' || kind === 'real' ? v : fromInt(v as number | null, SCALE[kind])
  }
  out.flags = r.flags ? ((r.flags as string).split(',') as SampleFlag[]) : []
  return out as unknown as ProbeSample
}
