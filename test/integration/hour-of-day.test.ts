import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/log.js'
import { figuresFromRaw } from '../../src/stats/hour-figures.js'
import { hourOfDayProfile } from '../../src/stats/hour-of-day.js'
import { openDatabase } from '../../src/store/db.js'
import { sqliteSampleStore } from '../../src/store/sample-store.js'
import { sample } from '../helpers/sample.js'
import { tempDir } from '../helpers/tmp.js'

const DAY = Date.UTC(2026, 10, 20)
const SLO = { ttft_ms: 1000, tpot_ms: 100, e2e_ms: 10_000, availability: 0.9 }

describe('hour-of-day profile', () => {
  it('shows a vendor that is slow at its busy hour, the same from raw rows and from sealed hours', () => {
    const store = sqliteSampleStore(openDatabase(join(tempDir(), 'wb.db'), silentLogger), SLO)
    const rows = []
    for (let day = 0; day < 3; day++)
      for (let i = 0; i < 30; i++) {
        rows.push(sample({ id: crypto.randomUUID(), ts_ms: DAY + day * 86_400_000 + 3 * 3_600_000 + i * 60_000, ttft_ms: 100 + i, output_tps: 120 }))
        rows.push(sample({ id: crypto.randomUUID(), ts_ms: DAY + day * 86_400_000 + 15 * 3_600_000 + i * 60_000, ttft_ms: 900 + i, output_tps: 40 }))
      }
    store.insertMany(rows)
    const from = DAY
    const to = DAY + 3 * 86_400_000
    const fromRaw = hourOfDayProfile(figuresFromRaw(store.statRows(from, to), SLO), 20)
    store.seal(to + 3_600_000, 300_000)
    const inputs = store.windowInputs(from, to)
    expect(inputs.raw).toEqual([])
    const fromRollups = hourOfDayProfile(inputs.hours, 20)
    for (const profile of [fromRaw, fromRollups]) {
      expect(profile).toHaveLength(24)
      expect(profile[3]!.n_ok).toBe(90)
      expect(Math.abs(profile[3]!.ttft_p50! - 114) / 114).toBeLessThanOrEqual(0.01)
      expect(Math.abs(profile[15]!.ttft_p50! - 914) / 914).toBeLessThanOrEqual(0.01)
      expect(profile[15]!.output_tps_p50).toBeLessThan(profile[3]!.output_tps_p50!)
      expect(profile[10]).toEqual({ hour: 10, n_ok: 0, ttft_p50: null, output_tps_p50: null })
    }
    expect(fromRollups).toEqual(fromRaw)
    store.close()
  })
})
