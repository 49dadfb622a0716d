import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import type { SimVendorHandle } from '../../src/sim/server.js'
import { startVendor } from '../helpers/sim.js'

/** If the official SDKs cannot talk to our simulator, the simulator is wrong. */
let vendor: SimVendorHandle | undefined
afterEach(async () => vendor?.close())

describe('official openai SDK against the simulated OpenAI vendor', () => {
  it('streams a chat completion with include_usage', async () => {
    vendor = await startVendor({ protocol: 'openai-chat', auth: 'any', behaviour: { output_tokens: { p50: 12 } } })
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: vendor.baseUrl, maxRetries: 0 })
    const stream = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 50, stream: true, stream_options: { include_usage: true } })
    let text = ''
    let usage: OpenAI.CompletionUsage | null | undefined
    let finish: string | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish ??= chunk.choices[0]?.finish_reason
      if (chunk.usage) usage = chunk.usage
    }
    expect(text.length).toBeGreaterThan(0)
    expect(finish).toBe('stop')
    expect(usage?.completion_tokens).toBeGreaterThan(0)
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0))
  })

  it('reads a non-streaming completion, including DeepSeek-style reasoning_content', async () => {
    vendor = await startVendor({ protocol: 'openai-chat', behaviour: { reasoning_tokens: { p50: 5 }, output_tokens: { p50: 5 } } })
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: vendor.baseUrl, maxRetries: 0 })
    const res = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 40 })
    expect(res.object).toBe('chat.completion')
    expect(res.choices[0]!.message.content!.length).toBeGreaterThan(0)
    expect((res.choices[0]!.message as unknown as { reasoning_content: string }).reasoning_content.length).toBeGreaterThan(0)
    expect(res.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0)
  })

  it('maps the simulated 404 and 429 bodies to the SDK error classes', async () => {
    vendor = await startVendor({ protocol: 'openai-chat', auth: 'any', behaviour: { rate_limit_rate: 1, retry_after_s: 7 } })
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: vendor.baseUrl, maxRetries: 0 })
    await expect(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' })
    const err = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OpenAI.RateLimitError)
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7')
  })
})

describe('official @anthropic-ai/sdk against the simulated Anthropic vendor', () => {
  // The SDK appends /v1/messages itself.
  const sdkBase = (v: SimVendorHandle) => v.baseUrl.replace(/\/v1$/, '')

  it('streams a message with thinking, text and final usage', async () => {
    vendor = await startVendor({ protocol: 'anthropic-messages', auth: 'any', behaviour: { reasoning_tokens: { p50: 6 }, output_tokens: { p50: 10 } } })
    const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sdkBase(vendor), maxRetries: 0 })
    const stream = client.messages.stream({ model: 'test-model', max_tokens: 100, messages: [{ role: 'user', content: 'Say hi' }] })
    let text = ''
    let thinking = ''
    stream.on('text', (t) => (text += t))
    stream.on('thinking', (t) => (thinking += t))
    const final = await stream.finalMessage()
    expect(text.length).toBeGreaterThan(0)
    expect(thinking.length).toBeGreaterThan(0)
    expect(final.stop_reason).toBe('end_turn')
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text'])
    expect(final.usage.output_tokens).toBeGreaterThan(0)
  })

  it('reads a non-streaming message', async () => {
    vendor = await startVendor({ protocol: 'anthropic-messages', behaviour: { output_tokens: { p50: 5 } } })
    const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sdkBase(vendor), maxRetries: 0 })
    const msg = await client.messages.create({ model: 'test-model', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })
    expect(msg.type).toBe('message')
    expect(msg.content[0]!.type).toBe('text')
  })

  it('maps 404, 529 and an in-stream error event to the SDK errors', async () => {
    vendor = await startVendor({ protocol: 'anthropic-messages', behaviour: { overload_rate: 1 } })
    const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sdkBase(vendor), maxRetries: 0 })
    await expect(client.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError)
    await expect(client.messages.create({ model: 'test-model', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 529 })
    await vendor.close()
    vendor = await startVendor({ protocol: 'anthropic-messages', behaviour: { midstream_error_rate: 1, output_tokens: { p50: 20 } } })
    const client2 = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sdkBase(vendor), maxRetries: 0 })
    const stream = client2.messages.stream({ model: 'test-model', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded|overloaded/)
  })
})
