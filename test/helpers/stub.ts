import type { IncomingMessage, ServerResponse } from 'node:http'
import { faultServer } from './fault-server.js'

/** A loopback HTTP server (port 0) with a hand-written handler and a hit counter, closed after the test. */
export async function stubServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: () => number }> {
  let hits = 0
  const srv = await faultServer(() => (req, res) => {
    hits++
    handler(req, res)
  })
  return { url: srv.url, hits: () => hits }
}
