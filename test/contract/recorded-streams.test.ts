import { describe, expect, it } from 'vitest'
import { seededRng } from '../../src/core/random.js'
import { adapterFor } from '../../src/providers/registry.js'
import { fixtureBytes, oneByte, randomSplits, replay } from '../helpers/replay.js'

/**
 * Every recorded real chat-completions / messages stream parses to the right
 * answer, reasoning and usage. Expected values were read from the recordings
 * independently (and from test/fixtures/sse/README.md), not from our parser.
 */
const CASES = [
  { file: 'chat-gpt-4o-mini-text-include-usage.sse', protocol: 'openai-chat', answerEnds: 'is \\( 2,869,461 \\).', in: 87, out: 26 },
  { file: 'chat-gpt-4o-mini-tool-call-include-usage.sse', protocol: 'openai-chat', answerIncludes: 'multiply', in: 54, out: 20 },
  { file: 'openrouter-kimi-k2-moonshot-text.sse', protocol: 'openai-chat', answerEnds: '*llm* is **0.fixed-version**.', in: 107, out: 15 },
  { file: 'openrouter-kimi-k2-novita-tool-call.sse', protocol: 'openai-chat', answerIncludes: 'function', in: 57, out: 17 },
  { file: 'openrouter-fireworks-tool-call.sse', protocol: 'openai-chat', answerIncludes: 'function', in: 56, out: 12 },
  { file: 'openai-gpt-4.1-nano-text.chunks.jsonl', protocol: 'openai-chat', answerEnds: 'xperiences and mutual respect.', in: 16, out: 300 },
  { file: 'deepseek-reasoner-reasoning.chunks.jsonl', protocol: 'openai-chat', answerEnds: 'rawberry" contains three "r"s.', reasoning: true, in: 18, out: 219, reasoningTokens: 205 },
  { file: 'deepseek-chat-text-length-limit.chunks.jsonl', protocol: 'openai-chat', answerEnds: '5 minutes of silent looking at', in: 13, out: 400 },
  { file: 'groq-llama-3.3-70b-text.chunks.jsonl', protocol: 'openai-chat', answerEnds: 'iation for the magic of light.', in: 45, out: 662 },
  // xAI leaves reasoning out of completion_tokens (1) while reporting 290 reasoning tokens.
  { file: 'xai-grok-3-mini-reasoning-text.chunks.jsonl', protocol: 'openai-chat', answerEnds: 'Hello', reasoning: true, in: 12, out: 291, reasoningTokens: 290 },
  { file: 'mistral-small-text.chunks.jsonl', protocol: 'openai-chat', answerEnds: 'orld! This is a test response.', in: 13, out: 8 },
  { file: 'alibaba-qwen-reasoning.chunks.jsonl', protocol: 'openai-chat', answerEnds: '**Answer: 3**', reasoning: true, in: 24, out: 1355, reasoningTokens: 1084 },
  { file: 'messages-haiku-4-5-text.sse', protocol: 'anthropic-messages', answerEnds: 'Hello', in: 10, out: 4 },
  { file: 'messages-thinking.sse', protocol: 'anthropic-messages', answerEnds: '** - playful take on "pelican"', reasoning: true, in: 46, out: 133 },
  { file: 'messages-tool-use.sse', protocol: 'anthropic-messages', answerIncludes: 'pelican_name_generator', in: 543, out: 40 },
  { file: 'sdk-fixture-basic_response.sse', protocol: 'anthropic-messages', answerEnds: 'Hello there!', in: 11, out: 6 },
  { file: 'sdk-fixture-tool_use_response.sse', protocol: 'anthropic-messages', answerIncludes: "I'll check the current weather in Paris for you.", in: 377, out: 65 },
  { file: 'anthropic-sonnet-4-5-text.chunks.jsonl', protocol: 'anthropic-messages', answerEnds: ' anything I can help you with?', in: 12, out: 30 },
  // input_tokens changes between message_start (43) and message_delta (61): the later one wins.
  { file: 'anthropic-message-delta-input-tokens.chunks.jsonl', protocol: 'anthropic-messages', answerEnds: 'pong', in: 61, out: 2 },
] as const

describe('recorded real streams', () => {
  for (const c of CASES) {
    it(`${c.file} → answer, reasoning and usage`, () => {
      const r = replay(adapterFor(c.protocol), fixtureBytes(c.file))
      expect(r.errors).toEqual([])
      expect(r.done).toBe(true)
      if ('answerEnds' in c) expect(r.answer.endsWith(c.answerEnds)).toBe(true)
      if ('answerIncludes' in c) expect(r.answer).toContain(c.answerIncludes)
      expect(r.reasoning.length > 0).toBe('reasoning' in c)
      expect(r.in_tokens).toBe(c.in)
      expect(r.out_tokens).toBe(c.out)
      if ('reasoningTokens' in c) expect(r.reasoning_tokens).toBe(c.reasoningTokens)
    })

    it(`${c.file} parses the same however the bytes are split`, () => {
      const bytes = fixtureBytes(c.file)
      const whole = replay(adapterFor(c.protocol), bytes)
      expect(replay(adapterFor(c.protocol), bytes, oneByte)).toEqual(whole)
      for (let seed = 1; seed <= 5; seed++) expect(replay(adapterFor(c.protocol), bytes, randomSplits(seededRng(seed)))).toEqual(whole)
    })
  }
})
