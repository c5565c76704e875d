/**
 * The dashboard through the real worker and ProviderHealth objects: the page is served with a strict CSP and no data;
 * its history endpoint needs the admin token and shows each minute's traffic, each route's share by mode and the
 * timeline of breaker transitions and operator actions.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  resilience: { breaker: { consecutiveFailures: 3, openMs: 10_000, openJitter: 0 }, probe: { enabled: false } },
};

describe("GET /dashboard", () => {
  it("serves the page, its script and style, with a CSP that allows only this origin, and no data in them", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const page = await h.call("/dashboard", { headers: {} });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.text).toContain('type="password"');
    expect(page.text).not.toContain(ADMIN);
    const js = await h.call("/dashboard/app.js", { headers: {} });
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.text).toContain("sessionStorage");
    // The token travels only as a header: the script never puts it in a URL.
    expect(js.text).not.toMatch(/[?&]token=/);
  });

  it("history needs the admin token once one is set", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    expect((await h.call("/dashboard/history", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  });

  it("history shows this minute's traffic per provider and route, the failover share, and the timeline", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "from alpha" });
    h.vendors.always("anthropic.test", { text: "from beta" });
    for (let i = 0; i < 3; i++) await h.chat({});
    const forced = await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "force_open" }, headers: admin });
    expect(forced.json.state).toBe("FORCED_OPEN");
    for (let i = 0; i < 2; i++) expect((await h.chat({})).headers.get("x-detour-mode")).toBe("failover");
    const r = await h.call("/dashboard/history?minutes=15", { headers: admin });
    expect(r.status).toBe(200);
    const alpha = r.json.providers.find((p: any) => p.key === "alpha");
    expect(alpha.points.reduce((a: number, p: any) => a + p.calls, 0)).toBe(3);
    const auto = r.json.routes.find((x: any) => x.route === "auto");
    const modes = auto.points.reduce((a: any, p: any) => ({ primary: a.primary + p.modes.primary, failover: a.failover + p.modes.failover }), { primary: 0, failover: 0 });
    expect(modes).toEqual({ primary: 3, failover: 2 });
    expect(auto.mode).toBe("degraded");
    expect(r.json.events[0]).toMatchObject({ kind: "operator", key: "alpha", from: "CLOSED", to: "FORCED_OPEN", what: "force_open" });
  });

  it("keeps the minutes in the object: a later minute closes the earlier one, and both are served", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "ok" });
    await h.chat({});
    await h.clock.advance(60_000);
    await h.chat({});
    await h.chat({});
    const r = await h.call("/dashboard/history", { headers: admin });
    const calls = r.json.providers.find((p: any) => p.key === "alpha").points.map((p: any) => p.calls);
    expect(calls).toEqual([1, 2]);
  });

  it("puts drills on the timeline: started (and when it will expire), stopped", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const added = await h.call("/admin/faults", { method: "POST", json: { provider: "alpha", kind: "status", status: 503, rate: 1, ttlSeconds: 300 }, headers: admin });
    expect(added.status).toBe(201);
    await h.clock.advance(5000);
    await h.call(`/admin/faults/${added.json.fault.id}`, { method: "DELETE", headers: admin });
    const events = (await h.call("/dashboard/history", { headers: admin })).json.events.filter((e: any) => e.kind === "drill");
    // Newest first; the planned expiry is not shown before its time.
    expect(events.map((e: any) => [e.key, e.what])).toEqual([["alpha", "stopped"], ["alpha", "started"]]);
    expect(events[1].detail).toContain("status 100%");
  });
});
