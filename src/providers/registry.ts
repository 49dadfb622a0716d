import type { Protocol } from '../core/types.js'
import type { WireAdapter } from './adapter.js'
import { anthropicMessagesAdapter } from './anthropic-messages.js'
import { openAiChatAdapter } from './openai-chat.js'

export const adapters = {
  'openai-chat': openAiChatAdapter,
  'anthropic-messages': anthropicMessagesAdapter,
} as const satisfies Record<Protocol, WireAdapter>

export function adapterFor(protocol: Protocol): WireAdapter {
  return adapters[protocol]
}
