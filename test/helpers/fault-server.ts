import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'
import { seededRng } from '../../src/core/random.js'

/** How a payload is cut into writes: all at once (events coalesced), one byte per write, or at random points. */
export type Chunking = 'whole' | 'one-byte' | 'random'
export const CHUNKINGS: Chunking[] = ['whole', 'one-byte', 'random']

/** One step of a scripted response. Writes go out with chunked encoding, so each write is one chunk for the client. */
export type Step = { write: string | Buffer } | { wait: number } | { destroy: true } | { end: true }

export interface FaultResponse {
  status?: number
  headers?: Record<string, string>
  steps: Step[]
}

function pieces(data: Buffer, chunking: Chunking, seed: number): Buffer[] {
  if (chunking === 'whole') return [data]
  if (chunking === 'one-byte') return Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1))
  const rng = seededRng(seed)
  const out: Buffer[] = []
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(rng.next() * 40)
    out.push(data.subarray(i, i + n))
    i += n
  }
  return out
}

async function play(res: ServerResponse, r: FaultResponse, chunking: Chunking, seed: number): Promise<void> {
  res.writeHead(r.status ?? 200, { 'content-type': 'text/event-stream; charset=utf-8', ...r.headers })
  res.flushHeaders()
  for (const step of r.steps) {
    if (res.destroyed) return
    if ('wait' in step) await new Promise((resolve) => setTimeout(resolve, step.wait))
    else if ('destroy' in step) return void res.socket?.destroy()
    else if ('end' in step) return void res.end()
    else for (const p of pieces(Buffer.from(step.write), chunking, seed)) res.write(p)
  }
  res.end()
}

export interface FaultServer {
  url: string
  /** Connections the server currently has open. */
  connections(): Promise<number>
}

/**
 * A loopback server (port 0) that answers each request with `respond(n)` (n
 * counts requests), played under the given chunking. Closed after the test.
 */
export async function faultServer(
  respond: (n: number, req: IncomingMessage) => FaultResponse | ((req: IncomingMessage, res: ServerResponse) => void),
  opts: { chunking?: Chunking; seed?: number; tls?: boolean } = {},
): Promise<FaultServer> {
  let n = 0
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    const r = respond(++n, req)
    if (typeof r === 'function') return r(req, res)
    void play(res, r, opts.chunking ?? 'whole', opts.seed ?? n)
  }
  const dir = new URL('../fixtures/tls/', import.meta.url)
  const server = opts.tls
    ? createHttpsServer({ key: readFileSync(new URL('self-signed.key', dir)), cert: readFileSync(new URL('self-signed.crt', dir)) }, handler)
    : createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  afterEach(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  )
  const port = (server.address() as AddressInfo).port
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`,
    connections: () => new Promise((r) => server.getConnections((_e, c) => r(c))),
  }
}

/** OpenAI-style SSE frames. */
export const oa = {
  role: 'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n',
  token: (text: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`,
  finish: 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
  usage: (prompt: number, completion: number) => `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } })}\n\n`,
  done: 'data: [DONE]\n\n',
}

/** A complete, valid OpenAI stream of the given words, with usage. */
export function okStream(words: string[], usage: number | null = words.length): string {
  return oa.role + words.map(oa.token).join('') + oa.finish + (usage === null ? '' : oa.usage(10, usage)) + oa.done
}
