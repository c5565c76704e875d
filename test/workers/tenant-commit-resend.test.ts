/**
 * A usage commit whose call fails is re-sent, and the real TenantLimiter applies each commit once, through the real
 * worker in workerd: a first call that never reached the object (re-sent, counted once), a call the object applied
 * whose answer was lost (re-sent, not counted twice, and its hold not released twice), every try failing (a warning
 * with what was missed, the isolate's own view keeps the spend once, the answer unaffected), the applied ids' bounded
 * window in the object's SQLite table, and bad schedules refused by the config.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantLimiter } from "../../durable-objects/tenant-limiter";
import { PRICED_PROVIDERS, VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const trace = { "x-detour-trace": "1" };
const never = () => new Promise<never>(() => {});
// alpha/gpt-4o-mini at $0.15/M in, $0.60/M out; every answer here uses 10,000 + 10,000 tokens.
const COST = (10_000 * 0.15 + 10_000 * 0.6) / 1e6; // $0.0075
const LIMITS = { monthlySpendUsd: 1 };

type Stub = { check: (...a: unknown[]) => Promise<any>; commit: (...a: unknown[]) => Promise<any>; usage: (now: number) => Promise<any> };

/**
 * The harness's TENANT_LIMITER with the commit path made to fail on demand: `unreached` commits fail before reaching
 * the object (a call that never arrived), `answerLost` commits are applied by the object and then fail for the caller
 * (the answer lost on the way back), `hang` makes every commit hang (an object that never answers; each try then
 * times out), `checkDown` hangs checks. `commits` records each commit call's time and arguments.
 */
function switchable(h: ReturnType<typeof harness>) {
  const real = h.env.TENANT_LIMITER as unknown as { idFromName(n: string): unknown; get(id: unknown): Stub };
  const sw = {
    unreached: 0,
    answerLost: 0,
    hang: false,
    checkDown: false,
    /** Runs when a commit fails unreached: other isolates' traffic landing before the re-send. */
    meanwhile: undefined as (() => Promise<unknown>) | undefined,
    commits: [] as { at: number; args: unknown[] }[],
    stub: (tenant: string) => real.get(real.idFromName(tenant)),
  };
  (h.env as Record<string, unknown>).TENANT_LIMITER = {
    idFromName: (n: string) => real.idFromName(n),
    get: (id: unknown) => {
      const stub = real.get(id);
      return {
        check: (...a: unknown[]) => (sw.checkDown ? never() : stub.check(...a)),
        commit: async (...a: unknown[]) => {
          sw.commits.push({ at: h.clock.now(), args: a });
          if (sw.hang) return never();
          if (sw.unreached > 0) {
            sw.unreached--;
            await sw.meanwhile?.();
            throw new Error("Durable Object reset because its code was updated");
          }
          const report = await stub.commit(...a);
          if (sw.answerLost > 0) {
            sw.answerLost--;
            throw new Error("Network connection lost");
          }
          return report;
        },
        usage: (now: number) => stub.usage(now),
        leaseCacheWrites: () => Promise.resolve(0),
      };
    },
  };
  return sw;
}

function capped(tenant: string, extra: Record<string, unknown> = {}) {
  const key = `dtr_${tenant.replace(/-/g, "")}`.slice(0, 40);
  const config = {
    ...VENDOR_CONFIG,
    providers: PRICED_PROVIDERS,
    routes: { auto: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 }, timeouts: { deadlineMs: 10_000 } } },
    resilience: { doTimeoutMs: 200, reportFlushMs: 0 },
    tenants: { byTenant: { [tenant]: LIMITS }, reservationGraceMs: 5_000, ...extra },
  };
  const h = harness({ config, keys: { [key]: { tenant, tier: "standard" } } });
  h.vendors.always("openai.test", { text: "ok", usage: { inputTokens: 10_000, outputTokens: 10_000 } });
  return { h, key, auth: { authorization: `Bearer ${key}`, ...trace } };
}

const lines = (h: ReturnType<typeof harness>, msg: string) => h.logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === msg);

/** What the isolate's fallback believes the month's spend is: ask with the limiter's checks down, read the note. */
async function isolateView(h: ReturnType<typeof harness>, sw: ReturnType<typeof switchable>, auth: Record<string, string>): Promise<string> {
  sw.checkDown = true;
  const r = await h.chat({ max_tokens: 16 }, auth);
  sw.checkDown = false;
  expect(r.status, r.text).toBe(200);
  return /\(\$(\d+\.\d{4}) this month/.exec(r.json.detour.notes.join(" "))?.[1] ?? "no note";
}

describe("a usage commit whose first call fails", () => {
  it("is re-sent after backoffMs and counted exactly once, by the limiter and by the isolate's own view", async () => {
    const tenant = `resend-${crypto.randomUUID()}`;
    const { h, auth } = capped(tenant);
    const sw = switchable(h);
    sw.unreached = 1;
    // Another isolate's $0.01 commit lands between the failed call and the re-send.
    sw.meanwhile = () => sw.stub(tenant).commit(h.clock.now(), { tokens: 0, costUsd: 0.01 });
    const t0 = h.clock.now();
    const r = await h.chat({ max_tokens: 16 }, auth);
    expect(r.status, r.text).toBe(200);
    expect(r.json.choices[0].message.content).toBe("ok");

    // Two calls of the same commit (same id), the second 500 ms after the first failed.
    expect(sw.commits.map((c) => c.at - t0)).toEqual([0, 500]);
    expect(sw.commits[1]!.args[3]).toEqual(sw.commits[0]!.args[3]);
    const usage = await sw.stub(tenant).usage(h.clock.now());
    expect(usage.spendUsdThisMonth).toBeCloseTo(0.01 + COST, 12);
    expect(usage).toMatchObject({ heldReservations: 0, heldUsd: 0 });
    expect(lines(h, "usage commit resent")).toEqual([expect.objectContaining({ tenant, provider: "alpha", tries: 2, duplicate: false })]);
    expect(lines(h, "usage commit failed")).toEqual([]);
    // The isolate took the re-send's answer: its fallback now counts the limiter's total (the other isolate's $0.01
    // included), and no longer its own copy of this cost.
    expect(await isolateView(h, sw, auth)).toBe((0.01 + COST).toFixed(4));
  });
});

describe("a usage commit the limiter applied but whose answer was lost", () => {
  it("is re-sent, answered as a duplicate, and neither counted twice nor releases a hold twice", async () => {
    const tenant = `lost-answer-${crypto.randomUUID()}`;
    const { h, auth } = capped(tenant);
    const sw = switchable(h);
    // Another isolate's request in flight, holding $0.05 in the bucket this request's hold will share.
    const other = await sw.stub(tenant).check(LIMITS, h.clock.now(), { tokens: 0, costUsd: 0.05 }, 15_000);
    sw.answerLost = 1;
    const r = await h.chat({ max_tokens: 16 }, auth);
    expect(r.status, r.text).toBe(200);

    expect(sw.commits).toHaveLength(2);
    const released = sw.commits[0]!.args[2] as { until: number };
    expect(released.until).toBe(other.hold.until); // the same bucket: a second release would take the other's hold
    const usage = await sw.stub(tenant).usage(h.clock.now());
    expect(usage.spendUsdThisMonth).toBeCloseTo(COST, 12);
    expect(usage).toMatchObject({ heldReservations: 1 });
    expect(usage.heldUsd).toBeCloseTo(0.05, 12);
    expect(lines(h, "usage commit resent")).toEqual([expect.objectContaining({ tries: 2, duplicate: true })]);
    // The isolate's view counts it once too: the limiter's report ($0.0075 spent + $0.05 held), nothing of its own.
    expect(await isolateView(h, sw, auth)).toBe((COST + 0.05).toFixed(4));
  });
});

describe("a usage commit every try of which fails", () => {
  it("warns once with the tries and the missed cost, keeps the spend once in the isolate's view, and answers as usual", async () => {
    const tenant = `all-fail-${crypto.randomUUID()}`;
    const { h, key, auth } = capped(tenant);
    const sw = switchable(h);
    sw.hang = true;
    const t0 = h.clock.now();
    const r = await h.chat({ max_tokens: 16 }, auth);
    expect(r.status, r.text).toBe(200);
    expect(r.json.choices[0].message.content).toBe("ok");
    expect(r.json.detour.notes.join(" ")).not.toMatch(/limiter unreachable/); // the check answered; only commits hang

    // Three tries, each cut at doTimeoutMs (200 ms), 500 then 1,000 ms apart.
    expect(sw.commits.map((c) => c.at - t0)).toEqual([0, 700, 1900]);
    const warned = lines(h, "usage commit failed");
    expect(warned).toEqual([{ level: "warn", msg: "usage commit failed", request_id: r.headers.get("x-request-id"), tenant, provider: "alpha", error: "no answer within 200 ms", tries: 3, cost_usd: COST, tokens: 20_000 }]);
    expect(h.logLines.join("\n")).not.toContain(key);
    expect(h.logLines.join("\n")).not.toContain("sk-alpha-secret");

    sw.hang = false;
    // The limiter never heard of it (nothing counted twice there either); this isolate's view keeps it, once.
    expect((await sw.stub(tenant).usage(h.clock.now())).spendUsdThisMonth).toBe(0);
    expect(await isolateView(h, sw, auth)).toBe(COST.toFixed(4));
  });
});

describe("commit ids", () => {
  it("are Detour's own: two requests sending the same x-request-id are both counted", async () => {
    const tenant = `same-id-${crypto.randomUUID()}`;
    const { h, auth } = capped(tenant);
    const sw = switchable(h);
    for (let i = 0; i < 2; i++) expect((await h.chat({ max_tokens: 16 }, { ...auth, "x-request-id": "req-42" })).headers.get("x-request-id")).toBe("req-42");
    const [a, b] = sw.commits.map((c) => (c.args[3] as { id: string }).id);
    expect(a).not.toBe(b);
    expect((await sw.stub(tenant).usage(h.clock.now())).spendUsdThisMonth).toBeCloseTo(2 * COST, 12);
  });
});

describe("the limiter's memory of applied commits", () => {
  it("dedupes an id within its window, applies it again after (the documented bound), and keeps only the window's ids", async () => {
    const tenant = `window-${crypto.randomUUID()}`;
    const { h } = capped(tenant);
    const sw = switchable(h);
    const stub = sw.stub(tenant);
    const t = h.clock.now();
    const usage = { tokens: 10, costUsd: 0.001 };
    expect(await stub.commit(t, usage, undefined, { id: "w:0", rememberMs: 5_000 })).not.toHaveProperty("duplicate");
    expect(await stub.commit(t + 4_999, usage, undefined, { id: "w:0", rememberMs: 5_000 })).toMatchObject({ duplicate: true, spendUsdThisMonth: 0.001 });
    for (let i = 1; i <= 20; i++) await stub.commit(t + i, usage, undefined, { id: `w:${i}`, rememberMs: 5_000 });
    expect((await stub.usage(t + 20)).spendUsdThisMonth).toBeCloseTo(0.021, 12);
    // Past its window the id is forgotten: a copy that late counts again.
    const late = await stub.commit(t + 5_000, usage, undefined, { id: "w:0", rememberMs: 5_000 });
    expect(late).not.toHaveProperty("duplicate");
    expect(late.spendUsdThisMonth).toBeCloseTo(0.022, 12);
    // A commit with no id (an older isolate) is applied as before.
    expect((await stub.commit(t + 5_000, usage)).spendUsdThisMonth).toBeCloseTo(0.023, 12);

    // Storage holds only live ids: after every window has passed, one commit's write drops the rest.
    await stub.commit(t + 60_000, usage, undefined, { id: "w:last", rememberMs: 5_000 });
    const id = (h.env.TENANT_LIMITER as unknown as DurableObjectNamespace<TenantLimiter>).idFromName(tenant);
    const stored = await runInDurableObject(env.TENANT_LIMITER.get(id), async (_o: TenantLimiter, state) => ({
      ids: state.storage.sql.exec<{ id: string }>("SELECT id FROM applied_commits").toArray().map((r) => r.id),
      state: await state.storage.get<{ spendUsd: number }>("state"),
    }));
    expect(stored.ids).toEqual(["w:last"]);
    // The state written in the commit's transaction is the one the object loads after a restart.
    expect(stored.state!.spendUsd).toBeCloseTo(0.024, 12);
  });
});

describe("configuration", () => {
  it("rejects a bad re-send schedule with clear errors naming each field", async () => {
    const bad = await harness({ config: { ...VENDOR_CONFIG, tenants: { commitResend: { retries: 9, backoffMs: 1 } } } }).chat({});
    expect(bad.status).toBe(500);
    expect(bad.json.error).toMatchObject({ type: "configuration_error", code: "invalid_config" });
    expect(bad.json.error.message).toContain("tenants.commitResend.retries must be at most 5");
    expect(bad.json.error.message).toContain("tenants.commitResend.backoffMs must be at least 50 ms");

    const long = await harness({ config: { ...VENDOR_CONFIG, tenants: { reservationGraceMs: 2_000, commitResend: { retries: 3 } } } }).chat({});
    expect(long.status).toBe(500);
    expect(long.json.error.message).toMatch(/tenants\.commitResend: the re-send schedule's 4 tries .* take up to 5500 ms, longer than tenants\.reservationGraceMs \(2000 ms\)/);
  });
});
