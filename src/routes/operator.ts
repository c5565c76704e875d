/**
 * Operator routes: GET /status (JSON of every breaker), GET /metrics (Prometheus), and the admin breaker actions
 * POST /admin/breakers/:provider {"action": "force_open" | "force_closed" | "disable" | "reset"}.
 */
import type { Context } from "hono";
import * as z from "../zod";
import { readJsonBody } from "../api/body";
import { ApiError, badRequest } from "../api/errors";
import type { AppEnv } from "../app-types";
import { breakerKey, regionProblem, settingsFor } from "../breakers/request";
import type { ProviderSnapshot } from "../breakers/types";
import type { ProviderConfig } from "../config/schema";
import { withTimeout } from "../engine/clock";
import { renderMetrics } from "../observability/metrics";
import { secretIn } from "../platform/secrets";
import { chaosStub, healthStub } from "../platform/stubs";
import { renderReadinessMetrics } from "../readiness/metrics";
import { collectReadiness } from "../readiness/store";

interface Row {
  provider: ProviderConfig;
  key: string;
  snapshot?: ProviderSnapshot;
  error?: string;
}

/** Every breaker key Detour knows of: each provider's own, plus regional keys this isolate has seen. */
async function collect(c: Context<AppEnv>): Promise<Row[]> {
  const { config } = c.get("loaded");
  const deps = c.get("deps");
  if (!c.env.PROVIDER_HEALTH) throw new ApiError(503, "api_error", "breakers_off", "No PROVIDER_HEALTH Durable Object binding: breakers are off.");
  const now = deps.clock.now();
  const rows: Row[] = [];
  for (const provider of config.providers) {
    const keys = new Set([breakerKey(config, provider.id, {})]);
    for (const k of deps.breakerView.keys()) if (k.startsWith(`${provider.id}@`)) keys.add(k);
    for (const key of keys) {
      const settings = settingsFor(config, { provider, model: provider.models[0]! });
      try {
        // Bounded like every other call to the object: a hung one must not hang the scrape or /status with it.
        const snapshot = await withTimeout(healthStub(c.env, key).snapshot(key, settings, now), config.resilience.doTimeoutMs, deps.clock);
        deps.breakerView.put(snapshot, now);
        rows.push({ provider, key, snapshot });
      } catch (err) {
        const last = deps.breakerView.get(key);
        rows.push({ provider, key, ...(last ? { snapshot: last } : {}), error: `health store unreachable: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }
  return rows;
}

/**
 * The name of the provider's `apiKeySecret` when that secret is not set: every call to it fails as `misconfigured`
 * without reaching the vendor, and its breaker stays CLOSED (an operator's mistake is not a provider fault), so
 * without this /status would show the provider healthy.
 */
function missingSecret(c: Context<AppEnv>, provider: ProviderConfig): string | undefined {
  const name = provider.apiKeySecret;
  return name && !secretIn(c.env, name) ? name : undefined;
}

const iso = (ms: number | null | undefined) => (typeof ms === "number" ? new Date(ms).toISOString() : null);

export async function status(c: Context<AppEnv>): Promise<Response> {
  const rows = await collect(c);
  let faults: unknown[] = [];
  if (c.env.CHAOS) {
    try {
      faults = (await chaosStub(c.env).list(c.get("deps").clock.now())).map((f) => ({ ...f, createdAt: iso(f.createdAt), expiresAt: iso(f.expiresAt) }));
    } catch {
      faults = [];
    }
  }
  return c.json({
    generated_at: iso(c.get("deps").clock.now()),
    // Drills show here, so nobody mistakes an injected fault for an outage.
    drill_active: faults.length > 0,
    faults,
    providers: rows.map(({ provider, key, snapshot: s, error }) => ({
      provider: provider.id,
      kind: provider.kind,
      key,
      ...(missingSecret(c, provider) ? { missing_secret: missingSecret(c, provider) } : {}),
      ...(error ? { error } : {}),
      ...(s
        ? {
            state: s.state,
            // A location object's own breaker and the global one as last heard; `state` is the stricter of the two.
            ...(s.tiers ? { tiers: { local: s.tiers.local, global: s.tiers.global ? { state: s.tiers.global.state, heard_at: iso(s.tiers.global.at) } : null } } : {}),
            since: iso(s.since),
            open_until: iso(s.openUntil),
            trips: s.trips,
            open_count: Object.entries(s.transitions).filter(([edge]) => edge.endsWith("->OPEN")).reduce((a, [, n]) => a + n, 0),
            probes_in_flight: s.probesInFlight,
            last_probe: s.lastProbe ? { ...s.lastProbe, at: iso(s.lastProbe.at) } : null,
            excludable: s.excludable ?? true,
            score: Number(s.score.toFixed(4)),
            score_parts: s.scoreParts,
            health: s.health,
            window: s.window,
            models: s.models,
            transitions: s.transitions,
            requests: s.counters.requests,
            failovers: s.counters.failovers,
          }
        : {}),
    })),
    // Shadow targets' readiness as route fallbacks: route → target → summary (docs/readiness.md).
    readiness: collectReadiness(rows.map((r) => r.snapshot)),
  });
}

export async function metrics(c: Context<AppEnv>): Promise<Response> {
  const rows = await collect(c);
  const text =
    renderMetrics(rows.filter((r) => r.snapshot).map((r) => ({ provider: r.provider.id, snapshot: r.snapshot! }))) +
    renderReadinessMetrics(collectReadiness(rows.map((r) => r.snapshot))) +
    renderSecretMetrics(c) +
    renderStoreUp(rows);

  return c.text(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
}

/**
 * `detour_health_store_up{provider,key}`: 1 when this scrape read the key's ProviderHealth object, 0 when it could not.
 * Every configured provider has a series, so a provider whose object is unreachable (and whose state this isolate
 * never saw, so it has no other series) can still be alerted on.
 */
function renderStoreUp(rows: Row[]): string {
  if (!rows.length) return "";
  const lines = rows.map((r) => `detour_health_store_up{provider="${r.provider.id}",key="${r.key}"} ${r.error ? 0 : 1}`);
  return ["# HELP detour_health_store_up 1 when this scrape read the breaker key's ProviderHealth object, 0 when it did not answer (its state below is this isolate's last, or absent).", "# TYPE detour_health_store_up gauge", ...lines].join("\n") + "\n";
}

/** `detour_provider_missing_secret{provider,secret}`: 1 while a provider's apiKeySecret is unset (alert on it). */
function renderSecretMetrics(c: Context<AppEnv>): string {
  const lines = c.get("loaded").config.providers.filter((p) => p.apiKeySecret).map((p) => `detour_provider_missing_secret{provider="${p.id}",secret="${p.apiKeySecret}"} ${missingSecret(c, p) ? 1 : 0}`);
  if (!lines.length) return "";
  return ["# HELP detour_provider_missing_secret 1 while the secret named by the provider's apiKeySecret is not set: every call to it fails as misconfigured.", "# TYPE detour_provider_missing_secret gauge", ...lines].join("\n") + "\n";
}

const AdminAction = z.strictObject({ action: z.enum(["force_open", "force_closed", "disable", "reset"]), region: z.optional(z.string()) });

export async function breakerAction(c: Context<AppEnv>): Promise<Response> {
  const { config } = c.get("loaded");
  const deps = c.get("deps");
  const provider = config.providers.find((p) => p.id === c.req.param("provider"));
  if (!provider) throw new ApiError(404, "not_found_error", "provider_not_found", `No provider '${c.req.param("provider")}' in DETOUR_CONFIG.`, "provider");
  const body = await readJsonBody(c.req.raw, c.get("loaded").config.limits.maxBodyBytes, 'Send JSON: {"action": "force_open" | "force_closed" | "disable" | "reset"}.');
  const parsed = AdminAction.safeParse(body);
  if (!parsed.success) throw badRequest(`action must be one of force_open, force_closed, disable, reset (${parsed.error.issues[0]!.message}).`, "action");
  if (parsed.data.region !== undefined) {
    const problem = regionProblem(config, parsed.data.region);
    if (problem) throw badRequest(problem, "region");
  }
  if (!c.env.PROVIDER_HEALTH) throw new ApiError(503, "api_error", "breakers_off", "No PROVIDER_HEALTH Durable Object binding: breakers are off.");
  const key = parsed.data.region ? `${provider.id}@${parsed.data.region}` : breakerKey(config, provider.id, {});
  const now = deps.clock.now();
  const snapshot = await healthStub(c.env, key).operate(key, parsed.data.action, settingsFor(config, { provider, model: provider.models[0]! }), now);
  deps.breakerView.put(snapshot, now);
  deps.log.info("breaker action", { request_id: c.get("requestId"), key, action: parsed.data.action, state: snapshot.state });
  return c.json({ provider: provider.id, key, action: parsed.data.action, state: snapshot.state, since: iso(snapshot.since) });
}
