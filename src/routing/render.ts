import type { Protocol } from '../core/types.js'
import type { ModelWeights } from './decide.js'
import type { WeightsDocument } from './publisher.js'

/** How a gateway reaches a provider: what the renderings need beyond the weights. */
export interface Endpoint {
  protocol: Protocol
  /** Resolved base URL (simulated vendors: their loopback address). */
  base_url: string
  /** The NAME of the variable holding the key; the daemon never renders a secret. */
  api_key_env?: string
}

export const FORMATS = ['json', 'litellm', 'portkey', 'envoy', 'nginx'] as const
export type Format = (typeof FORMATS)[number]

export interface Rendered {
  contentType: string
  body: string
}

type Models = [string, ModelWeights][]
const endpointOf = (endpoints: ReadonlyMap<string, Endpoint>, provider: string) => {
  const e = endpoints.get(provider)
  if (!e) throw new Error(`no endpoint known for provider "${provider}"`)
  return e
}

/**
 * LiteLLM router `model_list`: one deployment per offering under the logical
 * model's name, `litellm_params.weight` for its simple-shuffle strategy (the
 * only one that reads weights, hence `router_settings`). Keys are referenced
 * as `os.environ/NAME`, LiteLLM's own syntax.
 */
function litellm(models: Models, endpoints: ReadonlyMap<string, Endpoint>) {
  return {
    model_list: models.flatMap(([model, mw]) =>
      mw.providers.map((p) => {
        const e = endpointOf(endpoints, p.provider)
        return {
          model_name: model,
          litellm_params: {
            model: `${e.protocol === 'anthropic-messages' ? 'anthropic' : 'openai'}/${p.upstream_model}`,
            api_base: e.base_url,
            ...(e.api_key_env ? { api_key: `os.environ/${e.api_key_env}` } : {}),
            weight: p.weight,
          },
          model_info: { id: p.offering },
        }
      }),
    ),
    router_settings: { routing_strategy: 'simple-shuffle' },
  }
}

/**
 * Portkey gateway config: a `loadbalance` strategy over one target per
 * offering (provider + custom_host + the upstream model as override_params),
 * weights as shares of 1. Portkey requires an `api_key` per target: rendered
 * as a `${NAME}` placeholder for the gateway's deployment to fill.
 */
function portkeyConfig(mw: ModelWeights, endpoints: ReadonlyMap<string, Endpoint>) {
  return {
    strategy: { mode: 'loadbalance' },
    targets: mw.providers.map((p) => {
      const e = endpointOf(endpoints, p.provider)
      return {
        provider: e.protocol === 'anthropic-messages' ? 'anthropic' : 'openai',
        custom_host: e.base_url,
        api_key: e.api_key_env ? `\${${e.api_key_env}}` : 'none',
        override_params: { model: p.upstream_model },
        weight: p.weight / 1000,
      }
    }),
  }
}

/**
 * Envoy v3 RouteConfiguration (proto JSON): one route per logical model,
 * matched on the `x-ai-eg-model` header (as Envoy AI Gateway sets it), with
 * `weighted_clusters` naming one cluster per provider (define those clusters
 * in Envoy; the names are the provider ids).
 */
function envoy(models: Models) {
  return {
    name: 'weighbridge',
    virtual_hosts: [
      {
        name: 'weighbridge-models',
        domains: ['*'],
        routes: models.map(([model, mw]) => ({
          name: model,
          match: { prefix: '/', headers: [{ name: 'x-ai-eg-model', string_match: { exact: model } }] },
          route: { weighted_clusters: { clusters: mw.providers.map((p) => ({ name: p.provider, weight: p.weight })) } },
        })),
      },
    ],
  }
}

/** An nginx upstream name from a model id: letters, digits, `_`, `-` and `.` only. */
export const nginxUpstreamName = (model: string) => `weighbridge_${model.replace(/[^A-Za-z0-9_.-]/g, '_')}`

/**
 * nginx `upstream` blocks, one per logical model: `server host:port weight=N`
 * (nginx weights are at least 1, so an offering with weight 0 is marked
 * `down` instead). Include the file in `http { }` and proxy_pass to the
 * upstream; HTTPS vendors also need `proxy_ssl_server_name on`.
 */
function nginx(models: Models, endpoints: ReadonlyMap<string, Endpoint>, doc: WeightsDocument) {
  const lines = [`# weighbridge weights v${doc.version}, ${doc.generated_at}, profile ${doc.profile}, status ${doc.status}`]
  for (const [model, mw] of models) {
    lines.push(`upstream ${nginxUpstreamName(model)} {`)
    for (const p of mw.providers) {
      const u = new URL(endpointOf(endpoints, p.provider).base_url)
      const port = u.port || (u.protocol === 'https:' ? '443' : '80')
      const host = u.hostname.includes(':') ? `[${u.hostname.replace(/^\[|\]$/g, '')}]` : u.hostname
      lines.push(`    server ${host}:${port} ${p.weight > 0 ? `weight=${p.weight}` : 'down'};  # ${p.offering}, ${p.state}`)
    }
    lines.push('}')
  }
  return `${lines.join('\n')}\n`
}

/** The table in a gateway's own format. Only `json` carries the reasons; the others are configs to load. */
export function render(format: Exclude<Format, 'json'>, doc: WeightsDocument, endpoints: ReadonlyMap<string, Endpoint>): Rendered {
  const models = Object.entries(doc.models)
  switch (format) {
    case 'litellm':
      return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(litellm(models, endpoints)) }
    case 'portkey': {
      // One config per model; with ?model= the config itself, so it can be sent as x-portkey-config as is.
      const configs = Object.fromEntries(models.map(([m, mw]) => [m, portkeyConfig(mw, endpoints)]))
      return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(models.length === 1 ? configs[models[0]![0]] : { configs }) }
    }
    case 'envoy':
      return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(envoy(models)) }
    case 'nginx':
      return { contentType: 'text/plain; charset=utf-8', body: nginx(models, endpoints, doc) }
  }
}
