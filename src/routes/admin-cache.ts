/**
 * Admin routes for the cache and degradation templates (Authorization: Bearer <DETOUR_ADMIN_TOKEN>):
 *   PUT|GET|DELETE /admin/templates/:route/:key   a template for an intent or task class (validated on PUT)
 *   DELETE /admin/cache?tenant=…[&intent=…][&cursor=…]  purge a tenant's cached answers, or one intent's, in
 *                                                       bounded steps: repeat with the returned cursor until done
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import { ApiError, badRequest } from "../api/errors";
import type { AppEnv } from "../app-types";
import { purgePrefixes } from "../cache/intent-cache";
import { decodeCursor, purgeStep } from "../cache/purge";
import { KvStore } from "../cache/store";
import { templateKey } from "../degrade/serve";
import { validateTemplate } from "../degrade/template";

function kvBinding(c: Context<AppEnv>): KVNamespace {
  if (!c.env.DETOUR_KV) throw new ApiError(503, "api_error", "kv_unbound", "No DETOUR_KV binding: the cache and templates are off.");
  return c.env.DETOUR_KV;
}

function kv(c: Context<AppEnv>): KvStore {
  return new KvStore(kvBinding(c));
}

function routeAndKey(c: Context<AppEnv>): { route: string; key: string } {
  const { config } = c.get("loaded");
  const route = c.req.param("route")!;
  const key = c.req.param("key")!;
  if (!config.routes[route]) throw new ApiError(404, "not_found_error", "route_not_found", `No route '${route}' in DETOUR_CONFIG.`, "route");
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(key)) throw badRequest("The template key is an intent or a task class: 1-200 letters, digits, '.', '_', ':' or '-'.", "key");
  return { route, key };
}

export async function putTemplate(c: Context<AppEnv>): Promise<Response> {
  const { route, key } = routeAndKey(c);
  const body = await readJsonBody(c.req.raw, c.get("loaded").config.limits.maxBodyBytes, 'Send the template as JSON: {"text": "Hi {{user}}, …", "variables": {…}}.');
  const v = validateTemplate(body);
  if (!v.ok) throw badRequest(`Invalid template: ${v.errors.join("; ")}`, "template");
  // Templates change rarely and are read on the failure path only: no TTL.
  await kv(c).put(templateKey(route, key), v.template);
  return c.json({ route, key, template: v.template }, 200);
}

export async function getTemplate(c: Context<AppEnv>): Promise<Response> {
  const { route, key } = routeAndKey(c);
  const stored = await kv(c).get<unknown>(templateKey(route, key));
  if (!stored) throw new ApiError(404, "not_found_error", "template_not_found", `No template for route '${route}' and key '${key}'.`);
  return c.json({ route, key, template: stored.value });
}

export async function deleteTemplate(c: Context<AppEnv>): Promise<Response> {
  const { route, key } = routeAndKey(c);
  await kv(c).delete(templateKey(route, key));
  return c.json({ route, key, deleted: true });
}

export async function purgeCache(c: Context<AppEnv>): Promise<Response> {
  const tenant = c.req.query("tenant")?.trim();
  const rawIntent = c.req.query("intent");
  const intent = rawIntent?.trim();
  if (!tenant) throw badRequest("Name the tenant whose answers to purge: DELETE /admin/cache?tenant=…[&intent=…].", "tenant");
  // An empty intent must not widen into purging the whole tenant.
  if (rawIntent !== undefined && !intent) throw badRequest("intent is empty; leave it out to purge every answer of the tenant.", "intent");
  const rawCursor = c.req.query("cursor");
  const from = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
  if (rawCursor !== undefined && !from) throw badRequest("cursor is not one this endpoint returned; start again without it.", "cursor");
  const { config } = c.get("loaded");
  const step = await purgeStep(kvBinding(c), await purgePrefixes(tenant, intent || undefined), from, c.get("deps").edgeCache());
  const next = step.cursor ? `/admin/cache?${new URLSearchParams({ tenant, ...(intent ? { intent } : {}), cursor: step.cursor })}` : undefined;
  return c.json({
    tenant,
    ...(intent ? { intent } : {}),
    removed_keys: step.removed,
    done: step.done,
    ...(next ? { cursor: step.cursor, next: `DELETE ${next}` } : {}),
    note: `other colos' Cache API copies expire within ${config.cache.edgeTtlSeconds} s`,
  });
}
