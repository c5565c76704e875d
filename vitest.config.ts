import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { INSTANT_SIMULATED_CONFIG } from "./test/support/config";

/**
 * Two projects, so the pure core tests fast and the platform is tested for real: `unit` runs the pure core in Node;
 * `workers` runs the real worker in workerd through @cloudflare/vitest-pool-workers, with vendors faked in-isolate at
 * the provider-fetch edge.
 */
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // The embedded default's providers with zero latency, so entrypoint tests never wait on timers.
              // PROBE_TEST_KEY: a vendor key the breaker objects can read, for their active probes in tests.
              // DETOUR_API_KEYS, DETOUR_ADMIN_TOKEN empty (= unset): the pool reads the developer's .dev.vars, where
              // README "Operations" puts an admin token, and tests must see the same env on every machine.
              bindings: {
                DETOUR_CONFIG: JSON.stringify(INSTANT_SIMULATED_CONFIG),
                PROBE_TEST_KEY: "sk-probe-test-0123456789",
                DETOUR_API_KEYS: "",
                DETOUR_ADMIN_TOKEN: "",
              },
              // Tests never reach the internet: a fetch no test replaced (a breaker object's active probe, say) gets a 503.
              outboundService: () => new Response("tests never reach the internet", { status: 503 }),
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts", "test/clients/**/*.test.ts"],
        },
      },
    ],
  },
});
