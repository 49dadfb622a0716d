import { parseConfig } from '../../src/config/load.js'
import { join } from 'node:path'
import type { Config } from '../../src/config/schema.js'
import { silentLogger } from '../../src/log.js'
import { startDaemon, type Daemon } from '../../src/main.js'
import { tempDir } from './tmp.js'

/**
 * Three simulated vendors with clearly different, tight scripts, serving two
 * models (one reasoning): `quick` is fastest, `middle` next, `crawl` slowest.
 */
export function threeVendorConfig(over: { dbPath?: string; extraYaml?: string; crawlTps?: number } = {}): Config {
  const exact = 'ttft_tail: { prob: 0, factor: 1 }, chunk_jitter: 0.05, output_tokens: { p50: 100000 }'
  return parseConfig(`
server: { host: 127.0.0.1, port: 0 }
storage: { path: ${over.dbPath ?? 'data/test.db'}, flush_ms: 50 }
stats: { min_n: 5, refresh_s: 60 }
weights: { window: 5m, min_n: 5, recompute_s: 60 }
prompt_buckets:
  short: { input_tokens: 50, max_tokens: 12 }
schedules:
  - { name: all, cron: "*/2 * * * * *", jitter_ms: 0, bucket: short }
models:
  - { id: chat-model }
  - { id: think-model, reasoning: true }
providers:
  - { id: quick, protocol: openai-chat, base_url: "sim://quick", timeouts: { first_token_ms: 5000, idle_ms: 5000, total_ms: 20000 } }
  - { id: middle, protocol: anthropic-messages, base_url: "sim://middle", timeouts: { first_token_ms: 5000, idle_ms: 5000, total_ms: 20000 } }
  - { id: crawl, protocol: openai-chat, base_url: "sim://crawl", timeouts: { first_token_ms: 5000, idle_ms: 5000, total_ms: 20000 } }
offerings:
  - { provider: quick, model: chat-model, upstream_model: q-chat, price: { input_per_mtok: 1, output_per_mtok: 2 } }
  - { provider: middle, model: chat-model, upstream_model: m-chat, price: { input_per_mtok: 1, output_per_mtok: 2 } }
  - { provider: crawl, model: chat-model, upstream_model: c-chat, price: { input_per_mtok: 1, output_per_mtok: 2 } }
  - { provider: quick, model: think-model, upstream_model: q-think, price: { input_per_mtok: 1, output_per_mtok: 2 } }
  - { provider: middle, model: think-model, upstream_model: m-think, price: { input_per_mtok: 1, output_per_mtok: 2 } }
  - { provider: crawl, model: think-model, upstream_model: c-think, price: { input_per_mtok: 1, output_per_mtok: 2 } }
simulator:
  vendors:
    - { id: quick, protocol: openai-chat, auth: none, behaviour: { ttft_ms: { p50: 30, p90: 33 }, decode_tps: { p50: 400, cv: 0.02 }, ${exact} }, models: { q-chat: {}, q-think: { reasoning_tokens: { p50: 4 } } } }
    - { id: middle, protocol: anthropic-messages, auth: none, behaviour: { ttft_ms: { p50: 90, p90: 100 }, decode_tps: { p50: 150, cv: 0.02 }, ${exact} }, models: { m-chat: {}, m-think: { reasoning_tokens: { p50: 4 } } } }
    - { id: crawl, protocol: openai-chat, auth: none, behaviour: { ttft_ms: { p50: 200, p90: 220 }, decode_tps: { p50: ${over.crawlTps ?? 50}, cv: 0.02 }, ${exact} }, models: { c-chat: {}, c-think: { reasoning_tokens: { p50: 4 } } } }
${over.extraYaml ?? ''}`)
}

/**
 * The three-vendor daemon with `rounds` probe rounds run by hand, written,
 * summarised and weighed: ready for tests that read what it publishes.
 */
export async function primedDaemon(o: { rounds?: number; env?: NodeJS.ProcessEnv; config?: Config } = {}): Promise<Daemon> {
  const config = o.config ?? threeVendorConfig()
  const daemon = await startDaemon({ config, log: silentLogger, dbPath: join(tempDir(), 'wb.db'), schedules: false, ...(o.env ? { env: o.env } : {}) })
  for (let i = 0; i < (o.rounds ?? 6); i++) await daemon.scheduler.runRound(config.schedules[0]!)
  daemon.writer.flush()
  await daemon.stats.refresh()
  daemon.weights.recompute()
  return daemon
}
