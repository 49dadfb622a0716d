import { outcomeForStatus } from '../core/outcome.js'
import { excerpt, joinUrl, tryJson, type StreamDelta, type WireAdapter } from './adapter.js'

interface ChatChunk {
  error?: { message?: string; type?: string; code?: string | number }
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: unknown[] } }[]
  usage?: {
    prompt_tokens?: number
    completion_tokens?: number
    completion_tokens_details?: { reasoning_tokens?: number } | null
  } | null
}

function usageDelta(u: NonNullable<ChatChunk['usage']>): StreamDelta {
  const reasoning = u.completion_tokens_details?.reasoning_tokens
  let out = u.completion_tokens
  // OpenAI and DeepSeek count reasoning inside completion_tokens; xAI leaves it out
  // (completion 1, reasoning 290). A reasoning count above the completion count can
  // only mean the latter, so add it back to get every generated token.
  if (out !== undefined && reasoning !== undefined && reasoning > out) out += reasoning
  return {
    kind: 'usage',
    ...(u.prompt_tokens !== undefined ? { in_tokens: u.prompt_tokens } : {}),
    ...(out !== undefined ? { out_tokens: out } : {}),
    ...(reasoning !== undefined ? { reasoning_tokens: reasoning } : {}),
  }
}

/**
 * OpenAI chat completions streaming, and every vendor that copies it
 * (DeepSeek, Qwen, Groq, Together, OpenRouter, vLLM, …).
 */
export const openAiChatAdapter: WireAdapter = {
  protocol: 'openai-chat',

  buildRequest({ baseUrl, apiKey, headers, upstreamModel, prompt }) {
    const messages = [
      ...(prompt.system ? [{ role: 'system', content: prompt.system }] : []),
      { role: 'user', content: prompt.user },
    ]
    return {
      url: joinUrl(baseUrl, '/chat/completions'),
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...headers,
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: upstreamModel,
        messages,
        max_tokens: prompt.max_tokens,
        stream: true,
        stream_options: { include_usage: true },
      }),
    }
  },

  interpreter() {
    return {
      onEvent(event) {
        const data = event.data.trim()
        if (data === '[DONE]') return [{ kind: 'done' }]
        if (data === '') return []
        const chunk = tryJson(data) as ChatChunk | undefined
        if (chunk === undefined || typeof chunk !== 'object' || chunk === null)
          return [{ kind: 'error', outcome: 'protocol.bad_json', message: `invalid JSON in data: ${excerpt(data)}` }]
        if (chunk.error)
          return [{ kind: 'error', outcome: 'stream.error_event', message: `in-stream error ${chunk.error.type ?? chunk.error.code ?? ''}: ${excerpt(chunk.error.message ?? '')}` }]
        const out: StreamDelta[] = []
        const delta = chunk.choices?.[0]?.delta
        const reasoning = delta?.reasoning_content ?? delta?.reasoning
        if (reasoning) out.push({ kind: 'token', channel: 'reasoning', text: reasoning })
        if (delta?.content) out.push({ kind: 'token', channel: 'answer', text: delta.content })
        if (delta?.tool_calls?.length) out.push({ kind: 'token', channel: 'answer', text: JSON.stringify(delta.tool_calls) })
        if (chunk.usage) out.push(usageDelta(chunk.usage))
        return out
      },
    }
  },

  classifyError(status, body) {
    const err = (tryJson(body) as ChatChunk | undefined)?.error
    let outcome = outcomeForStatus(status)
    if (status === 429 && (err?.code === 'insufficient_quota' || err?.type === 'insufficient_quota')) outcome = 'auth.quota'
    const detail = err?.message ? `${err.code ?? err.type ?? ''}: ${err.message}` : body
    return { outcome, message: `HTTP ${status} ${excerpt(detail)}` }
  },
}
