import Database from 'better-sqlite3'
import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { dirname } from 'node:path'
import { StoreError } from '../core/errors.js'
import type { Logger } from '../log.js'
import { migrate } from './migrate.js'

export type Db = Database.Database

const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT'])

function openAndMigrate(path: string): Db {
  const db = new Database(path, { timeout: 1_000 })
  try {
    // WAL + synchronous=NORMAL: a committed transaction survives a process crash
    // (kill -9) but the last few may roll back on power loss or an OS crash; the
    // file is never corrupted either way. See README "What survives a crash".
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    migrate(db)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

/**
 * Open (creating if needed) and migrate the database at `path`. A file that is
 * not a readable SQLite database is moved aside (never overwritten) and a fresh
 * one is started, with a warning that names both files.
 */
export function openDatabase(path: string, log: Logger): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  try {
    return openAndMigrate(path)
  } catch (err) {
    const code = (err as { code?: string }).code ?? ''
    if (!CORRUPT_CODES.has(code) || path === ':memory:') {
      if (err instanceof StoreError) throw err
      throw new StoreError('STORE_OPEN_FAILED', `cannot open database ${path}: ${(err as Error).message}`, { cause: err })
    }
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix)
    log.error({ path, moved_to: aside, code }, 'database file is corrupt; moved it aside and started a new one')
    return openAndMigrate(path)
  }
}
