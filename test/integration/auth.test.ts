import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/log.js'
import { startDaemon, type Daemon } from '../../src/main.js'
import { threeVendorConfig } from '../helpers/daemon-config.js'
import { tempDir } from '../helpers/tmp.js'

let daemon: Daemon | undefined
afterEach(async () => daemon?.stop())

const ADMIN = 'adm-0123456789abcdef'
const READ = 'read-fedcba9876543210'

describe('tokens', () => {
  it('admin routes answer 401 without the admin token, and every call is audited without the token', async () => {
    const dir = tempDir()
    daemon = await startDaemon({ config: threeVendorConfig(), log: silentLogger, dbPath: join(dir, 'wb.db'), schedules: false, env: { WEIGHBRIDGE_ADMIN_TOKEN: ADMIN } })
    const reload = (auth?: string) => fetch(`${daemon!.url}/v1/admin/reload`, { method: 'POST', headers: auth ? { authorization: auth } : {} })
    for (const auth of [undefined, 'Bearer wrong', `Bearer ${ADMIN}x`, ADMIN, `Basic ${ADMIN}`]) {
      const r = await reload(auth)
      expect(r.status, String(auth)).toBe(401)
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="weighbridge"')
    }
    const ok = await reload(`Bearer ${ADMIN}`)
    expect(ok.status).toBe(501) // authorised; this daemon has no config file to reload
    const audit = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; result: string })
    expect(audit.map((a) => [a.action, a.result])).toEqual([['reload', 'unavailable']])
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).not.toContain(ADMIN)
  })

  it('without an admin token the admin API is off (403), and the read API stays open', async () => {
    daemon = await startDaemon({ config: threeVendorConfig(), log: silentLogger, dbPath: join(tempDir(), 'wb.db'), schedules: false, env: {} })
    const r = await fetch(`${daemon.url}/v1/admin/reload`, { method: 'POST' })
    expect(r.status).toBe(403)
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('ADMIN_DISABLED')
    expect((await fetch(`${daemon.url}/v1/models`)).status).toBe(200)
  })

  it('a read token guards weights (fast path included), leaderboard and metrics; /healthz stays open', async () => {
    const config = threeVendorConfig({ extraYaml: '' })
    config.server.read_token_env = 'WB_READ'
    daemon = await startDaemon({ config, log: silentLogger, dbPath: join(tempDir(), 'wb.db'), schedules: false, env: { WB_READ: READ } })
    daemon.weights.recompute()
    for (const path of ['/v1/weights', '/v1/weights?model=chat-model', '/v1/weights?format=nginx', '/v1/leaderboard?model=chat-model', '/v1/models', '/metrics']) {
      expect((await fetch(`${daemon.url}${path}`)).status, path).toBe(401)
      expect((await fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${READ}` } })).status, path).not.toBe(401)
    }
    expect((await fetch(`${daemon.url}/v1/weights`, { headers: { authorization: `Bearer ${READ}` } })).status).toBe(200)
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200)
  })

  it('with server.admin_port, admin routes live only on their own loopback listener', async () => {
    const config = threeVendorConfig()
    config.server.admin_port = 0
    daemon = await startDaemon({ config, log: silentLogger, dbPath: join(tempDir(), 'wb.db'), schedules: false, env: { WEIGHBRIDGE_ADMIN_TOKEN: ADMIN } })
    expect(daemon.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(`${daemon.url}/v1/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(404)
    expect((await fetch(`${daemon.adminUrl}/v1/admin/reload`, { method: 'POST' })).status).toBe(401)
    expect((await fetch(`${daemon.adminUrl}/v1/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(501)
    expect((await fetch(`${daemon.adminUrl}/v1/weights`)).status).toBe(404) // nothing else there
    // Bodies are capped while they are read: a chunked upload over 64 KiB is refused with 413.
    const big = new ReadableStream({ start(ctl) { for (let i = 0; i < 80; i++) ctl.enqueue(new Uint8Array(1024)); ctl.close() } })
    const res = await fetch(`${daemon.adminUrl}/v1/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: big, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
  })
})

