/**
 * Admin routes for the cache and degradation templates (Authorization: Bearer <DETOUR_ADMIN_TOKEN>):
 *   PUT|GET|DELETE /admin/templates/:route/:key   a template for an intent or task class (validated on PUT)
 *   GET /admin/templates/:route                   the keys of the route's templates
 *   DELETE /admin/cache?tenant=…[&intent=…]             purge a tenant's cached answers, or one intent's: the
 *                                                       first bounded step here; what remains continues in a
 *                                                       CachePurge job (202, its id and status URL)
 *   GET /admin/cache/purges/:id                         a purge job's progress
 *   DELETE /admin/cache?…&cursor=…                      one bounded step from a cursor (the caller-driven mode,
 *                                                       also the answer when no CACHE_PURGE binding exists)
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import { ApiError, badRequest } from "../api/errors";
import type { AppEnv } from "../app-types";
import { purgePrefixes } from "../cache/intent-cache";
import { decodeCursor, purgeStep } from "../cache/purge";
import { purgeStub } from "../platform/stubs";
import { KvStore } from "../cache/store";
import { templateKey } from "../degrade/serve";
import { validateTemplate } from "../degrade/template";
import { routeNamed } from "../routing/resolve";

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
  if (!routeNamed(config, route)) throw new ApiError(404, "not_found_error", "route_not_found", `No route '${route}' in DETOUR_CONFIG.`, "route");
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

/**
 * GET /admin/templates/:route — the keys of the route's templates, sorted. Keys are `template:<route>:<key>` and a
 * route name may hold ':', so keys under a longer configured route ("auto:eu" when listing "auto") are left out.
 */
export async function listTemplates(c: Context<AppEnv>): Promise<Response> {
  const { config } = c.get("loaded");
  const route = c.req.param("route")!;
  if (!routeNamed(config, route)) throw new ApiError(404, "not_found_error", "route_not_found", `No route '${route}' in DETOUR_CONFIG.`, "route");
  const prefix = templateKey(route, "");
  const longer = Object.keys(config.routes).filter((r) => r !== route && r.startsWith(`${route}:`)).map((r) => templateKey(r, ""));
  const names = await kv(c).list(prefix);
  const keys = names.filter((n) => !longer.some((p) => n.startsWith(p))).map((n) => n.slice(prefix.length)).sort();
  return c.json({ route, keys });
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
  const startedAt = Date.now();
  const prefixes = await purgePrefixes(tenant, intent || undefined);
  const step = await purgeStep(kvBinding(c), prefixes, from, c.get("deps").edgeCache());
  const note = `other colos' Cache API copies expire within ${config.cache.edgeTtlSeconds} s`;
  const who = { tenant, ...(intent ? { intent } : {}) };
  // The audit trail: whose answers an operator purged (the request line alone names only the path).
  const audit = (fields: Record<string, unknown>) =>
    c.get("deps").log.info("cache purge", { request_id: c.get("requestId"), purged_tenant: tenant, ...(intent ? { intent } : {}), ...fields });
  // More to do, and no caller-driven cursor asked for: hand the rest to a job that finishes on its own.
  const id = crypto.randomUUID();
  const job = step.next && rawCursor === undefined ? purgeStub(c.env, id) : undefined;
  if (job && step.next) {
    const status = await job.start({ id, ...who, prefixes, next: step.next, removedKeys: step.removed, startedAt });
    audit({ removed_keys: step.removed, done: false, job: id });
    return c.json({ ...who, id, removed_keys: step.removed, done: false, state: status.state, status_url: `/admin/cache/purges/${id}`, note }, 202);
  }
  const next = step.cursor ? `/admin/cache?${new URLSearchParams({ ...who, cursor: step.cursor })}` : undefined;
  audit({ removed_keys: step.removed, done: step.done });
  return c.json({ ...who, removed_keys: step.removed, done: step.done, ...(next ? { cursor: step.cursor, next: `DELETE ${next}` } : {}), note });
}

/** GET /admin/cache/purges/:id — keys deleted so far, running or done, started and updated times. */
export async function purgeStatus(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id")!;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw badRequest("A purge id is the UUID a DELETE /admin/cache returned.", "id");
  const stub = purgeStub(c.env, id);
  if (!stub) throw new ApiError(503, "api_error", "purge_unbound", "No CACHE_PURGE binding: purges run in caller-driven steps only.");
  const status = await stub.status();
  if (!status) throw new ApiError(404, "not_found_error", "purge_not_found", `No purge job '${id}'.`);
  return c.json({
    id: status.id,
    tenant: status.tenant,
    ...(status.intent ? { intent: status.intent } : {}),
    state: status.state,
    removed_keys: status.removedKeys,
    steps: status.steps,
    started_at: new Date(status.startedAt).toISOString(),
    updated_at: new Date(status.updatedAt).toISOString(),
    ...(status.lastError ? { last_error: status.lastError } : {}),
  });
}
