/** Chaos faults through the worker: admin API, every fault kind's effect on the layers above, expiry, auth. */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };
const config = { ...VENDOR_CONFIG, routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } }, defaults: { timeouts: { firstByteMs: 2000, stallMs: 1000 } } };
const setup = () => {
  const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.vendors.always("openai.test", { text: "alpha answers fine", chunks: 4 });
  h.vendors.always("anthropic.test", { text: "beta answers" });
  return h;
};
const setFault = (h: ReturnType<typeof setup>, fault: Record<string, unknown>) =>
  h.call("/admin/faults", { method: "POST", headers: admin, json: { provider: "alpha", ttlSeconds: 60, ...fault } });
const trace = { "x-detour-trace": "1" };

describe("fault admin API", () => {
  it("sets, lists, shows in /status, and clears faults", async () => {
    const h = setup();
    const set = await setFault(h, { kind: "status", status: 503, note: "game day" });
    expect(set.status).toBe(201);
    const id = set.json.fault.id;
    expect((await h.call("/admin/faults", { headers: admin })).json.faults.map((f: any) => f.id)).toEqual([id]);
    const status = (await h.call("/status", { headers: admin })).json;
    expect(status.drill_active).toBe(true);
    expect(status.faults[0]).toMatchObject({ id, kind: "status", note: "game day" });
    expect((await h.call(`/admin/faults/${id}`, { method: "DELETE", headers: admin })).json.deleted).toBe(true);
    expect((await h.call("/admin/faults", { headers: admin })).json.faults).toEqual([]);
    await setFault(h, { kind: "outage" });
    expect((await h.call("/admin/faults", { method: "DELETE", headers: admin })).json.cleared).toBe(1);
  });

  it.each([
    ["no token", { authorization: "" }],
    ["a gateway key", { authorization: "Bearer dtr_premium_key_0000000001" }],
  ])("refuses %s: a caller never sets a fault", async (_n, headers) => {
    const h = setup();
    const r = await h.call("/admin/faults", { method: "POST", headers, json: { provider: "alpha", kind: "outage", ttlSeconds: 60 } });
    expect(r.status).toBe(401);
    expect((await h.call("/admin/faults", { headers: admin })).json.faults).toEqual([]);
  });

  it("refuses bad faults with the field at fault", async () => {
    const h = setup();
    const r = await h.call("/admin/faults", { method: "POST", headers: admin, json: { provider: "alpha", kind: "outage" } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain("ttlSeconds");
    expect((await setFault(h, { provider: "ghost", kind: "outage" })).status).toBe(404);
  });

  it("refuses a fault scoped to a route that does not exist, instead of a drill that silently never fires", async () => {
    const h = setup();
    const r = await setFault(h, { kind: "status", status: 503, route: "autp" });
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: "route_not_found", param: "route" });
    expect(r.json.error.message).toContain("autp");
    expect((await h.call("/admin/faults", { headers: admin })).json.faults).toEqual([]);
    // a configured route, or a concrete provider/model (what a caller may send as `model`), is accepted
    expect((await setFault(h, { kind: "status", status: 503, route: "auto" })).status).toBe(201);
    expect((await setFault(h, { kind: "status", status: 503, route: "alpha/gpt-4o-mini" })).status).toBe(201);
    expect((await h.chat({})).headers.get("x-detour-provider")).toBe("beta");
  });

  it("a fault expires by itself", async () => {
    const h = setup();
    await setFault(h, { kind: "status", status: 500, ttlSeconds: 5 });
    expect((await h.chat({})).headers.get("x-detour-provider")).toBe("beta");
    await h.clock.advance(6000);
    expect((await h.chat({})).headers.get("x-detour-provider")).toBe("alpha");
  });
});

describe("each fault is an ordinary failure to the layers above", () => {
  it.each([
    [{ kind: "outage" }, "network"],
    [{ kind: "status", status: 503 }, "server_error"],
    [{ kind: "status", status: 429, retryAfterSeconds: 60 }, "rate_limited"],
    [{ kind: "quota" }, "rate_limited"],
    [{ kind: "hang" }, "timeout"],
    [{ kind: "slow_ttfb", latencyMs: 5000 }, "timeout"],
    [{ kind: "malformed" }, "malformed"],
  ])("%j → %s, and the request fails over", async (fault, errorClass) => {
    const h = setup();
    await setFault(h, fault);
    const r = await h.chat({}, { ...trace, "x-detour-admin-token": ADMIN });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-provider")).toBe("beta");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: errorClass });
    expect(r.json.detour.notes.join(" ")).toContain(`chaos: ${fault.kind} injected on alpha`);
    // A tenant's own trace shows the ordinary failure, never the drill or its fault id.
    const tenant = await h.chat({}, trace);
    expect(tenant.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: errorClass });
    expect(JSON.stringify(tenant.json.detour.notes ?? [])).not.toMatch(/chaos|fault/);
  });

  it("latency below the timeout only slows the answer", async () => {
    const h = setup();
    await setFault(h, { kind: "latency", latencyMs: 700 });
    const t0 = h.clock.now();
    const r = await h.chat({});
    expect(r.headers.get("x-detour-provider")).toBe("alpha");
    expect(h.clock.now() - t0).toBeGreaterThanOrEqual(700);
  });

  it("a stream cut after the first byte ends with an explicit error, never silently", async () => {
    const h = setup();
    await setFault(h, { kind: "stream_cut", afterEvents: 3 });
    const r = await h.chat({ stream: true });
    expect(r.events.at(-1).error.code).toBe("upstream_stream_cut");
    expect(r.events).not.toContain("[DONE]");
  });

  it("a stream stall after the first byte ends with an explicit stall error", async () => {
    const h = setup();
    await setFault(h, { kind: "stream_stall", afterEvents: 3 });
    const r = await h.chat({ stream: true });
    expect(r.events.at(-1).error.code).toBe("upstream_stall");
  });

  it("a refusal comes back as content_filter", async () => {
    const h = setup();
    await setFault(h, { kind: "refusal" });
    const r = await h.chat({});
    expect(r.json.choices[0].finish_reason).toBe("content_filter");
  });

  it("a model swap shows in what the vendor reports", async () => {
    const h = setup();
    await setFault(h, { kind: "model_swap", model: "gpt-3.5-turbo-impostor" });
    const s = await h.chat({ stream: true });
    expect(streamedText(s.events)).toBe("alpha answers fine");
    const r = await h.chat({}, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-upstream-model")).toBe("gpt-3.5-turbo-impostor");
  });

  it("rate 0 never applies", async () => {
    const h = setup();
    await setFault(h, { kind: "outage", rate: 0 });
    expect((await h.chat({})).headers.get("x-detour-provider")).toBe("alpha");
  });
});

describe("x-detour-chaos (one request, admins only)", () => {
  it("injects a fault into this request only", async () => {
    const h = setup();
    const r = await h.chat({}, { "x-detour-chaos": '{"provider":"alpha","kind":"status","status":500}', "x-detour-admin-token": ADMIN });
    expect(r.headers.get("x-detour-provider")).toBe("beta");
    expect((await h.chat({})).headers.get("x-detour-provider")).toBe("alpha");
  });

  it("is refused without the admin token, and for bad JSON", async () => {
    const h = setup();
    const r = await h.chat({}, { "x-detour-chaos": '{"provider":"alpha","kind":"outage"}' });
    expect(r.status).toBe(403);
    expect(h.vendors.calls).toHaveLength(0);
    const bad = await h.chat({}, { "x-detour-chaos": "nope", "x-detour-admin-token": ADMIN });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("x-detour-chaos");
  });

  it("refuses a provider that is not configured, instead of a request that silently gets no fault", async () => {
    const h = setup();
    const r = await h.chat({}, { "x-detour-chaos": '{"provider":"alpah","kind":"outage"}', "x-detour-admin-token": ADMIN });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe("x-detour-chaos");
    expect(r.json.error.message).toContain("'alpah'");
    expect(h.vendors.calls).toHaveLength(0);
    expect((await h.chat({}, { "x-detour-chaos": '{"provider":"*","kind":"status","status":500}', "x-detour-admin-token": ADMIN })).headers.get("x-detour-mode")).toBe("degraded");
  });
});
