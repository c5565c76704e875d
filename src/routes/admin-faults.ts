/**
 * Chaos fault admin (Authorization: Bearer <DETOUR_ADMIN_TOKEN>):
 *   POST /admin/faults            set a fault (FaultInput: provider, kind, rate, ttlSeconds, …) → 201
 *   GET /admin/faults             the active faults
 *   DELETE /admin/faults/:id      clear one
 *   DELETE /admin/faults          clear all
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import { ApiError, badRequest } from "../api/errors";
import type { AppEnv } from "../app-types";
import { FaultInput } from "../chaos/faults";
import { chaosStub } from "../platform/stubs";

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
  const deps = c.get("deps");
  const now = deps.clock.now();
  const stub = chaosStub(c.env);
  const fault = await stub.add(parsed.data, now);
  deps.faultView.set(await stub.list(now), now);
  deps.log.warn("chaos fault set", { request_id: c.get("requestId"), fault });
  return c.json({ fault }, 201);
}

export async function listFaults(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const faults = await chaosStub(c.env).list(deps.clock.now());
  deps.faultView.set(faults, deps.clock.now());
  return c.json({ faults });
}

export async function removeFault(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const now = deps.clock.now();
  const stub = chaosStub(c.env);
  const deleted = await stub.remove(c.req.param("id")!, now);
  deps.faultView.set(await stub.list(now), now);
  if (!deleted) throw new ApiError(404, "not_found_error", "fault_not_found", `No active fault '${c.req.param("id")}'.`);
  return c.json({ deleted: true });
}

export async function clearFaults(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const cleared = await chaosStub(c.env).clear();
  deps.faultView.set([], deps.clock.now());
  return c.json({ cleared });
}
