import { afterAll, describe, expect, it } from 'vitest'
import type { Daemon } from '../../src/main.js'
import { primedDaemon } from '../helpers/daemon-config.js'

let daemon: Daemon | undefined
afterAll(async () => daemon?.stop())

describe('GET /metrics (Prometheus)', () => {
  it('exports GenAI-convention histograms per offering, outcomes, published weights and the daemon\'s own health', async () => {
    daemon = await primedDaemon()
    const res = await fetch(`${daemon.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    const quick = 'gen_ai_provider_name="quick",gen_ai_request_model="q-chat",weighbridge_offering="quick/chat-model"'
    // Six successful probes of quick/chat-model (enough to be scored): six observations in each histogram.
    expect(text).toContain(`gen_ai_server_time_to_first_token_seconds_count{${quick}} 6`)
    expect(text).toContain(`gen_ai_server_time_per_output_token_seconds_count{${quick}} 6`)
    expect(text).toContain(`gen_ai_client_operation_duration_seconds_count{${quick},error_type=""} 6`)
    expect(text).toContain(`gen_ai_client_token_usage_count{${quick},gen_ai_token_type="output"} 6`)
    expect(text).toContain(`weighbridge_probe_outcomes_total{${quick},outcome="ok",blame="none"} 6`)
    // TTFT scripted at 30 ms: all six observations are at most 0.2 s (a margin for a loaded machine).
    expect(text).toContain(`gen_ai_server_time_to_first_token_seconds_bucket{le="0.2",${quick}} 6`)
    const weights = [...text.matchAll(/^weighbridge_weight\{model="chat-model",weighbridge_offering="[^"]+",gen_ai_provider_name="[^"]+",profile="balanced",state="healthy"\} (\d+)$/gm)].map((m) => Number(m[1]))
    expect(weights).toHaveLength(3)
    expect(weights.reduce((a, b) => a + b)).toBe(1000)
    expect(text).toMatch(/^weighbridge_weights_status\{model="chat-model",status="ok"\} 1$/m)
    expect(text).toMatch(/^weighbridge_event_loop_delay_p99_seconds \d/m)
    expect(text).toMatch(/^weighbridge_write_queue_depth 0$/m)
    expect(text).toMatch(/^weighbridge_wal_bytes \d+$/m)
    expect(text).toMatch(/^weighbridge_probe_start_lag_seconds_count 36$/m) // 6 rounds × 6 offerings
  })
})
