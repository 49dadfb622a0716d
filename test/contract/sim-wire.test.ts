import { readFileSync } from 'node:fs'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { adapterFor } from '../../src/providers/registry.js'
import type { SimVendorHandle } from '../../src/sim/server.js'
import { FIXTURES, frameChunks, replay } from '../helpers/replay.js'
import { startVendor } from '../helpers/sim.js'

/** `data:` payloads and `event:` names of a raw SSE body, in order. */
function events(body: string): { event: string | undefined; data: string }[] {
  return body
    .replace(/\r\n?/g, '\n')
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const lines = block.split('\n')
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim()
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n')
      return { event, data }
    })
}
const keys = (json: string) => Object.keys(JSON.parse(json) as object)
const recorded = (file: string) => readFileSync(new URL(file, FIXTURES), 'utf8')
/** Collapse runs of the same item: the grammar of a stream, not its length. */
const grammar = (names: (string | undefined)[]) => names.filter((n, i) => n !== names[i - 1])

let vendor: SimVendorHandle | undefined
afterEach(async () => vendor?.close())

async function post(path: string, body: object): Promise<{ status: number; contentType: string; text: string }> {
  const res = await request(vendor!.baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-api-key': 'k' }, body: JSON.stringify(body) })
  return { status: res.statusCode, contentType: String(res.headers['content-type']), text: await res.body.text() }
}

describe('simulated OpenAI chat completions match the recorded OpenAI stream', () => {
  const rec = events(recorded('chat-gpt-4o-mini-text-include-usage.sse'))

  it('has the same chunk fields, in the same order, and the same framing', async () => {
    vendor = await startVendor({ protocol: 'openai-chat' })
    const r = await post('/chat/completions', { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, stream: true, stream_options: { include_usage: true } })
    expect(r.contentType).toBe('text/event-stream; charset=utf-8')
    const ours = events(r.text)
    expect(ours.at(-1)!.data).toBe('[DONE]')
    expect(keys(ours[0]!.data)).toEqual(keys(rec[0]!.data))
    const delta = (e: { data: string }) => (JSON.parse(e.data) as { choices: { delta: object }[] }).choices[0]!.delta
    expect(Object.keys(delta(ours[0]!))).toEqual(Object.keys(delta(rec[0]!)))
    expect(Object.keys((JSON.parse(ours[1]!.data) as { choices: object[] }).choices[0]!)).toEqual(Object.keys((JSON.parse(rec[1]!.data) as { choices: object[] }).choices[0]!))
    const usageChunk = (list: typeof ours) => JSON.parse(list.at(-2)!.data) as { choices: unknown[]; usage: object }
    expect(usageChunk(ours).choices).toEqual([])
    expect(Object.keys(usageChunk(ours).usage)).toEqual(Object.keys(usageChunk(rec).usage))
    expect(r.text.endsWith('\n\ndata: [DONE]\n\n')).toBe(true)
  })

  it('sends no usage field at all without include_usage, as OpenAI does', async () => {
    vendor = await startVendor({ protocol: 'openai-chat' })
    const r = await post('/chat/completions', { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true })
    expect(events(r.text).every((e) => e.data === '[DONE]' || !('usage' in (JSON.parse(e.data) as object)))).toBe(true)
  })

  it('reasoning variant uses DeepSeek reasoning_content deltas', async () => {
    vendor = await startVendor({ protocol: 'openai-chat', behaviour: { reasoning_tokens: { p50: 8 } } })
    const r = await post('/chat/completions', { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 30, stream: true, stream_options: { include_usage: true } })
    const ours = events(r.text).filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as { choices: { delta: Record<string, unknown> }[] })
    const deepseek = readFileSync(new URL('deepseek-reasoner-reasoning.chunks.jsonl', FIXTURES), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { choices: { delta: Record<string, unknown> }[] })
    expect(ours[0]!.choices[0]!.delta).toEqual(deepseek[0]!.choices[0]!.delta) // {role, content: null, reasoning_content: ''}
    expect(Object.keys(ours[1]!.choices[0]!.delta)).toEqual(Object.keys(deepseek[1]!.choices[0]!.delta))
    const parsed = replay(adapterFor('openai-chat'), Buffer.from(r.text))
    expect(parsed.reasoning.length).toBeGreaterThan(0)
    expect(parsed.reasoning_tokens).toBeGreaterThan(0)
  })

  it('openrouter usage style keeps one empty choice on the usage chunk, like the OpenRouter recording', async () => {
    vendor = await startVendor({ protocol: 'openai-chat', usage_style: 'openrouter' })
    const r = await post('/chat/completions', { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true, stream_options: { include_usage: true } })
    const ours = events(r.text)
    const rec2 = events(recorded('openrouter-kimi-k2-moonshot-text.sse'))
    const choices = (e: { data: string }) => (JSON.parse(e.data) as { choices: unknown[] }).choices
    expect(choices(ours.at(-2)!)).toHaveLength(1)
    expect(choices(rec2.at(-2)!)).toHaveLength(1)
  })

  it('finish-chunk usage style puts usage on the finish chunk, like the Mistral recording', async () => {
    vendor = await startVendor({ protocol: 'openai-chat', usage_style: 'finish-chunk' })
    const r = await post('/chat/completions', { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true, stream_options: { include_usage: true } })
    const last = JSON.parse(events(r.text).at(-2)!.data) as { choices: { finish_reason: string }[]; usage: object }
    const mistral = frameChunks('mistral-small-text.chunks.jsonl').toString().split('\n\n').filter((b) => b.startsWith('data: {')).map((b) => JSON.parse(b.slice(6)) as { choices: { finish_reason: string | null }[]; usage?: object })
    expect(last.choices[0]!.finish_reason).toBeTruthy()
    expect(last.usage).toBeTruthy()
    expect(mistral.at(-1)!.choices[0]!.finish_reason).toBeTruthy()
    expect(mistral.at(-1)!.usage).toBeTruthy()
  })
})

describe('simulated Anthropic messages match the recorded Anthropic streams', () => {
  it('follows the same event grammar as the recorded thinking stream', async () => {
    vendor = await startVendor({ protocol: 'anthropic-messages', behaviour: { reasoning_tokens: { p50: 6 } } })
    const r = await post('/messages', { model: 'test-model', max_tokens: 30, messages: [{ role: 'user', content: 'hi' }], stream: true })
    expect(r.contentType).toBe('text/event-stream; charset=utf-8')
    const ours = events(r.text)
    const rec = events(recorded('messages-thinking.sse'))
    const kind = (e: { event: string | undefined; data: string }) => {
      const j = JSON.parse(e.data) as { delta?: { type?: string }; content_block?: { type: string } }
      return `${e.event}${j.delta?.type ? `:${j.delta.type}` : ''}${j.content_block ? `:${j.content_block.type}` : ''}`
    }
    expect(grammar(ours.map(kind))).toEqual(grammar(rec.map(kind)))
    // Every field we send exists in the real message_start (the real one has a few more).
    const ourStart = JSON.parse(ours[0]!.data) as { message: { usage: object } }
    const recStart = JSON.parse(rec[0]!.data) as { message: { usage: object } }
    for (const k of Object.keys(ourStart.message)) expect(Object.keys(recStart.message)).toContain(k)
    for (const k of Object.keys(ourStart.message.usage)) expect(Object.keys(recStart.message.usage)).toContain(k)
    for (const e of ours) expect(e.data).not.toMatch(/^\s/)
  })

  it('follows the recorded text-only grammar (message_start … ping … message_stop)', async () => {
    vendor = await startVendor({ protocol: 'anthropic-messages' })
    const r = await post('/messages', { model: 'test-model', max_tokens: 12, messages: [{ role: 'user', content: 'hi' }], stream: true })
    const names = grammar(events(r.text).map((e) => e.event))
    expect(names).toEqual(grammar(events(recorded('sdk-fixture-basic_response.sse')).map((e) => e.event)))
  })
})

describe('simulated usage is what a reference tokenizer counts', () => {
  for (const protocol of ['openai-chat', 'anthropic-messages'] as const)
    it(`${protocol}: reported output tokens within 10% of o200k_base`, async () => {
      const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base')
      vendor = await startVendor({ protocol, behaviour: { output_tokens: { p50: 200 } } })
      const path = protocol === 'openai-chat' ? '/chat/completions' : '/messages'
      const r = await post(path, { model: 'test-model', max_tokens: 200, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } })
      const parsed = replay(adapterFor(protocol), Buffer.from(r.text))
      const ref = countTokens(parsed.answer)
      expect(Math.abs(parsed.out_tokens! - ref) / ref).toBeLessThan(0.1)
    })
})
