import { offeringId, type Config } from './config/schema.js'

export interface CatalogOffering {
  id: string
  provider: string
  model: string
  upstream_model: string
  region: string
  price: { input_per_mtok: number; output_per_mtok: number }
}

export interface CatalogModel {
  id: string
  display_name: string
  reasoning: boolean
  offerings: CatalogOffering[]
}

/** The logical models and who sells them, from config: what the API and the weights are organised by. */
export interface Catalog {
  models: CatalogModel[]
  offering(id: string): CatalogOffering | undefined
  model(id: string): CatalogModel | undefined
}

export function buildCatalog(config: Config): Catalog {
  const region = new Map(config.providers.map((p) => [p.id, p.region]))
  const offerings = config.offerings
    .filter((o) => o.enabled)
    .map((o): CatalogOffering => ({ id: offeringId(o), provider: o.provider, model: o.model, upstream_model: o.upstream_model, region: region.get(o.provider) ?? 'default', price: o.price }))
  const models = config.models.map((m): CatalogModel => ({ id: m.id, display_name: m.display_name ?? m.id, reasoning: m.reasoning, offerings: offerings.filter((o) => o.model === m.id) }))
  const byId = new Map(offerings.map((o) => [o.id, o]))
  const modelById = new Map(models.map((m) => [m.id, m]))
  return { models, offering: (id) => byId.get(id), model: (id) => modelById.get(id) }
}
