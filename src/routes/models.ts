/**
 * GET /v1/models and GET /v1/models/:id — every route and every concrete `provider/model`, in OpenAI's model-object
 * shape, each with a `detour` object (targets for routes; context window, capabilities and price for models).
 */
import type { Context } from "hono";
import { ApiError, excerpt } from "../api/errors";
import type { AppEnv } from "../app-types";
import type { DetourConfig } from "../config/schema";

/** OpenAI's model object, plus Detour's description of what stands behind the id. */
export interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  detour: Record<string, unknown>;
}

/** Routes first (what most callers name), then every provider's models as `provider/model`. */
export function modelObjects(config: DetourConfig): ModelObject[] {
  // Routes and models come from config, which has no creation time; 0 is stable and the SDKs accept it.
  const created = 0;
  const routes = Object.entries(config.routes).map(([id, r]) => ({
    id,
    object: "model" as const,
    created,
    owned_by: "detour",
    detour: { kind: "route", targets: r.targets, ...(r.description ? { description: r.description } : {}) },
  }));
  const models = config.providers.flatMap((p) =>
    p.models.map((m) => ({
      id: `${p.id}/${m.id}`,
      object: "model" as const,
      created,
      owned_by: p.id,
      detour: {
        kind: "model",
        provider_kind: p.kind,
        context_window: m.contextWindow,
        max_output_tokens: m.maxOutputTokens,
        tools: m.tools,
        json: m.json,
        vision: m.vision,
        ...(m.price ? { price_per_million: m.price } : {}),
      },
    })),
  );
  return [...routes, ...models];
}

export function listModels(c: Context<AppEnv>): Response {
  return c.json({ object: "list", data: modelObjects(c.get("loaded").config) });
}

/**
 * One model object. The id may contain a slash (`swift/swift-mini`): the official SDKs send it percent-encoded
 * (`swift%2Fswift-mini`), curl users send it raw; both arrive here as the `id` path parameter, decoded.
 */
export function getModel(c: Context<AppEnv>): Response {
  const id = c.req.param("id") ?? "";
  const found = modelObjects(c.get("loaded").config).find((m) => m.id === id);
  if (!found) {
    throw new ApiError(
      404,
      "invalid_request_error",
      "model_not_found",
      `The model '${excerpt(id)}' does not exist on this gateway: use a route name or a provider/model id listed by GET /v1/models.`,
      "model",
    );
  }
  return c.json(found);
}
