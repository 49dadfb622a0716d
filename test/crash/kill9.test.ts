import { describe, expect, it } from 'vitest'
import { seededRng } from '../../src/core/random.js'
import { tempDir } from '../helpers/tmp.js'
import { killTrial } from './kill-harness.js'

/**
 * Crash safety: a writer process is killed with SIGKILL at random moments
 * (mid-batch, mid-checkpoint, whenever); every sample it acknowledged must be
 * in the database afterwards, the file must pass integrity_check, and after a
 * reopen every stored sample is counted exactly once in the hour and day rollups.
 * (`npm run bench:crash` runs the same trial 500 times.)
 */
describe('kill -9 while writing', () => {
  it('loses no acknowledged sample in 20 random kills', { timeout: 120_000 }, async () => {
    const dir = tempDir()
    const rng = seededRng(Date.now() % 100_000)
    let acknowledged = 0
    for (let trial = 0; trial < 20; trial++) {
      const r = await killTrial(dir, trial, () => rng.next())
      expect(r.integrity, `trial ${trial}`).toBe('ok')
      expect(r.lost, `trial ${trial}: ${r.lost.length} of ${r.acknowledged} acknowledged samples missing after a kill at ${r.killedAfterMs} ms`).toEqual([])
      expect(r.stored).toBeGreaterThanOrEqual(r.acknowledged)
      expect({ hours: r.hourSum, days: r.daySum }, `trial ${trial}: rollups after a kill at ${r.killedAfterMs} ms`).toEqual({ hours: r.rows, days: r.rows })
      acknowledged += r.acknowledged
    }
    expect(acknowledged).toBeGreaterThan(1000) // the trials really wrote under load
  })
})
