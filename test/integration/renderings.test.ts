import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Daemon } from '../../src/main.js'
import type { WeightsDocument } from '../../src/routing/publisher.js'
import { nginxUpstreamName } from '../../src/routing/render.js'
import { primedDaemon } from '../helpers/daemon-config.js'
import { envoyRouteConfiguration, litellmConfig, portkeyConfig } from '../helpers/gateway-schemas.js'
import { tempDir } from '../helpers/tmp.js'

let daemon: Daemon
let doc: WeightsDocument
const get = async (q: string) => {
  const res = await fetch(`${daemon.url}/v1/weights?${q}`)
  return { status: res.status, type: res.headers.get('content-type'), etag: res.headers.get('etag'), text: await res.text() }
}

beforeAll(async () => {
  daemon = await primedDaemon()
  doc = JSON.parse((await get('')).text) as WeightsDocument
  expect(doc.status).toBe('ok')
})
afterAll(async () => daemon?.stop())

const weightsOf = (model: string) => Object.fromEntries(doc.models[model]!.providers.map((p) => [p.provider, p.weight]))

describe('weights rendered for real gateways, each checked against its documented schema', () => {
  it('litellm: router model_list deployments with litellm_params.weight', async () => {
    const r = await get('format=litellm')
    expect(r.type).toMatch(/json/)
    const cfg = litellmConfig.parse(JSON.parse(r.text))
    const chat = cfg.model_list.filter((d) => d.model_name === 'chat-model')
    expect(chat).toHaveLength(3)
    for (const d of chat) expect(d.litellm_params.weight).toBe(weightsOf('chat-model')[d.model_info!.id!.split('/')[0]!])
    expect(chat.find((d) => d.model_info!.id === 'middle/chat-model')!.litellm_params.model).toBe('anthropic/m-chat') // the Anthropic protocol
    expect(chat.find((d) => d.model_info!.id === 'quick/chat-model')!.litellm_params.api_base).toMatch(/^http:\/\/127\.0\.0\.1:\d+/)
  })

  it('portkey: a loadbalance config per model, targets weighted by share', async () => {
    const r = await get('format=portkey&model=chat-model')
    const cfg = JSON.parse(r.text) as { strategy: { mode: string }; targets: { provider: string; weight: number; override_params: { model: string } }[] }
    expect(portkeyConfig.safeParse(cfg).error).toBeUndefined()
    expect(cfg.strategy.mode).toBe('loadbalance')
    expect(cfg.targets.map((t) => Math.round(t.weight * 1000))).toEqual(Object.values(weightsOf('chat-model')))
    const all = JSON.parse((await get('format=portkey')).text) as { configs: Record<string, unknown> }
    for (const c of Object.values(all.configs)) expect(portkeyConfig.safeParse(c).error).toBeUndefined()
    // The schema is a real check: a target without a key is refused, as the gateway would.
    expect(portkeyConfig.safeParse({ ...cfg, targets: [{ provider: 'openai', weight: 1 }] }).success).toBe(false)
  })

  it('envoy: a v3 RouteConfiguration with weighted_clusters per model', async () => {
    const cfg = envoyRouteConfiguration.parse(JSON.parse((await get('format=envoy')).text))
    const route = cfg.virtual_hosts[0]!.routes.find((r) => r.name === 'chat-model')!
    expect(route.match.headers![0]).toEqual({ name: 'x-ai-eg-model', string_match: { exact: 'chat-model' } })
    expect(Object.fromEntries(route.route.weighted_clusters.clusters.map((c) => [c.name, c.weight]))).toEqual(weightsOf('chat-model'))
  })

  it('nginx: upstream blocks with weight= that the real nginx accepts (nginx -t)', async () => {
    const r = await get('format=nginx')
    expect(r.type).toMatch(/text\/plain/)
    expect(r.text).toContain(`upstream ${nginxUpstreamName('chat-model')} {`)
    for (const [provider, w] of Object.entries(weightsOf('chat-model'))) expect(r.text).toMatch(new RegExp(`server 127\\.0\\.0\\.1:\\d+ ${w > 0 ? `weight=${w}` : 'down'};  # ${provider}/chat-model`))
    const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0)
    if (!nginx) {
      console.warn('nginx is not installed: skipping `nginx -t` (.ci/run installs Debian nginx-light)')
      return
    }
    const prefix = tempDir()
    mkdirSync(join(prefix, 'logs'))
    writeFileSync(join(prefix, 'weighbridge-upstreams.conf'), r.text)
    writeFileSync(join(prefix, 'nginx.conf'), `
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')};
events {}
http {
  access_log off;
  include ${join(prefix, 'weighbridge-upstreams.conf')};
  server {
    listen 127.0.0.1:18080;
    location / { proxy_pass http://${nginxUpstreamName('chat-model')}; }
  }
}
`)
    const out = spawnSync(nginx, ['-t', '-p', prefix, '-c', join(prefix, 'nginx.conf')], { encoding: 'utf8' })
    expect(out.stderr).toMatch(/syntax is ok/)
    expect(out.stderr).toMatch(/test is successful/)
    expect(out.status).toBe(0)
    // And the check can fail: weight=0 is not valid nginx, which is why zero weights render as `down`.
    writeFileSync(join(prefix, 'weighbridge-upstreams.conf'), r.text.replace(/weight=\d+/, 'weight=0'))
    expect(spawnSync(nginx, ['-t', '-p', prefix, '-c', join(prefix, 'nginx.conf')]).status).not.toBe(0)
  })

  it('rejects an unknown format, names the choices, and gives each rendering its own ETag', async () => {
    const bad = await get('format=haproxy')
    expect(bad.status).toBe(400)
    expect((JSON.parse(bad.text) as { error: { code: string; message: string } }).error).toEqual({ code: 'BAD_FORMAT', message: 'unknown format "haproxy"; use one of json, litellm, portkey, envoy, nginx' })
    const a = await get('format=envoy')
    const b = await get('format=nginx')
    expect(a.etag).not.toBe(b.etag)
    const again = await fetch(`${daemon.url}/v1/weights?format=envoy`, { headers: { 'if-none-match': a.etag! } })
    expect(again.status).toBe(304)
  })

  it('serves a table per prompt bucket beside the one over all buckets, and refuses an unknown bucket', async () => {
    const r = await get('bucket=short&model=chat-model')
    expect(r.status).toBe(200)
    const doc = JSON.parse(r.text) as WeightsDocument
    expect(doc.bucket).toBe('short')
    expect(doc.models['chat-model']!.providers.map((p) => p.metrics.n_ok)).toEqual([6, 6, 6])
    const by = Object.fromEntries(doc.models['chat-model']!.providers.map((p) => [p.provider, p.weight]))
    expect(by.quick).toBeGreaterThan(by.crawl!)
    const bad = await get('bucket=huge')
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('unknown prompt bucket \\"huge\\"')
  })
})

