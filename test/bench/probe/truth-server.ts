/**
 * Ground-truth stream server for `npm run bench:probe`, run in its own process.
 * It streams OpenAI-format SSE with scripted timing and records, with its own
 * monotonic clock, when each request arrived and when it actually wrote the
 * first and last token: the truth a client's measurements are compared with.
 *
 *   POST /v1/chat/completions   a stream of K one-token chunks; id taken from "[probe <id>]"
 *   GET  /truth                 { id: { ttft_ms, tpot_ms } } for every finished stream
 *   POST /reset                 forget recorded truth
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const TTFT_MS = Number(process.env.TRUTH_TTFT_MS ?? 100)
const GAP_MS = Number(process.env.TRUTH_GAP_MS ?? 25)
const TOKENS = Number(process.env.TRUTH_TOKENS ?? 24)

const truth = new Map<string, { ttft_ms: number; tpot_ms: number }>()
const chunk = (content: string, extra = '') => `data: {"id":"b","object":"chat.completion.chunk","created":0,"model":"truth","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]${extra}}\n\n`
const ROLE = 'data: {"id":"b","object":"chat.completion.chunk","created":0,"model":"truth","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n'
const TAIL = `data: {"id":"b","object":"chat.completion.chunk","created":0,"model":"truth","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: {"id":"b","object":"chat.completion.chunk","created":0,"model":"truth","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":${TOKENS},"total_tokens":${TOKENS + 10}}}\n\ndata: [DONE]\n\n`

function stream(res: ServerResponse, id: string, tRecv: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
  res.write(ROLE)
  let i = 0
  let tFirst = 0
  const step = () => {
    if (res.destroyed) return
    const t = performance.now()
    if (i === 0) tFirst = t
    res.write(chunk(' tok'))
    i++
    if (i === TOKENS) {
      res.end(TAIL)
      truth.set(id, { ttft_ms: tFirst - tRecv, tpot_ms: (t - tFirst) / (TOKENS - 1) })
      return
    }
    setTimeout(step, Math.max(0, tFirst + i * GAP_MS - performance.now()))
  }
  setTimeout(step, Math.max(0, tRecv + TTFT_MS - performance.now()))
}

const server = createServer((req, res) => {
  const tRecv = performance.now()
  if (req.method === 'GET' && req.url === '/truth') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(truth)))
  if (req.method === 'POST' && req.url === '/reset') return void (truth.clear(), req.resume(), res.writeHead(204).end())
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (d: string) => (body += d))
  req.on('end', () => {
    const id = /\[probe ([^\]]+)\]/.exec(body)?.[1] ?? 'unknown'
    stream(res, id, tRecv)
  })
})
server.keepAliveTimeout = 120_000
server.maxConnections = 20_000
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`))
process.on('SIGTERM', () => process.exit(0))
