import { outcomeForStatus, type Outcome } from '../core/outcome.js'
import { excerpt, joinUrl, tryJson, type StreamDelta, type WireAdapter } from './adapter.js'

interface Usage { input_tokens?: number; output_tokens?: number }
interface MessagesEvent {
  type?: string
  message?: { usage?: Usage }
  delta?: { type?: string; text?: string; thinking?: string; partial_json?: string }
  content_block?: { type?: string; name?: string }
  usage?: Usage
  error?: { type?: string; message?: string }
}

const ERROR_OUTCOME: Record<string, Outcome> = {
  overloaded_error: 'http.overloaded',
  rate_limit_error: 'http.429',
  api_error: 'http.5xx',
  authentication_error: 'auth.key',
  permission_error: 'auth.key',
  not_found_error: 'config.request',
  invalid_request_error: 'config.request',
  billing_error: 'auth.quota',
}

/** Anthropic messages streaming: named events, usage at start and in `message_delta`. */
export const anthropicMessagesAdapter: WireAdapter = {
  protocol: 'anthropic-messages',

  buildRequest({ baseUrl, apiKey, headers, upstreamModel, prompt }) {
    return {
      url: joinUrl(baseUrl, '/messages'),
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'anthropic-version': '2023-06-01',
        ...headers,
        ...(apiKey ? { 'x-api-key': apiKey } : {}),
      },
      body: JSON.stringify({
        model: upstreamModel,
        max_tokens: prompt.max_tokens,
        ...(prompt.system ? { system: prompt.system } : {}),
        messages: [{ role: 'user', content: prompt.user }],
        stream: true,
      }),
    }
  },

  interpreter() {
    return {
      onEvent(event) {
        const type = event.event ?? ''
        if (type === 'ping') return []
        const msg = tryJson(event.data) as MessagesEvent | undefined
        if (msg === undefined || typeof msg !== 'object' || msg === null)
          return [{ kind: 'error', outcome: 'protocol.bad_json', message: `invalid JSON in ${type || 'message'} event: ${excerpt(event.data)}` }]
        const out: StreamDelta[] = []
        switch (msg.type ?? type) {
          case 'message_start': {
            const u = msg.message?.usage
            if (u) out.push({ kind: 'usage', ...(u.input_tokens !== undefined ? { in_tokens: u.input_tokens } : {}) })
            break
          }
          case 'content_block_start':
            // A tool call's name is generated output that arrives here, not in a delta.
            if (msg.content_block?.type === 'tool_use' && msg.content_block.name) out.push({ kind: 'token', channel: 'answer', text: msg.content_block.name })
            break
          case 'content_block_delta': {
            const d = msg.delta
            if (d?.type === 'text_delta' && d.text) out.push({ kind: 'token', channel: 'answer', text: d.text })
            else if (d?.type === 'thinking_delta' && d.thinking) out.push({ kind: 'token', channel: 'reasoning', text: d.thinking })
            else if (d?.type === 'input_json_delta' && d.partial_json) out.push({ kind: 'token', channel: 'answer', text: d.partial_json })
            break
          }
          case 'message_delta': {
            // output_tokens here is cumulative and final; input_tokens may differ from message_start.
            const u = msg.usage
            if (u)
              out.push({
                kind: 'usage',
                ...(u.input_tokens !== undefined ? { in_tokens: u.input_tokens } : {}),
                ...(u.output_tokens !== undefined ? { out_tokens: u.output_tokens } : {}),
              })
            break
          }
          case 'message_stop':
            out.push({ kind: 'done' })
            break
          case 'error': {
            const t = msg.error?.type ?? 'error'
            out.push({ kind: 'error', outcome: ERROR_OUTCOME[t] === 'http.overloaded' ? 'http.overloaded' : 'stream.error_event', message: `in-stream ${t}: ${excerpt(msg.error?.message ?? '')}` })
            break
          }
        }
        return out
      },
    }
  },

  classifyError(status, body) {
    const err = (tryJson(body) as MessagesEvent | undefined)?.error
    const outcome = (err?.type && ERROR_OUTCOME[err.type]) || outcomeForStatus(status)
    return { outcome, message: `HTTP ${status} ${excerpt(err?.message ? `${err.type}: ${err.message}` : body)}` }
  },
}
