/**
 * The documented schemas of the gateways our weights are rendered for, as zod
 * schemas, so a rendering is tested against its target's rules rather than
 * against itself.
 *
 * - LiteLLM: a router deployment is `{ model_name, litellm_params: LiteLLM_Params, model_info? }`;
 *   `LiteLLM_Params` requires `model` ("<provider>/<model>") and allows api_base, api_key
 *   ("os.environ/NAME" references), and the simple-shuffle `weight`.
 *   Source: BerriAI/litellm litellm/types/router.py (Deployment, LiteLLM_Params,
 *   GenericLiteLLMParams) and docs.litellm.ai "Routing / Weighted deployments". MIT.
 * - Portkey: transcribed from Portkey-AI/gateway src/middlewares/requestValidator/schema/config.ts
 *   (the validator the gateway runs on every x-portkey-config), including its refinements;
 *   VALID_PROVIDERS is cut to the two our protocols map to. MIT.
 * - Envoy: the fields we emit of envoy.config.route.v3.RouteConfiguration in proto JSON, with
 *   the protoc-gen-validate rules of route_components.proto: WeightedCluster.clusters min_items 1,
 *   ClusterWeight.weight a UInt32Value, the total weight above zero. Apache-2.0.
 */
import { z } from 'zod'

export const litellmDeployment = z.object({
  model_name: z.string().min(1),
  litellm_params: z.looseObject({
    model: z.string().regex(/^[a-z0-9_-]+\/.+/, 'model must be "<provider>/<model>"'),
    api_base: z.url().optional(),
    api_key: z.string().optional(),
    weight: z.number().nonnegative(),
  }),
  model_info: z.looseObject({ id: z.string().optional() }).optional(),
})
export const litellmConfig = z.object({
  model_list: z.array(litellmDeployment).min(1),
  router_settings: z.looseObject({ routing_strategy: z.literal('simple-shuffle') }),
})

const PORTKEY_PROVIDERS = ['openai', 'anthropic']
export const portkeyConfig: z.ZodType = z
  .looseObject({
    strategy: z
      .object({
        mode: z.string().refine((v) => ['single', 'loadbalance', 'fallback', 'conditional'].includes(v), { message: "Invalid 'mode' value" }),
        on_status_codes: z.array(z.number()).optional(),
      })
      .optional(),
    provider: z.string().refine((v) => PORTKEY_PROVIDERS.includes(v), { message: "Invalid 'provider' value" }).optional(),
    api_key: z.string().optional(),
    weight: z.number().optional(),
    targets: z.array(z.lazy(() => portkeyConfig)).optional(),
    custom_host: z.string().optional(),
    override_params: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((v) => (v.provider !== undefined && v.api_key !== undefined) || (v.strategy !== undefined && v.targets !== undefined), {
    message: "Invalid configuration. It must have either 'provider' and 'api_key', or 'strategy' and 'targets'",
  })
  .refine((v) => !v.custom_host || !v.custom_host.includes('api.portkey'), { message: 'Invalid custom host' })

const uint32 = z.int().min(0).max(4_294_967_295)
export const envoyRouteConfiguration = z.strictObject({
  name: z.string(),
  virtual_hosts: z.array(
    z.strictObject({
      name: z.string().min(1),
      domains: z.array(z.string().min(1)).min(1),
      routes: z.array(
        z.strictObject({
          name: z.string().optional(),
          match: z.strictObject({
            prefix: z.string(),
            headers: z.array(z.strictObject({ name: z.string().min(1), string_match: z.strictObject({ exact: z.string() }) })).optional(),
          }),
          route: z.strictObject({
            weighted_clusters: z
              .strictObject({ clusters: z.array(z.strictObject({ name: z.string().min(1), weight: uint32 })).min(1) })
              .refine((w) => w.clusters.reduce((s, c) => s + c.weight, 0) > 0, { message: 'total weight must be above zero' }),
          }),
        }),
      ),
    }),
  ),
})
