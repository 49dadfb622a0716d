import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../log.js'
import type { WeightsDocument } from './publisher.js'

export interface PersistedWeights {
  version: number
  tables: WeightsDocument[]
}

export interface StateFile {
  load(): PersistedWeights | null
  save(state: PersistedWeights): void
}

/**
 * The last published weights on disk, written atomically (a temporary file,
 * then rename), so a restart serves them at once: the analogue of HAProxy's
 * server-state-file. A missing file is a first start; an unreadable one is
 * reported and ignored (the daemon computes fresh weights), never fatal.
 */
export function stateFile(path: string, log: Logger): StateFile {
  return {
    load() {
      let text: string
      try {
        text = readFileSync(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, path }, 'cannot read the persisted weights; starting without them')
        return null
      }
      try {
        const state = JSON.parse(text) as PersistedWeights
        if (!Number.isInteger(state.version) || !Array.isArray(state.tables)) throw new Error('expected { version, tables[] }')
        return state
      } catch (err) {
        log.warn({ path, error: err instanceof Error ? err.message : String(err) }, 'persisted weights are not valid; starting without them')
        return null
      }
    },
    save(state) {
      mkdirSync(dirname(path), { recursive: true })
      const tmp = `${path}.${process.pid}.tmp`
      writeFileSync(tmp, JSON.stringify(state))
      renameSync(tmp, path)
    },
  }
}
