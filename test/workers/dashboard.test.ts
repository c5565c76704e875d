/**
 * The dashboard through the real worker and ProviderHealth objects: the page, its script and style are Workers static
 * assets (public/, wrangler.toml [assets]) that the worker serves through the ASSETS binding on the dashboard's paths
 * only (run_worker_first), with a strict CSP, no data, a request id and OpenAI-shaped errors for a wrong method; its
 * history endpoint needs the admin token and shows each minute's traffic, each route's share by mode and the timeline
 * of breaker transitions and operator actions.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { edgeFetch } from "../support/edge";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  resilience: { breaker: { consecutiveFailures: 3, openMs: 10_000, openJitter: 0 }, probe: { enabled: false } },
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FILES = [["/dashboard", "text/html"], ["/dashboard/app.js", "javascript"], ["/dashboard/app.css", "text/css"]] as const;

/** The page's own headers (public/_headers), which every file answer carries and no other answer does. */
function expectPageHeaders(res: Response, path: string) {
  expect(res.headers.get("content-security-policy"), path).toBe(CSP);
  expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
  expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
  expect(res.headers.get("cache-control"), path).toBe("no-store");
}

describe("GET /dashboard: the worker serves the page's static assets", () => {
  it("serves the page, its script and style with a request id and a CSP that allows only this origin, nosniff, no referrer, no caching", async () => {
    for (const [path, type] of FILES) {
      const res = await edgeFetch(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      expectPageHeaders(res, path);
      expect(res.headers.get("x-request-id"), path).toMatch(/^[0-9a-f-]{36}$/);
      expect((await res.text()).length, path).toBeGreaterThan(100);
    }
    // Like every Detour answer, a safe request id from the caller is kept.
    const traced = await edgeFetch("/dashboard", { headers: { "x-request-id": "op-trace-1" } });
    expect(traced.headers.get("x-request-id")).toBe("op-trace-1");
    await traced.body?.cancel();
  });

  it("the page asks for the token in a password field; the script keeps it in sessionStorage and never in a URL", async () => {
    const page = await (await edgeFetch("/dashboard")).text();
    expect(page).toContain('type="password"');
    expect(page).toContain('<script src="/dashboard/app.js" defer></script>');
    expect(page).toContain('<link rel="stylesheet" href="/dashboard/app.css">');
    const js = await (await edgeFetch("/dashboard/app.js")).text();
    expect(js).toContain("sessionStorage");
    expect(js).toMatch(/headers\.set\("authorization", "Bearer " \+ token\)/);
    expect(js).not.toMatch(/[?&]token=/);
  });

  it("HEAD answers each file's headers, request id included, without a body", async () => {
    for (const [path, type] of FILES) {
      const res = await edgeFetch(path, { method: "HEAD" });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      expectPageHeaders(res, path);
      expect(res.headers.get("x-request-id"), path).toBeTruthy();
      expect(await res.text(), path).toBe("");
    }
  });

  it("refuses any other method on the page's paths with 405 in OpenAI's error shape and `allow: GET, HEAD`", async () => {
    for (const path of ["/dashboard", "/dashboard/app.js", "/dashboard/app.css", "/dashboard/", "/dashboard.html"]) {
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
        // One with a JSON body, as a confused client would send (the pool logs an "uncaught exception" for each body a
        // worker leaves unread, as it already did for POST /nope).
        const withBody = method === "POST" && path === "/dashboard";
        const res = await edgeFetch(path, { method, ...(withBody ? { body: "{}", headers: { "content-type": "application/json" } } : {}) });
        const what = `${method} ${path}`;
        expect(res.status, what).toBe(405);
        expect(res.headers.get("allow"), what).toBe("GET, HEAD");
        expect(res.headers.get("content-type"), what).toContain("application/json");
        expect(res.headers.get("x-request-id"), what).toBeTruthy();
        const body = await res.json<any>();
        expect(body, what).toEqual({
          error: { message: `${method} is not allowed on ${path}: the dashboard's files answer GET and HEAD only.`, type: "invalid_request_error", param: null, code: "method_not_allowed" },
        });
      }
    }
  });

  it("/dashboard/ and /dashboard.html redirect (307) to /dashboard, with a request id", async () => {
    for (const path of ["/dashboard/", "/dashboard.html"]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await edgeFetch(path, { method });
        expect(res.status, `${method} ${path}`).toBe(307);
        expect(res.headers.get("location"), `${method} ${path}`).toBe("/dashboard");
        expect(res.headers.get("x-request-id"), `${method} ${path}`).toBeTruthy();
        await res.body?.cancel();
      }
    }
  });

  it("leaves /dashboard/history, the API and unknown paths to the worker as before, with none of the page's headers", async () => {
    // The local default (no keys, no admin token): history is open, as /status is.
    const history = await edgeFetch("/dashboard/history?minutes=1");
    expect(history.status).toBe(200);
    expect(history.headers.get("x-request-id")).toBeTruthy();
    expect(history.headers.get("content-security-policy")).toBeNull();
    expect(Array.isArray((await history.json<any>()).providers)).toBe(true);
    const models = await edgeFetch("/v1/models");
    expect(models.status).toBe(200);
    expect((await models.json<any>()).object).toBe("list");
    const unknown: [string, string][] = [["GET", "/dashboard/nope"], ["POST", "/dashboard/nope"], ["HEAD", "/dashboard/nope"], ["POST", "/dashboard/history"],
      ["GET", "/dashboard/app"], ["GET", "/dashboard.htm"], ["GET", "/nope"], ["GET", "/_headers"], ["GET", "/dashboard.js"]];
    for (const [method, path] of unknown) {
      const res = await edgeFetch(path, { method });
      const what = `${method} ${path}`;
      expect(res.status, what).toBe(404);
      expect(res.headers.get("content-security-policy"), what).toBeNull();
      expect(res.headers.get("x-request-id"), what).toBeTruthy();
      if (method === "HEAD") continue;
      expect((await res.json<any>()).error, what).toMatchObject({ type: "invalid_request_error", code: "unknown_url", message: `Unknown request URL: ${method} ${path}.` });
    }
  });

  it("the files come from the ASSETS binding, not the bundle: the worker without it (as the drills run it) answers 404", async () => {
    const withAssets = harness({ config });
    expect((await withAssets.call("/dashboard/app.css", { headers: {} })).status).toBe(200);
    const without = harness({ config, extraEnv: { ASSETS: undefined } });
    for (const path of ["/dashboard", "/dashboard/app.js", "/dashboard/app.css"]) {
      const r = await without.call(path, { headers: {} });
      expect(r.status, path).toBe(404);
      expect(r.json.error.code, path).toBe("unknown_url");
    }
  });

  it("a DETOUR_CONFIG that does not validate: the page answers the same configuration error as every path", async () => {
    const broken = harness({ config: { routes: 7 } });
    const r = await broken.call("/dashboard", { headers: {} });
    expect(r.status).toBe(500);
    expect(r.json.error).toMatchObject({ type: "configuration_error", code: "invalid_config" });
    expect(r.headers.get("x-request-id")).toBeTruthy();
  });

  it("history needs the admin token once one is set", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    expect((await h.call("/dashboard/history", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  });

  // ?minutes=abc silently answered the default 15 minutes: an operator's script asking for the wrong window never knew.
  it("history refuses a minutes value that is not a whole number from 1 to 1440, naming the parameter", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    for (const bad of ["abc", "0", "1441", "2.5", "-3", ""]) {
      const r = await h.call(`/dashboard/history?minutes=${bad}`, { headers: admin });
      expect(r.status, bad).toBe(400);
      expect(r.json.error, bad).toMatchObject({ type: "invalid_request_error", param: "minutes" });
    }
    expect((await h.call("/dashboard/history?minutes=1440", { headers: admin })).status).toBe(200);
    expect((await h.call("/dashboard/history", { headers: admin })).status).toBe(200);
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
