/**
 * GET /v1/status through the real worker and ProviderHealth objects: the feed an app shows its users — normal,
 * degraded (with the banner and what still works), down, and nothing of another tenant or of the providers' secrets.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const A = "dtr_tenant_a_key_00000001";
const B = "dtr_tenant_b_key_00000002";
const config = {
  ...VENDOR_CONFIG,
  routes: {
    auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } },
    // One target and no rung but the honest error: nothing can stand in when alpha is out.
    solo: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 }, degrade: { ladder: ["error"] } },
    // Classification only: keyword rules still answer when its one provider is out.
    labels: { targets: ["alpha/gpt-4o-mini"], taskClass: "classification", retry: { maxRetries: 0 } },
  },
  resilience: { breaker: { consecutiveFailures: 3, openMs: 10_000, openJitter: 0 }, reportFlushMs: 0, probe: { enabled: false } },
};
const setup = () => harness({ config, keys: { [A]: { tenant: "tenant-a", tier: "standard" }, [B]: { tenant: "tenant-b", tier: "premium" } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
const routeOf = (r: { json: any }, name: string) => r.json.routes.find((x: any) => x.route === name);

/** Three 503s from alpha on the auto route (beta answers them): alpha's breaker opens for 10 s. */
async function tripAlpha(h: ReturnType<typeof setup>) {
  h.vendors.always("openai.test", { status: 503 });
  h.vendors.always("anthropic.test", { text: "from beta" });
  for (let i = 0; i < 3; i++) await h.chat({}, { authorization: `Bearer ${A}` });
}

describe("GET /v1/status", () => {
  it("needs a gateway key", async () => {
    const h = setup();
    const r = await h.call("/v1/status", { headers: { authorization: "Bearer nope" } });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_api_key");
  });

  it("normal: every route answers live, no banner, no ETA", async () => {
    const h = setup();
    const r = await h.call("/v1/status", as(A));
    expect(r.status).toBe(200);
    expect(r.json.mode).toBe("normal");
    expect(r.json.routes.map((x: any) => [x.route, x.mode])).toEqual([["auto", "normal"], ["solo", "normal"], ["labels", "normal"]]);
    expect(routeOf(r, "auto")).toMatchObject({ banner: null, eta: null, still_works: [] });
    expect(routeOf(r, "auto").working_task_classes).toContain("code");
  });

  it("degraded: the primary's breaker is open, the banner says so, the ETA is its next probe", async () => {
    const h = setup();
    await tripAlpha(h);
    const r = await h.call("/v1/status", as(A));
    const auto = routeOf(r, "auto");
    expect(auto.mode).toBe("degraded");
    expect(auto.banner).toBe("Showing a shorter answer while our AI provider is recovering from errors.");
    expect(auto.still_works).toContain("answers from a backup model");
    expect(auto.working_task_classes).toHaveLength(7);
    expect(auto.eta_seconds).toBe(10);
    expect(Date.parse(auto.eta) - h.clock.now()).toBe(10_000);
    // A route whose only provider is out but whose rules can still label: degraded for classification only.
    const labels = routeOf(r, "labels");
    expect(labels.mode).toBe("degraded");
    expect(labels.working_task_classes).toEqual(["classification"]);
    expect(labels.still_works).toContain("classification and extraction by keyword rules");
    expect(r.json.mode).toBe("down");
    // The ETA counts down on the clock, and the feed returns to normal once the breaker lets traffic through again.
    await h.clock.advance(4000);
    expect(routeOf(await h.call("/v1/status", as(A)), "auto").eta_seconds).toBe(6);
  });

  it("down: nothing on the route can answer; the banner is the honest error's, and an operator's outage has no ETA", async () => {
    const h = setup();
    await tripAlpha(h);
    const solo = routeOf(await h.call("/v1/status", as(A)), "solo");
    expect(solo).toMatchObject({ mode: "down", working_task_classes: [], eta_seconds: 10 });
    expect(solo.banner).toBe("We can't answer right now because our AI provider is recovering from errors. Please try again shortly.");
    const forced = await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "disable" }, headers: { authorization: `Bearer ${ADMIN}` } });
    expect(forced.json.state).toBe("DISABLED");
    const after = routeOf(await h.call("/v1/status", as(A)), "solo");
    expect(after).toMatchObject({ mode: "down", eta: null, eta_seconds: null });
    expect(after.banner).toMatch(/because our AI provider is unavailable/);
  });

  it("is tenant-safe: every tenant sees the same route states and nothing of other tenants, providers or secrets", async () => {
    const h = setup();
    await tripAlpha(h);
    const a = await h.call("/v1/status", as(A));
    const b = await h.call("/v1/status", as(B));
    expect(b.json.routes).toEqual(a.json.routes);
    for (const r of [a, b]) {
      for (const secret of ["tenant-a", "tenant-b", A, B, "alpha", "beta", "ALPHA_KEY", "openai.test", ADMIN, "sk-"]) expect(r.text).not.toContain(secret);
      // No traffic figures: one tenant's volume is not another's business.
      expect(r.text).not.toMatch(/"(requests|calls|failovers|counters)"/);
    }
  });
});
