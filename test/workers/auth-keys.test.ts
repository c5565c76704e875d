import { describe, expect, it } from "vitest";
import { harness } from "../support/harness";

/** 2,000 tenants' gateway keys, as a multi-tenant DETOUR_API_KEYS holds them. */
function manyKeys(n: number, prefix = "dtr_tenant_key_") {
  const keys: Record<string, { tenant: string; tier: string }> = {};
  for (let i = 0; i < n; i++) keys[`${prefix}${String(i).padStart(8, "0")}`] = { tenant: `tenant-${i}`, tier: i % 2 ? "standard" : "premium" };
  return keys;
}

describe("caller authentication with many configured keys", () => {
  const keys = manyKeys(2000);

  it("serves each tenant by its own key, tagged with that tenant", async () => {
    const h = harness({ keys });
    for (const i of [0, 1337, 1999]) {
      h.vendors.script("openai.test", { text: `hello ${i}` });
      const r = await h.chat({}, { authorization: `Bearer dtr_tenant_key_${String(i).padStart(8, "0")}` });
      expect(r.status).toBe(200);
      expect(h.logs.at(-1)!.tenant).toBe(`tenant-${i}`);
    }
  });

  it("refuses a wrong key and a missing key without calling a vendor", async () => {
    const h = harness({ keys });
    const wrong = await h.chat({}, { authorization: "Bearer dtr_tenant_key_00002000" });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe("invalid_api_key");
    const missing = await h.call("/v1/chat/completions", { method: "POST", json: { model: "auto", messages: [] }, headers: { authorization: "" } });
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe("missing_api_key");
    expect(h.vendors.calls).toHaveLength(0);
  });

  it("follows a rotated DETOUR_API_KEYS: the removed key stops working, the new one works", async () => {
    const before = harness({ keys: manyKeys(50) });
    before.vendors.script("openai.test", { text: "ok" });
    expect((await before.chat({}, { authorization: "Bearer dtr_tenant_key_00000007" })).status).toBe(200);
    const after = harness({ keys: manyKeys(50, "dtr_rotated_key_") });
    expect((await after.chat({}, { authorization: "Bearer dtr_tenant_key_00000007" })).status).toBe(401);
    after.vendors.script("openai.test", { text: "ok" });
    const r = await after.chat({}, { "x-api-key": "dtr_rotated_key_00000007", authorization: "" });
    expect(r.status).toBe(200);
    expect(after.logs.at(-1)!.tenant).toBe("tenant-7");
  });
});
