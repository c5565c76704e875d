/**
 * A purge of more keys than one invocation may touch (Workers: 1,000 KV operations) finishes on its own: the admin
 * request runs the first bounded step and answers 202 with a job; the CachePurge object's alarm runs the rest, one
 * bounded step per invocation, through the real KV binding in workerd. Alarms are run by hand.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { purgePrefixes } from "../../src/cache/intent-cache";
import { PURGE_KEYS_PER_ALARM, PURGE_KEYS_PER_CALL } from "../../src/cache/purge";
import { harness } from "../support/harness";
import { trackedKv } from "../support/tracked-storage";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };

/** Write `n` answers' worth of keys under the tenant's purge prefixes straight into the real KV namespace. */
async function seed(tenant: string, n: number): Promise<void> {
  const [cachePrefix, ndPrefix] = await purgePrefixes(tenant);
  const keys = Array.from({ length: n }, (_, i) => `${i % 4 === 0 ? ndPrefix : cachePrefix}${String(i).padStart(6, "0")}`);
  for (let i = 0; i < keys.length; i += 200) await Promise.all(keys.slice(i, i + 200).map((k) => env.DETOUR_KV.put(k, "{}")));
}

async function remaining(tenant: string): Promise<number> {
  let n = 0;
  for (const prefix of await purgePrefixes(tenant)) {
    let cursor: string | undefined;
    do {
      const page = await env.DETOUR_KV.list({ prefix, ...(cursor ? { cursor } : {}) });
      n += page.keys.length;
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  }
  return n;
}

/** The worker with the real KV namespace unprefixed: the job object reads the same binding, with no harness prefix. */
function purgeHarness() {
  const h = harness({ extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.env.DETOUR_KV = trackedKv(env.DETOUR_KV, h.clock, "");
  return h;
}

describe("purge jobs", () => {
  it("purges 2,200 keys through the real KV binding: first step in the request, the rest in the job's alarms", async () => {
    const tenant = `purge-${crypto.randomUUID()}`;
    const total = 2200;
    await seed(tenant, total);
    expect(await remaining(tenant)).toBe(total);
    const h = purgeHarness();

    const started = await h.call(`/admin/cache?tenant=${tenant}`, { method: "DELETE", headers: admin });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ tenant, removed_keys: PURGE_KEYS_PER_CALL, done: false, state: "running" });
    expect(started.json.status_url).toBe(`/admin/cache/purges/${started.json.id}`);
    expect(await remaining(tenant)).toBe(total - PURGE_KEYS_PER_CALL);

    const stub = env.CACHE_PURGE.get(h.env.CACHE_PURGE.idFromName(started.json.id));
    let alarms = 0;
    let status = await h.call(started.json.status_url, { headers: admin });
    // Run the job's alarms by hand; the runtime may run one by itself meanwhile (then wait for it: real I/O, bounded).
    for (let i = 0; i < 200 && status.json.state !== "done"; i++) {
      if (await runDurableObjectAlarm(stub)) alarms++;
      else await new Promise((r) => setTimeout(r, 10));
      status = await h.call(started.json.status_url, { headers: admin });
    }
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ id: started.json.id, tenant, state: "done", removed_keys: total });
    // 450 in the request, then 900 per alarm: 3 more steps. (An alarm the runtime fired by itself counts the same.)
    expect(status.json.steps).toBe(1 + Math.ceil((total - PURGE_KEYS_PER_CALL) / PURGE_KEYS_PER_ALARM));
    expect(Date.parse(status.json.updated_at)).toBeGreaterThanOrEqual(Date.parse(status.json.started_at));
    expect(await remaining(tenant)).toBe(0);
    console.log(`purge of ${total} keys: ${status.json.steps} steps (1 in the request, ${alarms} alarms run by the test)`);
    // Done: no alarm left.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  }, 60_000);

  it("a purge that fits one step answers 200 at once, with no job", async () => {
    const tenant = `purge-${crypto.randomUUID()}`;
    await seed(tenant, 30);
    const h = purgeHarness();
    const res = await h.call(`/admin/cache?tenant=${tenant}`, { method: "DELETE", headers: admin });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ removed_keys: 30, done: true });
    expect(res.json.id).toBeUndefined();
    expect(await remaining(tenant)).toBe(0);
  }, 60_000);

  it("the caller-driven mode still steps with a cursor, and a job's status needs a real id", async () => {
    const tenant = `purge-${crypto.randomUUID()}`;
    await seed(tenant, 500);
    const cursorMode = await purgeHarness().call(`/admin/cache?tenant=${tenant}&cursor=${btoa(JSON.stringify({ p: 0 }))}`, { method: "DELETE", headers: admin });
    expect(cursorMode.status).toBe(200);
    expect(cursorMode.json).toMatchObject({ removed_keys: PURGE_KEYS_PER_CALL, done: false });
    expect(cursorMode.json.next).toMatch(/^DELETE \/admin\/cache\?tenant=.*&cursor=/);
    await seed(tenant, 500);
    const h = purgeHarness();
    const first = await h.call(`/admin/cache?tenant=${tenant}`, { method: "DELETE", headers: admin });
    expect(first.status).toBe(202);
    expect((await h.call("/admin/cache/purges/not-an-id", { headers: admin })).json.error).toMatchObject({ param: "id" });
    const unknown = await h.call(`/admin/cache/purges/${crypto.randomUUID()}`, { headers: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("purge_not_found");
    expect((await h.call(`/admin/cache/purges/${first.json.id}`)).status).toBe(401);
  }, 60_000);
});
