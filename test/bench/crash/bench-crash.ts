/**
 * `npm run bench:crash`: 500 SIGKILLs of a writer under load (BENCH_TRIALS to change).
 * Every trial must pass integrity_check, keep every acknowledged sample, and
 * after a reopen count every stored sample exactly once in hour and day rollups.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killTrial } from '../../crash/kill-harness.js'

const trials = Number(process.env.BENCH_TRIALS ?? 500)
const dir = mkdtempSync(join(tmpdir(), 'weighbridge-crash-'))
let acknowledged = 0
let lost = 0
let badIntegrity = 0
let badRollups = 0
const t0 = Date.now()
try {
  for (let i = 0; i < trials; i++) {
    const r = await killTrial(dir, i, Math.random)
    acknowledged += r.acknowledged
    lost += r.lost.length
    if (r.integrity !== 'ok') badIntegrity++
    if (r.hourSum !== r.rows || r.daySum !== r.rows) badRollups++
    rmSync(join(dir, `crash-${i}.db`), { force: true })
    rmSync(join(dir, `crash-${i}.db-wal`), { force: true })
    rmSync(join(dir, `crash-${i}.db-shm`), { force: true })
    if ((i + 1) % 50 === 0) process.stderr.write(`${i + 1}/${trials} trials, ${acknowledged} acknowledged, ${lost} lost, ${badRollups} with rollups off\n`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.stdout.write(`bench:crash — ${trials} SIGKILLs of a writer process at random moments (20–420 ms into writing), ${((Date.now() - t0) / 1000).toFixed(0)} s\n`)
process.stdout.write(`acknowledged samples: ${acknowledged}; lost: ${lost}; files failing integrity_check: ${badIntegrity}; trials whose rollups miscount after reopen: ${badRollups}\n`)
const pass = lost === 0 && badIntegrity === 0 && badRollups === 0
process.stdout.write(pass ? 'PASS: no acknowledged sample lost, every file intact, every sample rolled up exactly once\n' : 'FAIL\n')
process.exitCode = pass ? 0 : 1
