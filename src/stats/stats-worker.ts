/**
 * The statistics worker: computes window statistics on its own thread, over
 * its own read-only connection (WAL lets it read while the daemon writes), so
 * the event loop that serves gateways never waits for a week of rollups.
 */
import Database from 'better-sqlite3'
import { parentPort, workerData } from 'node:worker_threads'
import { rollupReader } from '../store/rollups.js'
import { computeRange, computeWindow, type ComputeParams, type WindowResult } from './compute-window.js'
import type { WindowName } from './windows.js'

export interface WorkerRequest {
  id: number
  windows: WindowName[]
  /** An explicit [from, to) instead of (or besides) named windows. */
  range?: { from: number; to: number }
  nowMs: number
}
export type WorkerReply = { id: number; results: WindowResult[]; errors: { window: WindowName | 'custom'; message: string }[] }

const { dbPath, params } = workerData as { dbPath: string; params: ComputeParams }
const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 5_000 })
const reader = rollupReader(db)

parentPort!.on('message', (req: WorkerRequest) => {
  const reply: WorkerReply = { id: req.id, results: [], errors: [] }
  if (req.range) {
    try {
      reply.results.push(computeRange(reader.windowInputs, params, { window: 'custom', ...req.range }, req.nowMs))
    } catch (err) {
      reply.errors.push({ window: 'custom', message: err instanceof Error ? err.message : String(err) })
    }
  }
  for (const w of req.windows) {
    try {
      reply.results.push(computeWindow(reader.windowInputs, params, w, req.nowMs))
    } catch (err) {
      reply.errors.push({ window: w, message: err instanceof Error ? err.message : String(err) })
    }
  }
  parentPort!.postMessage(reply)
})
