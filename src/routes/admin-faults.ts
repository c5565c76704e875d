/**
 * Chaos fault admin (Authorization: Bearer <DETOUR_ADMIN_TOKEN>):
 *   POST /admin/faults            set a fault (FaultInput: provider, kind, rate, ttlSeconds, …) → 201
 *   GET /admin/faults             the active faults
 *   DELETE /admin/faults/:id      clear one
 *   DELETE /admin/faults          clear all
 * Every change also writes the KV version flag (`config:chaos-version`, src/chaos/view.ts) so other isolates know to
 * reload, and applies the change in this isolate at once.
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import { ApiError, badRequest } from "../api/errors";
import type { AppEnv } from "../app-types";
import { KvStore } from "../cache/store";
import { FaultInput, type Fault } from "../chaos/faults";
import { CHAOS_FLAG_KEY, flagFor } from "../chaos/view";
import { isKnownModel } from "../routing/resolve";
import { chaosStub } from "../platform/stubs";
import { noteDrills } from "../dashboard/drill-events";

export async function addFault(c: Context<AppEnv>): Promise<Response> {
  const body = await readJsonBody(c.req.raw, c.get("loaded").config.limits.maxBodyBytes, 'Send the fault as JSON: {"provider":"alpha","kind":"status","status":503,"rate":1,"ttlSeconds":300}.');
  const parsed = FaultInput.safeParse(body);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw badRequest(`Invalid fault: ${parsed.error.issues.map((x) => `${x.path.join(".") || "(root)"}: ${x.message}`).join("; ")}`, i.path.join(".") || null);
  }
  const { config } = c.get("loaded");
  if (parsed.data.provider !== "*" && !config.providers.some((p) => p.id === parsed.data.provider)) {
    throw new ApiError(404, "not_found_error", "provider_not_found", `No provider '${parsed.data.provider}' in DETOUR_CONFIG.`, "provider");
  }
  // A fault on a misspelt route would match no request: the drill would run, and nothing would happen.
  const route = parsed.data.route;
  if (route !== undefined && !isKnownModel(config, route)) {
    throw new ApiError(404, "not_found_error", "route_not_found", `No route '${route}' in DETOUR_CONFIG (name a route or a configured provider/model).`, "route");
  }
  const deps = c.get("deps");
  const now = deps.clock.now();
  const stub = chaosStub(c.env);
  const fault = await stub.add(parsed.data, now);
  await publish(c, await stub.list(now), now);
  await noteDrills(c, [fault], "started", now);
  deps.log.warn("chaos fault set", { request_id: c.get("requestId"), fault });
  return c.json({ fault }, 201);
}

export async function listFaults(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const faults = await chaosStub(c.env).list(deps.clock.now());
  return c.json({ faults });
}

export async function removeFault(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const now = deps.clock.now();
  const stub = chaosStub(c.env);
  const before = await stub.list(now);
  const deleted = await stub.remove(c.req.param("id")!, now);
  await publish(c, await stub.list(now), now);
  await noteDrills(c, before.filter((f) => f.id === c.req.param("id")), "stopped", now);
  if (!deleted) throw new ApiError(404, "not_found_error", "fault_not_found", `No active fault '${c.req.param("id")}'.`);
  return c.json({ deleted: true });
}

export async function clearFaults(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const before = await chaosStub(c.env).list(deps.clock.now());
  const cleared = await chaosStub(c.env).clear();
  await publish(c, [], deps.clock.now());
  await noteDrills(c, before, "stopped", deps.clock.now());
  return c.json({ cleared });
}

/**
 * Apply a new fault list in this isolate now and bump the KV version flag for the others. A flag that cannot be
 * written is logged, not fatal: the fault is set, and other isolates pick it up on the next successful write.
 */
async function publish(c: Context<AppEnv>, faults: Fault[], now: number): Promise<void> {
  const deps = c.get("deps");
  const flag = flagFor(faults, now, `${now}-${crypto.randomUUID()}`);
  deps.faultView.set(faults, now, flag);
  const kv = c.env.DETOUR_KV;
  if (!kv) return;
  try {
    await new KvStore(kv, { timeoutMs: c.get("loaded").config.cache.kvTimeoutMs, clock: deps.clock }).put(CHAOS_FLAG_KEY, flag);
  } catch (err) {
    deps.log.warn("chaos version flag not written", { request_id: c.get("requestId"), error: err instanceof Error ? err.message : String(err) });
  }
}
