import type { Dispatcher } from 'undici'
import type { Timeouts } from '../config/schema.js'
import type { WireAdapter } from '../providers/adapter.js'

/** Everything needed to send one probe to one offering, resolved from config by the composition root. */
export interface ProbeTarget {
  offering: string
  provider: string
  model: string
  region: string
  upstreamModel: string
  baseUrl: string
  adapter: WireAdapter
  /** Read from the environment at start-up; never logged or stored. */
  apiKey: string | undefined
  headers: Record<string, string>
  timeouts: Timeouts
  price: { input_per_mtok: number; output_per_mtok: number }
  /** This provider's connection pool (its own connect timeout); else the prober's default. */
  dispatcher?: Dispatcher
}
