import type { Dispatcher } from 'undici'
import { offeringId, type Config } from './config/schema.js'
import { ConfigError, type ConfigIssue } from './core/errors.js'
import type { ProbeTarget } from './probe/target.js'
import { adapterFor } from './providers/registry.js'

import type { Clock } from './core/clock.js'
import { timedAgent } from './probe/transport.js'

/** A connection pool per provider: its own connect deadline, and connection set-up timed per new socket. */
export function providerDispatcher(connectMs: number, clock: Clock): Dispatcher {
  return timedAgent({ clock, connectTimeoutMs: connectMs })
}

/**
 * Resolve config into probe targets: `sim://` base URLs to the running
 * simulators, key variable NAMES to their values. Every missing key is
 * reported at once; the values themselves are never logged or stored.
 */
export function resolveTargets(
  config: Config,
  opts: { simUrls: ReadonlyMap<string, string>; env: NodeJS.ProcessEnv; dispatchers?: ReadonlyMap<string, Dispatcher> },
): ProbeTarget[] {
  const issues: ConfigIssue[] = []
  const providers = new Map(config.providers.map((p, i) => [p.id, { p, i }]))
  const keyOf = new Map<string, string | undefined>()
  for (const [id, { p, i }] of providers) {
    if (!p.api_key_env) continue
    const key = opts.env[p.api_key_env]
    if (!key) issues.push({ path: `providers[${i}].api_key_env`, message: `environment variable ${p.api_key_env} is not set (provider "${id}" needs its API key there)` })
    keyOf.set(id, key)
  }
  if (issues.length > 0) throw new ConfigError(issues)
  const baseUrl = (url: string) => {
    if (!url.startsWith('sim://')) return url
    const resolved = opts.simUrls.get(url.slice('sim://'.length))
    if (!resolved) throw new ConfigError([{ path: 'simulator', message: `simulated vendor for ${url} is not running` }])
    return resolved
  }
  return config.offerings
    .filter((o) => o.enabled)
    .map((o): ProbeTarget => {
      const { p } = providers.get(o.provider)!
      const dispatcher = opts.dispatchers?.get(p.id)
      return {
        offering: offeringId(o),
        provider: p.id,
        model: o.model,
        region: p.region,
        upstreamModel: o.upstream_model,
        baseUrl: baseUrl(p.base_url),
        adapter: adapterFor(p.protocol),
        apiKey: keyOf.get(p.id),
        headers: p.headers,
        timeouts: p.timeouts,
        price: o.price,
        ...(dispatcher ? { dispatcher } : {}),
      }
    })
}
