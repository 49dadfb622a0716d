import fc from 'fast-check'
import * as hdr from 'hdr-histogram-js'
import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { addEncoded, encode, newHistogram, type Histogram } from '../../src/stats/histogram.js'

const values = fc.array(fc.integer({ min: 1, max: 3_000_000_000 }), { minLength: 1, maxLength: 300 })
const filled = (xs: number[]) => {
  const h = newHistogram()
  for (const x of xs) h.recordValue(x)
  return h
}
type Equivalence = { lowestEquivalentValue(v: number): number; highestEquivalentValue(v: number): number }
// Min and max compared as buckets: a decoded histogram (hdr-histogram-js's own too) knows the bucket, not the value.
const summary = (h: Histogram) => ({
  total: h.totalCount,
  min: (h as unknown as Equivalence).lowestEquivalentValue(h.minNonZeroValue),
  max: (h as unknown as Equivalence).highestEquivalentValue(h.maxValue),
  ps: [0, 1, 5, 10, 50, 90, 95, 99, 99.9, 100].map((p) => h.getValueAtPercentile(p)),
})

describe('HDR histogram encoding (HdrHistogram V2, uncompressed)', () => {
  it("is the standard format: hdr-histogram-js's own decoder reads it back unchanged", () => {
    fc.assert(
      fc.property(values, (xs) => {
        const h = filled(xs)
        const v2 = encode(h)!
        // Wrap it the way HdrHistogram compresses: cookie, length, deflate(V2 bytes).
        const wrapped = Buffer.alloc(8)
        const deflated = deflateSync(v2)
        wrapped.writeInt32BE(0x1c849314, 0)
        wrapped.writeInt32BE(deflated.length, 4)
        const back = hdr.decodeFromCompressedBase64(Buffer.concat([wrapped, deflated]).toString('base64'), 32, false)
        expect(summary(back)).toEqual(summary(h))
        back.destroy()
        h.destroy()
      }),
      { numRuns: 100 },
    )
  })

  it('merging from the encoding equals hdr-histogram-js add(), into empty and non-empty histograms', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const viaAdd = filled(a)
        const viaBytes = filled(a)
        const other = filled(b)
        viaAdd.add(other)
        addEncoded(viaBytes, encode(other))
        expect(summary(viaBytes)).toEqual(summary(viaAdd))
        for (const h of [viaAdd, viaBytes, other]) h.destroy()
      }),
      { numRuns: 100 },
    )
  })

  it('an empty histogram encodes to null and adds nothing; foreign bytes are refused with a reason', () => {
    const h = newHistogram()
    expect(encode(h)).toBeNull()
    addEncoded(h, null)
    expect(h.totalCount).toBe(0)
    expect(() => addEncoded(h, new Uint8Array(40))).toThrow(/not a histogram this build wrote/)
    const ok = encode(filled([5, 6, 7]))!
    expect(() => addEncoded(h, ok.subarray(0, ok.length - 1))).toThrow(/truncated histogram/)
  })
})
