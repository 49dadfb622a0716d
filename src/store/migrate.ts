import type { Database } from 'better-sqlite3'
import { StoreError } from '../core/errors.js'
import { migrations as all, type Migration } from './migrations.js'

/**
 * Bring the database to the newest schema. Each migration and its
 * `user_version` bump commit together, so a crash leaves either the old or the
 * new version, never half of one. A database newer than this build is refused.
 */
export function migrate(db: Database, migrations: readonly Migration[] = all): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number
  const latest = migrations[migrations.length - 1]?.version ?? 0
  if (from > latest)
    throw new StoreError('STORE_TOO_NEW', `database schema version ${from} is newer than this build supports (${latest}); upgrade weighbridge or use another --db`)
  for (const m of migrations) {
    if (m.version <= from) continue
    db.transaction(() => {
      db.exec(m.sql)
      m.up?.(db)
      db.pragma(`user_version = ${m.version}`)
    })()
  }
  return { from, to: Math.max(from, latest) }
}
