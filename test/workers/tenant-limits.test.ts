/**
 * Spend caps survive Detour's own failures, through the real worker and the real TenantLimiter object: a reservation
 * whose commit never arrives lapses after the request's deadline plus `tenants.reservationGraceMs` (a late commit then
 * counts once and gives nothing back twice), and while the limiter is down the isolate's fallback still refuses a
 * tenant whose known spend crosses its cap.
 */
import { describe, expect, it } from "vitest";
import { PRICED_PROVIDERS, VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const trace = { "x-detour-trace": "1" };
const never = () => new Promise<never>(() => {});

type Limiter = { check: (...a: unknown[]) => Promise<any>; commit: (...a: unknown[]) => Promise<any>; usage: (now: number) => Promise<any> };

/**
 * The harness's TENANT_LIMITER with switches: `dropCommits` loses every commit (kept in `lost` to deliver late, as an
 * evicted isolate or a timed-out call would), `down` hangs every call (an object that never answers).
 */
function switchable(h: ReturnType<typeof harness>) {
  const real = h.env.TENANT_LIMITER as unknown as { idFromName(n: string): unknown; get(id: unknown): Limiter };
  const sw = { dropCommits: false, down: false, lost: [] as unknown[][], stub: (tenant: string) => real.get(real.idFromName(tenant)) };
  (h.env as Record<string, unknown>).TENANT_LIMITER = {
    idFromName: (n: string) => real.idFromName(n),
    get: (id: unknown) => {
      const stub = real.get(id);
      return {
        check: (...a: unknown[]) => (sw.down ? never() : stub.check(...a)),
        commit: (...a: unknown[]) => {
          if (sw.down) return never();
          if (sw.dropCommits) {
            sw.lost.push(a);
            return Promise.reject(new Error("commit lost"));
          }
          return stub.commit(...a);
        },
        usage: (now: number) => stub.usage(now),
        leaseCacheWrites: () => Promise.resolve(0),
      };
    },
  };
  return sw;
}

function capped(tenant: string, cap: number, extra: Record<string, unknown> = {}) {
  const key = `dtr_${tenant.replace(/-/g, "")}`.slice(0, 40);
  const config = {
    ...VENDOR_CONFIG,
    providers: PRICED_PROVIDERS,
    routes: { auto: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 }, timeouts: { deadlineMs: 10_000 } } },
    resilience: { doTimeoutMs: 200 },
    tenants: { byTenant: { [tenant]: { monthlySpendUsd: cap } }, reservationGraceMs: 5_000, ...extra },
  };
  const h = harness({ config, keys: { [key]: { tenant, tier: "standard" } } });
  return { h, auth: { authorization: `Bearer ${key}`, ...trace } };
}

describe("a reservation whose commit never arrives", () => {
  it("lapses after the request's deadline plus the grace, so the tenant can spend again; a late commit counts once", async () => {
    const tenant = `lost-${crypto.randomUUID()}`;
    // alpha at $0.60/M output: max_tokens 4,000 reserves about $0.0024, so one fits under $0.004 and two do not.
    // No re-sends: the isolate that would re-send was evicted (re-sends: tenant-commit-resend.test.ts).
    const { h, auth } = capped(tenant, 0.004, { commitResend: { retries: 0 } });
    const sw = switchable(h);
    h.vendors.always("openai.test", { text: "ok", usage: { inputTokens: 100, outputTokens: 100 } });
    const body = { max_tokens: 4_000 };
    sw.dropCommits = true;

    const first = await h.chat(body, auth);
    expect(first.status, first.text).toBe(200);
    expect(sw.lost).toHaveLength(1);
    const held = await sw.stub(tenant).usage(h.clock.now());
    expect(held).toMatchObject({ heldReservations: 1, spendUsdThisMonth: 0 });
    expect(held.heldUsd).toBeGreaterThanOrEqual(0.0024);

    const refused = await h.chat(body, auth);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe("spend_cap_reached");

    // Hold = deadline 10 s + grace 5 s (rounded up to a whole second): still held just before, gone after.
    // Hold = deadline 10 s + grace 5 s from the check (on a whole-second grid): still held before, gone after.
    const [servedAt, , hold] = sw.lost[0]! as [number, unknown, { until: number }]; // its commit carries the time it ran
    expect(hold.until - servedAt).toBe(15_000);
    await h.clock.advance(hold.until - 3_000 - h.clock.now()); // a request may move the clock by a flush (1 s)
    expect((await h.chat(body, auth)).status).toBe(429);
    await h.clock.advance(hold.until - h.clock.now());
    expect(await sw.stub(tenant).usage(h.clock.now())).toMatchObject({ heldReservations: 0, heldUsd: 0 });
    const again = await h.chat(body, auth);
    expect(again.status).toBe(200);
    expect(sw.lost).toHaveLength(2);

    // The first request's commit arrives now, after its hold lapsed: its cost counts, the second's hold stays.
    const [, lateUsage, lateHold, lateOnce] = sw.lost[0]!;
    const after = await sw.stub(tenant).commit(h.clock.now(), lateUsage, lateHold, lateOnce);
    const cost = (100 * 0.15 + 100 * 0.6) / 1e6;
    expect(after.spendUsdThisMonth).toBeCloseTo(cost, 9);
    expect(after.heldReservations).toBe(1);
    expect(after.heldUsd).toBeCloseTo(held.heldUsd, 9);
    // The same commit delivered again (its id): applied once, and it cannot release the second request's hold.
    const again2 = await sw.stub(tenant).commit(h.clock.now(), lateUsage, lateHold, lateOnce);
    expect(again2).toMatchObject({ duplicate: true, heldReservations: 1 });
    expect(again2.spendUsdThisMonth).toBeCloseTo(cost, 9);
    // The second request's own commit counts its cost and releases its own hold; nothing goes negative.
    const [, secondUsage, secondHold, secondOnce] = sw.lost[1]!;
    const done = await sw.stub(tenant).commit(h.clock.now(), secondUsage, secondHold, secondOnce);
    expect(done).toMatchObject({ heldReservations: 0, heldUsd: 0 });
    expect(done.spendUsdThisMonth).toBeCloseTo(2 * cost, 9);
  });
});

describe("a limiter that is down, for a capped tenant", () => {
  it("the fallback checks the limiter's last report plus this isolate's spend, and refuses like the limiter once over the cap", async () => {
    const tenant = `down-${crypto.randomUUID()}`;
    const { h, auth } = capped(tenant, 0.02);
    const sw = switchable(h);
    // Each answer costs (10,000 · 0.15 + 10,000 · 0.6) / 1e6 = $0.0075; a request's estimate is tiny (max_tokens 16).
    h.vendors.always("openai.test", { text: "ok", usage: { inputTokens: 10_000, outputTokens: 10_000 } });
    const body = { max_tokens: 16 };
    for (let i = 0; i < 2; i++) expect((await h.chat(body, auth)).status).toBe(200);
    expect((await sw.stub(tenant).usage(h.clock.now())).spendUsdThisMonth).toBeCloseTo(0.015, 9);

    sw.down = true;
    const third = await h.chat(body, auth);
    expect(third.status, third.text).toBe(200);
    const note = third.json.detour.notes.join(" ");
    expect(note).toMatch(/tenant limits: limiter unreachable \(no answer within 200 ms\); enforced by this isolate's local per-minute limits and the spend cap, against the limiter's last report plus this isolate's spend since \(\$0\.0150 this month/);

    // $0.015 reported + $0.0075 spent here since = $0.0225 > $0.02: refused exactly as the limiter refuses.
    const fourth = await h.chat(body, auth);
    expect(fourth.status).toBe(429);
    expect(fourth.json.error).toMatchObject({ type: "rate_limit_error", code: "spend_cap_reached" });
    expect(fourth.json.error.message).toContain("monthly spend cap");
    expect(Number(fourth.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(h.vendors.callsTo("openai.test")).toHaveLength(3);
  });

  it("a tenant this isolate knows nothing about is refused by default with a clear 503, or counted locally when configured", async () => {
    const tenant = `unknown-${crypto.randomUUID()}`;
    const { h, auth } = capped(tenant, 1);
    const sw = switchable(h);
    h.vendors.always("openai.test", { text: "ok" });
    sw.down = true;
    const r = await h.chat({ max_tokens: 16 }, auth);
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ type: "api_error", code: "spend_cap_unverified" });
    expect(r.headers.get("retry-after")).toBe("10");
    expect(h.vendors.calls).toHaveLength(0);

    const other = `unknown-local-${crypto.randomUUID()}`;
    const local = capped(other, 1, { unknownSpend: "local" });
    switchable(local.h).down = true;
    local.h.vendors.always("openai.test", { text: "ok" });
    const ok = await local.h.chat({ max_tokens: 16 }, local.auth);
    expect(ok.status).toBe(200);
    expect(ok.json.detour.notes.join(" ")).toMatch(/spend cap against this isolate's own spend only \(\$0\.0000; the limiter has not reported this tenant's month here, tenants\.unknownSpend "local"\)/);
  });
});

describe("configuration", () => {
  it("rejects a bad reservation grace or unknown-spend choice with a clear error naming each", async () => {
    const config = { ...VENDOR_CONFIG, tenants: { reservationGraceMs: 10, unknownSpend: "maybe" } };
    const r = await harness({ config }).chat({});
    expect(r.status).toBe(500);
    expect(r.json.error).toMatchObject({ type: "configuration_error", code: "invalid_config" });
    expect(r.json.error.message).toContain("tenants.reservationGraceMs");
    expect(r.json.error.message).toContain("at least 1000 ms");
    expect(r.json.error.message).toContain("tenants.unknownSpend");
    expect(r.json.error.message).toMatch(/refuse.*local/);
    const tooLong = await harness({ config: { ...VENDOR_CONFIG, tenants: { reservationGraceMs: 7_200_000 } } }).chat({});
    expect(tooLong.json.error.message).toContain("at most 3600000 ms");
  });
});
