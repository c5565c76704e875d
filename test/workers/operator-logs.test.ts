/**
 * What an operator reads in `wrangler tail`: every admin action leaves a request line (an audit trail of who purged,
 * deleted a template or cleared a drill, by request id), a broken DETOUR_CONFIG's line says what is wrong, and no
 * line ever carries a secret, a gateway key or the admin token.
 */
import { describe, expect, it } from "vitest";
import { SECRETS, VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };

describe("admin actions are logged", () => {
  it("a successful admin request writes one request line with its path and status", async () => {
    const h = harness({ extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    expect((await h.call("/admin/templates/auto/chat", { method: "PUT", headers: admin, json: { text: "We are back soon." } })).status).toBe(200);
    expect((await h.call("/admin/templates/auto/chat", { method: "DELETE", headers: admin })).status).toBe(200);
    expect((await h.call("/admin/cache?tenant=acme", { method: "DELETE", headers: admin })).status).toBe(200);
    expect((await h.call("/admin/faults", { method: "DELETE", headers: admin })).status).toBe(200);
    const lines = h.logs.map((l) => `${l.method} ${l.path} ${l.status}`);
    expect(lines).toEqual([
      "PUT /admin/templates/auto/chat 200",
      "DELETE /admin/templates/auto/chat 200",
      "DELETE /admin/cache 200",
      "DELETE /admin/faults 200",
    ]);
    expect(h.logs.every((l) => typeof l.request_id === "string" && typeof l.ms === "number")).toBe(true);
  });

  it("a cache purge's audit line says whose answers went, and how many", async () => {
    const h = harness({ extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    expect((await h.call("/admin/cache?tenant=acme&intent=faq:refunds", { method: "DELETE", headers: admin })).status).toBe(200);
    const line = h.logLines.map((l) => JSON.parse(l)).find((l) => l.msg === "cache purge");
    expect(line).toMatchObject({ purged_tenant: "acme", intent: "faq:refunds", removed_keys: 0, done: true });
    expect(typeof line.request_id).toBe("string");
  });

  it("a refused admin request is logged once, not twice", async () => {
    const h = harness({ extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    expect((await h.call("/admin/templates/nope/chat", { method: "PUT", headers: admin, json: { text: "x" } })).status).toBe(404);
    expect(h.logs.map((l) => `${l.path} ${l.status} ${l.error_code}`)).toEqual(["/admin/templates/nope/chat 404 route_not_found"]);
  });
});

describe("a broken DETOUR_CONFIG in the log", () => {
  it("the request line names every issue with its path, so `wrangler tail` says what to fix", async () => {
    const broken = { ...VENDOR_CONFIG, routes: { auto: { targets: ["delta/gpt-4o"], timeouts: { firstByteMs: -5 } } } };
    const h = harness({ config: broken, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const r = await h.chat({});
    expect(r.status).toBe(500);
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({ status: 500, error_code: "invalid_config" });
    const issues = (h.logs[0] as unknown as { issues: string[] }).issues;
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringContaining("routes.auto.targets[0]: unknown provider 'delta'"),
      expect.stringContaining("routes.auto.timeouts.firstByteMs"),
    ]));
  });
});

describe("no secret in any log line", () => {
  it("vendor keys, gateway keys and the admin token never appear, on success or error", async () => {
    const h = harness({ extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "fine" });
    await h.chat({});
    await h.call("/admin/breakers/alpha", { method: "POST", headers: admin, json: { action: "force_open" } });
    await h.call("/admin/breakers/alpha", { method: "POST", headers: { authorization: `Bearer ${ADMIN}x` }, json: { action: "reset" } });
    await h.call("/v1/chat/completions", { headers: { authorization: `Bearer ${PREMIUM}zz` }, json: { model: "auto", messages: [{ role: "user", content: "hi" }] } });
    const all = h.logLines.join("\n");
    expect(h.logLines.length).toBeGreaterThanOrEqual(4);
    for (const secret of [...Object.values(SECRETS), PREMIUM, ADMIN]) expect(all).not.toContain(secret);
  });
});
