import * as hdr from 'hdr-histogram-js'

/**
 * The one place that owns HDR histograms: how they are built, encoded,
 * decoded and released. Values are recorded as integers in fixed units
 * (microseconds for durations, thousandths for tokens/s) with 2 significant
 * digits: percentiles are within 1% of the truth. (Packed buckets measured
 * 20–60× slower here; 3 digits 5× slower and 7× larger.)
 *
 * Stored histograms use the standard HdrHistogram V2 encoding, uncompressed:
 * a 40-byte header, then ZigZag LEB128 counts where a negative word is a run
 * of empty buckets. Any HdrHistogram implementation reads it. We decode it
 * ourselves, straight into the histogram being merged into: 1.5 µs per merge
 * where hdr-histogram-js's base64 + deflate decode, a new histogram and `add`
 * took 29 µs, and a 7-day window merges thousands of these.
 */
export type Histogram = hdr.Histogram

export const PRECISION = 0.01
const DIGITS = 2
const HIGHEST = 3_600_000_000
const BUILD: hdr.BuildRequest = { bitBucketSize: 32, numberOfSignificantValueDigits: DIGITS, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST, autoResize: true }

/** Durations (ms) are stored in µs; rates (tokens/s) in thousandths. */
export const SCALE = 1000

/**
 * Released histograms, reset and kept for reuse. A histogram is a 13 KB typed
 * array; sealing and windows create and drop thousands, and reusing them keeps
 * that churn away from the garbage collector (measured: GC was a quarter of
 * ingest time without it).
 */
const pool: Histogram[] = []
const POOL_MAX = 2_000

export function newHistogram(): Histogram {
  return pool.pop() ?? hdr.build(BUILD)
}

/** Done with `h`: it is reset and reused, or destroyed. Never touch it afterwards. */
export function releaseHistogram(h: Histogram): void {
  if (pool.length >= POOL_MAX) return h.destroy()
  h.reset()
  pool.push(h)
}

export function record(h: Histogram, value: number | null): void {
  if (value === null || !Number.isFinite(value) || value < 0) return
  h.recordValue(Math.max(1, Math.round(value * SCALE)))
}

export function percentile(h: Histogram, p: number): number | null {
  return h.totalCount === 0 ? null : h.getValueAtPercentile(p) / SCALE
}

/** The parts of hdr-histogram-js's JsHistogram that an index-level merge needs (public members of its class). */
interface Counts {
  readonly totalCount: number
  readonly maxValue: number
  readonly minNonZeroValue: number
  readonly countsArrayLength: number
  getCountAtIndex(i: number): number
  addToCountAtIndex(i: number, n: number): void
  setTotalCount(n: number): void
  countsArrayIndex(value: number): number
  valueFromIndex(i: number): number
  highestEquivalentValue(value: number): number
  resize(highest: number): void
  updatedMaxValue(v: number): void
  updateMinNonZeroValue(v: number): void
}
const counts = (h: Histogram) => h as unknown as Counts

const V2_COOKIE = 0x1c849313
const HEADER = 40

/** The V2 encoding of `h`, or null when it is empty. */
export function encode(h: Histogram): Uint8Array | null {
  if (h.totalCount === 0) return null
  const c = counts(h)
  const limit = c.countsArrayIndex(c.maxValue) + 1
  const words: number[] = []
  const put = (n: number) => {
    let v = n >= 0 ? n * 2 : -n * 2 - 1
    while (v >= 128) (words.push((v % 128) | 128), (v = Math.floor(v / 128)))
    words.push(v)
  }
  for (let i = 0; i < limit; ) {
    const n = c.getCountAtIndex(i++)
    if (n > 0) {
      put(n)
      continue
    }
    let zeros = 1
    while (i < limit && c.getCountAtIndex(i) === 0) (zeros++, i++)
    put(zeros > 1 ? -zeros : 0)
  }
  const out = new Uint8Array(HEADER + words.length)
  const dv = new DataView(out.buffer)
  dv.setInt32(0, V2_COOKIE)
  dv.setInt32(4, words.length)
  dv.setInt32(8, 0) // normalizing index offset
  dv.setInt32(12, DIGITS)
  dv.setBigInt64(16, 1n) // lowest discernible value
  dv.setBigInt64(24, BigInt(HIGHEST))
  dv.setFloat64(32, 1) // integer-to-double conversion ratio
  out.set(words, HEADER)
  return out
}

/**
 * Add a V2-encoded histogram (ours: same digits, same lowest value, so the
 * same bucket layout) into `into`, index by index. Refuses anything else.
 */
export function addEncoded(into: Histogram, bytes: Uint8Array | null): void {
  if (bytes === null) return
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.byteLength < HEADER || dv.getInt32(0) !== V2_COOKIE || dv.getInt32(12) !== DIGITS || dv.getBigInt64(16) !== 1n)
    throw new Error('not a histogram this build wrote (HdrHistogram V2, 2 digits, lowest value 1)')
  const end = HEADER + dv.getInt32(4)
  if (end > bytes.byteLength) throw new Error(`truncated histogram: payload of ${end - HEADER} bytes, ${bytes.byteLength - HEADER} present`)
  const c = counts(into)
  let pos = HEADER
  let index = 0
  let total = 0
  let minIndex = -1
  let maxIndex = -1
  while (pos < end) {
    let v = 0
    let scale = 1
    let b: number
    do {
      b = bytes[pos++]!
      v += (b & 0x7f) * scale
      scale *= 128
    } while (b & 0x80 && pos < end)
    const n = v % 2 === 0 ? v / 2 : -(v + 1) / 2
    if (n < 0) {
      index -= n
      continue
    }
    if (n > 0) {
      if (index >= c.countsArrayLength) c.resize(c.highestEquivalentValue(c.valueFromIndex(index)))
      c.addToCountAtIndex(index, n)
      total += n
      if (minIndex < 0 && index > 0) minIndex = index
      maxIndex = index
    }
    index++
  }
  if (total === 0) return
  c.setTotalCount(c.totalCount + total)
  c.updatedMaxValue(Math.max(c.maxValue, c.highestEquivalentValue(c.valueFromIndex(maxIndex))))
  if (minIndex >= 0) c.updateMinNonZeroValue(Math.min(c.minNonZeroValue, c.valueFromIndex(minIndex)))
}

/** A histogram from its encoding (tests and tools; merging uses addEncoded). Release it when done. */
export function decode(bytes: Uint8Array): Histogram {
  const h = newHistogram()
  addEncoded(h, bytes)
  return h
}
