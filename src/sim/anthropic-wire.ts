import { randomUUID } from 'node:crypto'
import { estimatePromptTokens } from './text.js'
import { positiveInt, sseEvent, textOf, type SimErrorKind, type SimWire, type StreamCtx } from './wire.js'

const ERRORS: Record<SimErrorKind, { status: number; type: string; message: string }> = {
  auth: { status: 401, type: 'authentication_error', message: 'x-api-key header is required' },
  not_found: { status: 404, type: 'not_found_error', message: '' },
  bad_request: { status: 400, type: 'invalid_request_error', message: '' },
  rate_limit: { status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit. Please try again later.' },
  overloaded: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
  server_error: { status: 500, type: 'api_error', message: 'Internal server error' },
  outage: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
}

const SIGNATURE = 'EqQBCkgIBxABGAIiQL2wbsimulatedthinkingsignature0000000000000000000000000000000000000000AA=='

function requestId(): string {
  return `req_wbsim${randomUUID().replace(/-/g, '').slice(0, 20)}`
}

/** Anthropic messages, event for event as in the recorded streams (test/fixtures/sse). */
export function anthropicWire(): SimWire {
  // Open a block at `index` of the given kind, closing the previous one.
  const switchBlock = (ctx: StreamCtx, kind: 'thinking' | 'text'): string => {
    if (ctx.state.block === kind) return ''
    let out = ''
    const prev = ctx.state.index as number | undefined
    if (prev !== undefined) {
      if (ctx.state.block === 'thinking') out += sseEvent('content_block_delta', { type: 'content_block_delta', index: prev, delta: { type: 'signature_delta', signature: SIGNATURE } })
      out += sseEvent('content_block_stop', { type: 'content_block_stop', index: prev })
    }
    const index = prev === undefined ? 0 : prev + 1
    ctx.state.index = index
    ctx.state.block = kind
    const block = kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : { type: 'text', text: '' }
    return out + sseEvent('content_block_start', { type: 'content_block_start', index, content_block: block })
  }
  return {
    path: '/v1/messages',
    hasCredentials: (h) => typeof h['x-api-key'] === 'string' && h['x-api-key'].length > 0 || /^Bearer \S+/i.test(h.authorization ?? ''),
    parseRequest(body) {
      const b = body as Record<string, unknown> | null
      if (typeof b?.model !== 'string') return { error: 'model: Field required' }
      const maxTokens = positiveInt(b.max_tokens)
      if (maxTokens === undefined) return { error: 'max_tokens: Field required' }
      if (!Array.isArray(b.messages) || b.messages.length === 0) return { error: 'messages: Field required' }
      return { model: b.model, maxTokens, stream: b.stream === true, includeUsage: true, promptTokens: estimatePromptTokens(JSON.stringify([b.system ?? '', b.messages])) }
    },
    error(kind, detail, retryAfterS) {
      const e = ERRORS[kind]
      const message = kind === 'not_found' ? `model: ${detail}` : e.message || detail
      const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': requestId() }
      if (kind === 'rate_limit') Object.assign(headers, { 'retry-after': String(retryAfterS), 'anthropic-ratelimit-requests-remaining': '0' })
      if (kind === 'overloaded' || kind === 'outage') headers['x-should-retry'] = 'true'
      return { status: e.status, headers, body: JSON.stringify({ type: 'error', error: { type: e.type, message }, request_id: headers['request-id'] }) }
    },
    streamHeaders: () => ({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId() }),
    streamOpen(ctx) {
      const message = {
        model: ctx.req.model,
        id: ctx.id,
        type: 'message',
        role: 'assistant',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: ctx.req.promptTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1, service_tier: 'standard' },
      }
      const first = ctx.plan.reasoningTokens > 0 ? 'thinking' : 'text'
      return sseEvent('message_start', { type: 'message_start', message }) + switchBlock(ctx, first) + sseEvent('ping', { type: 'ping' })
    },
    streamChunk(ctx, c) {
      const kind = c.channel === 'reasoning' ? 'thinking' : 'text'
      const delta = kind === 'thinking' ? { type: 'thinking_delta', thinking: c.text } : { type: 'text_delta', text: c.text }
      return switchBlock(ctx, kind) + sseEvent('content_block_delta', { type: 'content_block_delta', index: ctx.state.index, delta })
    },
    streamClose(ctx) {
      const { plan, req } = ctx
      const stopReason = plan.finishReason === 'length' ? 'max_tokens' : 'end_turn'
      return (
        sseEvent('content_block_stop', { type: 'content_block_stop', index: ctx.state.index }) +
        sseEvent('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { input_tokens: req.promptTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: plan.reasoningTokens + plan.answerTokens },
        }) +
        sseEvent('message_stop', { type: 'message_stop' })
      )
    },
    streamError: () => sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    complete(ctx) {
      const { plan, req } = ctx
      const content: unknown[] = []
      if (plan.reasoningTokens > 0) content.push({ type: 'thinking', thinking: textOf(plan.chunks, 'reasoning'), signature: SIGNATURE })
      content.push({ type: 'text', text: textOf(plan.chunks, 'answer') })
      const body = {
        model: req.model,
        id: ctx.id,
        type: 'message',
        role: 'assistant',
        content,
        stop_reason: plan.finishReason === 'length' ? 'max_tokens' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: req.promptTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: plan.reasoningTokens + plan.answerTokens, service_tier: 'standard' },
      }
      return { status: 200, headers: { 'content-type': 'application/json', 'request-id': requestId() }, body: JSON.stringify(body) }
    },
  }
}
