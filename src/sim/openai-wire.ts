import { estimatePromptTokens } from './text.js'
import { positiveInt, sseData, textOf, type SimErrorKind, type SimWire, type StreamCtx } from './wire.js'

/** Where the usage report goes: OpenAI's own `choices: []` chunk, OpenRouter's one empty choice, or DeepSeek/Mistral's finish chunk. */
export type UsageStyle = 'openai' | 'openrouter' | 'finish-chunk'

const ERRORS: Record<SimErrorKind, { status: number; type: string; code: string | null; message: string }> = {
  auth: { status: 401, type: 'invalid_request_error', code: null, message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)." },
  not_found: { status: 404, type: 'invalid_request_error', code: 'model_not_found', message: '' },
  bad_request: { status: 400, type: 'invalid_request_error', code: null, message: '' },
  rate_limit: { status: 429, type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests per min (RPM). Please try again later.' },
  overloaded: { status: 503, type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
  server_error: { status: 500, type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' },
  outage: { status: 503, type: 'server_error', code: null, message: 'Service Unavailable' },
}

function usage(ctx: StreamCtx) {
  const { plan, req } = ctx
  const completion = plan.reasoningTokens + plan.answerTokens
  return {
    prompt_tokens: req.promptTokens,
    completion_tokens: completion,
    total_tokens: req.promptTokens + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: plan.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  }
}

/** OpenAI chat completions, field for field as in the recorded streams (test/fixtures/sse). */
export function openAiWire(usageStyle: UsageStyle = 'openai'): SimWire {
  const reasoning = (ctx: StreamCtx) => ctx.plan.reasoningTokens > 0
  const chunk = (ctx: StreamCtx, delta: Record<string, unknown>, finish: string | null, extra?: { usage?: unknown; choices?: unknown[] }) => ({
    id: ctx.id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: ctx.req.model,
    service_tier: 'default',
    system_fingerprint: 'fp_wbsim0001',
    choices: extra?.choices ?? [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(ctx.req.includeUsage || extra?.usage !== undefined ? { usage: extra?.usage ?? null } : {}),
  })
  return {
    path: '/v1/chat/completions',
    hasCredentials: (h) => /^Bearer \S+/i.test(h.authorization ?? ''),
    parseRequest(body) {
      const b = body as Record<string, unknown> | null
      if (typeof b?.model !== 'string') return { error: "you must provide a model parameter" }
      if (!Array.isArray(b.messages) || b.messages.length === 0) return { error: "'messages' is a required property" }
      const opts = b.stream_options as { include_usage?: unknown } | undefined
      return {
        model: b.model,
        maxTokens: positiveInt(b.max_completion_tokens) ?? positiveInt(b.max_tokens) ?? 4096,
        stream: b.stream === true,
        includeUsage: opts?.include_usage === true,
        promptTokens: estimatePromptTokens(JSON.stringify(b.messages)),
      }
    },
    error(kind, detail, retryAfterS) {
      const e = ERRORS[kind]
      const message = kind === 'not_found' ? `The model \`${detail}\` does not exist or you do not have access to it.` : e.message || detail
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (kind === 'rate_limit') Object.assign(headers, { 'retry-after': String(retryAfterS), 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': `${retryAfterS}s` })
      return { status: e.status, headers, body: JSON.stringify({ error: { message, type: e.type, param: null, code: e.code } }) }
    },
    streamHeaders: () => ({ 'content-type': 'text/event-stream; charset=utf-8', 'openai-version': '2020-10-01', 'x-content-type-options': 'nosniff' }),
    streamOpen: (ctx) => sseData(chunk(ctx, reasoning(ctx) ? { role: 'assistant', content: null, reasoning_content: '' } : { role: 'assistant', content: '', refusal: null }, null)),
    streamChunk(ctx, c) {
      const delta = c.channel === 'reasoning' ? { content: null, reasoning_content: c.text } : reasoning(ctx) ? { content: c.text, reasoning_content: null } : { content: c.text }
      return sseData(chunk(ctx, delta, null))
    },
    streamClose(ctx) {
      const finish = ctx.plan.finishReason
      if (usageStyle === 'finish-chunk') return sseData(chunk(ctx, { content: '' }, finish, { usage: usage(ctx) })) + 'data: [DONE]\n\n'
      let out = sseData(chunk(ctx, {}, finish))
      if (ctx.req.includeUsage) {
        const choices = usageStyle === 'openrouter' ? [{ index: 0, delta: { content: '', role: 'assistant' }, finish_reason: null, native_finish_reason: null, logprobs: null }] : []
        out += sseData(chunk(ctx, {}, null, { usage: usage(ctx), choices }))
      }
      return out + 'data: [DONE]\n\n'
    },
    streamError: () => sseData({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } }),
    complete(ctx) {
      const message: Record<string, unknown> = { role: 'assistant', content: textOf(ctx.plan.chunks, 'answer'), refusal: null, annotations: [] }
      if (reasoning(ctx)) message.reasoning_content = textOf(ctx.plan.chunks, 'reasoning')
      const body = {
        id: ctx.id,
        object: 'chat.completion',
        created: ctx.created,
        model: ctx.req.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: ctx.plan.finishReason }],
        usage: usage(ctx),
        service_tier: 'default',
        system_fingerprint: 'fp_wbsim0001',
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
    },
  }
}
