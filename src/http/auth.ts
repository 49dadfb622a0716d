import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { MiddlewareHandler } from 'hono'
import { ConfigError } from '../core/errors.js'
import { apiError } from './errors.js'

const digest = (s: string) => createHash('sha256').update(s).digest()

/**
 * Whether an `Authorization: Bearer …` header carries `token`. Compared as
 * SHA-256 digests with timingSafeEqual: constant time, whatever the lengths.
 */
export function bearerMatches(token: string, header: string | undefined): boolean {
  if (!header?.startsWith('Bearer ')) return false
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token))
}

/** A token from an environment variable or a file (a Docker/systemd secret); the file wins. Empty = not set. */
export function loadToken(o: { env?: string | undefined; file?: string | undefined }, env: NodeJS.ProcessEnv, field: string): string | null {
  if (o.file) {
    try {
      const t = readFileSync(o.file, 'utf8').trim()
      if (t) return t
    } catch (err) {
      throw new ConfigError([{ path: `server.${field}_file`, message: `cannot read ${o.file}: ${(err as Error).message}` }])
    }
    throw new ConfigError([{ path: `server.${field}_file`, message: `${o.file} is empty` }])
  }
  const v = o.env ? env[o.env]?.trim() : undefined
  return v ? v : null
}

/** Hono middleware: 401 unless the request carries the token; `null` token = this surface is open. */
export function requireBearer(token: string | null, what: string): MiddlewareHandler {
  return async (c, next) => {
    if (token === null) return next()
    if (!bearerMatches(token, c.req.header('authorization'))) {
      c.header('WWW-Authenticate', 'Bearer realm="weighbridge"')
      return apiError(c, 401, 'UNAUTHORIZED', `${what} needs "Authorization: Bearer <token>"`)
    }
    return next()
  }
}
