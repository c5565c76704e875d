/** GET /v1/models — every route and every concrete `provider/model`, in OpenAI's list shape. */
import type { Context } from "hono";
import type { AppEnv } from "../app-types";

export function listModels(c: Context<AppEnv>): Response {
  const { config } = c.get("loaded");
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
  return c.json({ object: "list", data: [...routes, ...models] });
}
