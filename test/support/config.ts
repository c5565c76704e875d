/** Configs shared by tests. */

/** The embedded default's shape, with zero latency so tests through the real entrypoint never wait. */
export const INSTANT_SIMULATED_CONFIG = {
  providers: [
    { id: "swift", kind: "simulated", simulated: { voice: "swift" }, models: [{ id: "swift-mini", contextWindow: 16384, tools: true, json: true }] },
    { id: "ember", kind: "simulated", simulated: { voice: "ember" }, models: [{ id: "ember-medium", json: true }] },
    { id: "sage", kind: "simulated", simulated: { voice: "sage" }, models: [{ id: "sage-large", contextWindow: 200000, tools: true, json: true, vision: true }] },
  ],
  routes: {
    auto: { targets: ["swift/swift-mini", "ember/ember-medium", "sage/sage-large"] },
  },
};

/**
 * Three real-vendor providers on the fake internet (test/fakes/vendors.ts). Routing is neutralised for the test key's
 * tier (no health threshold, no hedging, no shedding) so these tests see the engine, breakers and cache alone;
 * test/workers/routing.test.ts exercises the routing policy itself.
 */
export const VENDOR_CONFIG = {
  routing: {
    tiers: {
      premium: { minHealth: 0, hedge: false, shed: false },
      standard: { minHealth: 0, hedge: false, shed: false },
      free: { minHealth: 0, hedge: false, shed: false },
    },
  },
  providers: [
    { id: "alpha", kind: "openai", baseUrl: "https://openai.test/v1", apiKeySecret: "ALPHA_KEY", models: [{ id: "gpt-4o-mini", contextWindow: 128000, tools: true, json: true }] },
    { id: "beta", kind: "anthropic", baseUrl: "https://anthropic.test", apiKeySecret: "BETA_KEY", models: [{ id: "claude-3-5-haiku-latest", contextWindow: 200000, tools: true }] },
    { id: "gamma", kind: "gemini", baseUrl: "https://gemini.test/v1beta", apiKeySecret: "GAMMA_KEY", models: [{ id: "gemini-2.0-flash", contextWindow: 1000000, tools: true, json: true }] },
  ],
  routes: {
    auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest", "gamma/gemini-2.0-flash"], retry: { maxRetries: 1, baseDelayMs: 100 } },
    anthropic: { targets: ["beta/claude-3-5-haiku-latest", "alpha/gpt-4o-mini"] },
    gemini: { targets: ["gamma/gemini-2.0-flash", "alpha/gpt-4o-mini"] },
  },
};

/** VENDOR_CONFIG's providers with prices, for tests whose callers have a spend cap (the free tier does). */
export const PRICED_PROVIDERS = VENDOR_CONFIG.providers.map((p, i) => ({
  ...p,
  models: p.models.map((m) => ({ ...m, price: { input: [0.15, 0.8, 0.1][i]!, output: [0.6, 4, 0.4][i]! } })),
}));

export const SECRETS = {
  ALPHA_KEY: "sk-alpha-secret-0123456789",
  BETA_KEY: "sk-ant-beta-secret-0123456789",
  GAMMA_KEY: "AIzaGammaSecret0123456789",
};

export const CALLER_KEYS = {
  "dtr_premium_key_0000000001": { tenant: "acme", tier: "premium" },
  "dtr_free_key_000000000002": { tenant: "hobby", tier: "free" },
};
