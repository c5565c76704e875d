// The Detour a drill runs: three providers on the mock vendors, one route over them, and which providers a fault hits.
import { isObj } from "./common.mjs";

/** alpha → beta → gamma, one per vendor wire format; `secret` names the binding that holds its (fake) key. */
export const PROVIDERS = [
  { id: "alpha", kind: "openai", model: "gpt-4o-mini", price: { input: 0.15, output: 0.6 }, secret: "MOCK_OPENAI_KEY" },
  { id: "beta", kind: "anthropic", model: "claude-3-5-haiku-latest", price: { input: 0.8, output: 4 }, secret: "MOCK_ANTHROPIC_KEY" },
  { id: "gamma", kind: "gemini", model: "gemini-1.5-pro", price: { input: 1.25, output: 5 }, secret: "MOCK_GEMINI_KEY" },
];
// Prices rise along the route, so a cheapest-first routing strategy and the route's own order agree: alpha is the
// primary for every task class the drill sends.
/** The tiers a scenario's tenant may have. */
export const TIERS = ["premium", "standard", "free"];
/** The categories the classification requests expect (the rules rung's labels plus its fallback). */
export const LABELS = ["billing", "technical", "account", "other"];
/** Which mock vendor serves each provider kind. */
export const VENDOR_OF_KIND = { openai: "openai", anthropic: "anthropic", gemini: "gemini" };

/**
 * The drill's DETOUR_CONFIG before a scenario's own `config` is merged in. `production`: without the drill's short
 * route timeouts, retry delays and fast breaker, health window and report flush — Detour's own defaults, for scenarios
 * that judge what a user of the defaults gets (a hang must be detected without waiting for a timeout).
 */
export function baseConfig(mockUrl, { production = false } = {}) {
  const config = drillConfig(mockUrl);
  if (!production) return config;
  const { retry, timeouts, ...route } = config.routes.auto;
  return { ...config, routes: { auto: { ...route, description: "drill route on Detour's default timeouts and retries: alpha, failing over to beta then gamma" } }, resilience: undefined };
}

function drillConfig(mockUrl) {
  const baseUrl = { openai: `${mockUrl}/openai/v1`, anthropic: `${mockUrl}/anthropic`, gemini: `${mockUrl}/gemini/v1beta` };
  return {
    providers: PROVIDERS.map((p) => ({
      id: p.id,
      kind: p.kind,
      baseUrl: baseUrl[p.kind],
      apiKeySecret: p.secret,
      models: [{ id: p.model, contextWindow: 128_000, maxOutputTokens: 4096, tools: true, json: true, price: p.price }],
    })),
    routes: {
      auto: {
        description: "drill route: alpha, failing over to beta then gamma",
        targets: PROVIDERS.map((p) => `${p.id}/${p.model}`),
        // Short enough that a hang or a stall shows up within a drill's phase, long enough for a loaded 2-core box.
        retry: { maxRetries: 1, baseDelayMs: 50, maxDelayMs: 400, retryAfterCapMs: 2000 },
        timeouts: { firstByteMs: 2500, stallMs: 1500, deadlineMs: 15_000 },
      },
    },
    degrade: {
      rules: {
        labels: [
          { name: "billing", keywords: ["charged", "refund", "invoice", "billing", "payment", "subscription"] },
          { name: "technical", keywords: ["crash", "crashes", "freezes", "slow", "broken", "update", "sync"] },
          { name: "account", keywords: ["password", "login", "account", "username", "two-factor"] },
        ],
        fallbackLabel: "other",
      },
      retryAfterSeconds: 5,
    },
    resilience: {
      // Fast enough to trip, probe and close within a drill's phases.
      breaker: { consecutiveFailures: 3, minimumCalls: 5, failureRateThreshold: 0.5, openMs: 2000, maxOpenMs: 4000, probes: 1, probeSuccesses: 1, probeTimeoutMs: 5000 },
      // A 5 s health window (production: 15 min), so a provider's score recovers within a drill's recovery phase.
      health: { bucketMs: 1000, buckets: 5 },
      reportFlushMs: 200,
      snapshotTtlMs: 250,
    },
  };
}

/** The scenario's tenants; one premium (or `tier`) tenant named "drill" when it declares none. */
export const tenantsOf = (scenario) => (scenario.tenants?.length ? scenario.tenants : [{ name: "drill", tier: scenario.tier ?? "premium", share: 1 }]);

/** DETOUR_API_KEYS for the scenario, one gateway key per tenant (`suffix` keeps them unguessable), and the headers each tenant sends. */
export function tenantKeys(scenario, suffix) {
  const tenants = tenantsOf(scenario);
  const keyOf = Object.fromEntries(tenants.map((t) => [t.name, `drill-key-${t.name}-${suffix}`]));
  return {
    apiKeys: Object.fromEntries(tenants.map((t) => [keyOf[t.name], { tenant: t.name, tier: t.tier ?? "premium" }])),
    // A request with no tenant (single-tenant scenarios, the warm-up) goes as the first tenant with the normal mix.
    auth: (name) => ({ authorization: `Bearer ${keyOf[name ?? (tenants.find((t) => !t.requests || t.requests === "normal") ?? tenants[0]).name]}` }),
  };
}

/** Objects merge key by key; anything else (arrays included) replaces. */
export function deepMerge(a, b) {
  if (!isObj(a) || !isObj(b)) return b === undefined ? a : b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

/** Provider ids a phase's faults hit: network faults by vendor (every provider of that kind), Detour faults by id. */
export function faultedProviders(faults) {
  const out = new Set();
  for (const f of faults ?? []) {
    for (const p of PROVIDERS) {
      if (f.where === "network" && (f.vendor === "*" || VENDOR_OF_KIND[p.kind] === f.vendor)) out.add(p.id);
      if (f.where === "detour" && (f.provider === "*" || f.provider === p.id)) out.add(p.id);
    }
  }
  return PROVIDERS.map((p) => p.id).filter((id) => out.has(id));
}
