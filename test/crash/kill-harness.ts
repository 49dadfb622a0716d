import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { silentLogger } from '../../src/log.js'
import { openDatabase } from '../../src/store/db.js'
import { sqliteSampleStore } from '../../src/store/sample-store.js'
import { TEST_SLO } from '../helpers/sample.js'

const WRITER = new URL('./crash-writer.ts', import.meta.url).pathname
const ROOT = new URL('../../', import.meta.url).pathname

export interface TrialResult {
  acknowledged: number
  stored: number
  lost: string[]
  integrity: string
  killedAfterMs: number
  /** Raw rows, and the sums of `n` over hour and day rollups after a reopen and a full seal: all three must agree. */
  rows: number
  hourSum: number
  daySum: number
}

/**
 * One trial: start the writer, let it run for a random while, SIGKILL it,
 * then open the file and compare with what it acknowledged.
 */
export async function killTrial(dir: string, trial: number, rng: () => number): Promise<TrialResult> {
  const dbPath = join(dir, `crash-${trial}.db`)
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dbPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const acked = new Set<string>()
  const lines = createInterface({ input: child.stdout! })
  const ready = new Promise<void>((resolve) => lines.on('line', (l) => (l === 'READY' ? resolve() : l.startsWith('ACK ') && acked.add(l.slice(4)))))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await ready
  const killedAfterMs = Math.floor(20 + rng() * 400)
  await new Promise((r) => setTimeout(r, killedAfterMs))
  child.kill('SIGKILL')
  await exited
  await new Promise<void>((resolve) => (lines.once('close', () => resolve()), setTimeout(resolve, 200)))
  const db = new Database(dbPath)
  const integrity = db.pragma('integrity_check', { simple: true }) as string
  const stored = new Set((db.prepare('SELECT id FROM sample_view').pluck().all() as string[]))
  db.close()
  const lost = [...acked].filter((id) => !stored.has(id))
  // Reopen as the daemon would (open hours rebuilt from raw rows), seal everything: each stored sample
  // must be counted exactly once in the hour rows and once in the day rows, whenever the kill came.
  const store = sqliteSampleStore(openDatabase(dbPath, silentLogger), TEST_SLO)
  store.seal(Date.UTC(2100, 0, 1), 0)
  store.close()
  const check = new Database(dbPath, { readonly: true })
  const rolledUp = Object.fromEntries((check.prepare('SELECT tier, sum(n) AS n FROM rollups GROUP BY tier').all() as { tier: string; n: number }[]).map((r) => [r.tier, r.n]))
  const rows = check.prepare('SELECT count(*) FROM samples').pluck().get() as number
  check.close()
  return { acknowledged: acked.size, stored: stored.size, lost, integrity, killedAfterMs, rows, hourSum: rolledUp.h ?? 0, daySum: rolledUp.d ?? 0 }
}
