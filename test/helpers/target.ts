import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { Agent } from 'undici'
import { afterEach } from 'vitest'
import { systemClock } from '../../src/core/clock.js'
import type { ProbePrompt } from '../../src/core/types.js'
import type { ProbeDeps } from '../../src/probe/run-probe.js'
import type { ProbeTarget } from '../../src/probe/target.js'
import { adapterFor } from '../../src/providers/registry.js'

export function makeTarget(baseUrl: string, over: Partial<ProbeTarget> = {}): ProbeTarget {
  return {
    offering: 'test-vendor/test-model',
    provider: 'test-vendor',
    model: 'test-model',
    region: 'test',
    upstreamModel: 'test-model',
    baseUrl,
    adapter: adapterFor('openai-chat'),
    apiKey: 'sk-test-canary-0000000000',
    headers: {},
    timeouts: { connect_ms: 2_000, headers_ms: 2_000, first_token_ms: 3_000, idle_ms: 2_000, total_ms: 10_000 },
    price: { input_per_mtok: 1, output_per_mtok: 2 },
    ...over,
  }
}

export function makePrompt(max_tokens = 20): ProbePrompt {
  return { bucket: 'short', user: 'Say something short.', max_tokens, round_id: 'r1' }
}

/** Real undici Agent, closed after the test. */
export function probeDeps(): ProbeDeps {
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 })
  afterEach(() => dispatcher.close())
  return { dispatcher, clock: systemClock, countTokens }
}
