/**
 * The drill's analysis on synthetic records, so each number the report prints is pinned to the requests behind it:
 * served %, modes, latency percentiles, cost, time to detect and recover (including a fault run over two phases),
 * straddling requests, breaker transitions, and the threshold checks.
 */
import { describe, expect, it } from "vitest";
import { analyse, costOf, pct, summarise, type DrillConfig } from "../../../scripts/drill/analysis.mjs";
import { evaluate } from "../../../scripts/drill/thresholds.mjs";
import type { AttemptRecord, DrillRecord, PhaseRun, Thresholds } from "../../../scripts/drill/types.d.mts";

const CONFIG: DrillConfig = {
  providers: [
    { id: "alpha", models: [{ id: "a-model", price: { input: 1, output: 2 } }] },
    { id: "beta", models: [{ id: "b-model", price: { input: 10, output: 20 } }] },
    { id: "gamma", models: [{ id: "g-model" }] },
  ],
  routes: { auto: { targets: ["alpha/a-model", "beta/b-model", "gamma/g-model"] } },
};

let seq = 0;
/** A served primary answer from alpha unless `over` says otherwise. */
function rec(phaseIndex: number, t: number, over: Partial<DrillRecord> = {}): DrillRecord {
  return {
    i: seq++,
    phase: `p${phaseIndex}`,
    phaseIndex,
    t,
    cls: "chat",
    stream: false,
    repeat: false,
    status: 200,
    mode: "primary",
    served: true,
    provider: "alpha",
    latencyMs: 100,
    attempts: [{ provider: "alpha", outcome: "ok" }],
    ...over,
  };
}
const failover = (phaseIndex: number, t: number, alpha: AttemptRecord): DrillRecord =>
  rec(phaseIndex, t, { mode: "failover", provider: "beta", attempts: [alpha, { provider: "beta", outcome: "ok" }] });
const skippedOpen: AttemptRecord = { provider: "alpha", outcome: "skipped", reason: "breaker_open" };
const failed: AttemptRecord = { provider: "alpha", outcome: "failed", error: "server_error", status: 503 };

function phase(index: number, startMs: number, endMs: number, faulted: boolean, thresholds?: Thresholds): PhaseRun {
  return {
    name: `p${index}`,
    index,
    startMs,
    endMs,
    appliedAtMs: startMs + 10,
    clearedAtMs: faulted ? endMs + 20 : undefined,
    faults: faulted ? [{ where: "network", vendor: "openai", kind: "reset" }] : [],
    faultedProviders: faulted ? ["alpha"] : [],
    vendorRequests: { openai: faulted ? 3 : 4, anthropic: 0, gemini: 0 },
    thresholds,
  };
}

describe("summarise", () => {
  it("counts served answers, modes, classes and why the rest failed", () => {
    const recs = [
      rec(0, 0, { latencyMs: 10 }),
      rec(0, 1, { mode: "cache", latencyMs: 20, cls: "classification" }),
      rec(0, 2, { mode: "degraded", degraded: "rules", latencyMs: 30, cls: "classification" }),
      rec(0, 3, { status: 503, mode: "error", served: false, errorCode: "all_providers_failed", latencyMs: 40, cls: "classification" }),
      rec(0, 4, { stream: true, streamEnd: "none", served: false, mode: "error", latencyMs: 50 }),
      rec(0, 5, { status: 0, mode: "error", served: false, clientError: "socket hang up", latencyMs: undefined }),
    ];
    const s = summarise(CONFIG, recs);
    expect(s.requests).toBe(6);
    expect(s.served).toBe(3);
    expect(s.servedPct).toBe(50);
    expect(s.modes).toEqual({ primary: 1, failover: 0, cache: 1, stale: 0, degraded: 1, error: 3 });
    expect(s.latencyMs).toEqual({ p50: 30, p95: 50, p99: 50, max: 50 });
    expect(s.byClass.classification).toEqual({ requests: 3, servedPct: 200 / 3, degradedPct: 100 / 3, cachePct: 100 / 3, errorPct: 100 / 3 });
    expect(s.silentTruncations).toBe(1);
    expect(s.streams).toEqual({ total: 1, done: 0, errorEvent: 0, aborted: 0, jsonError: 0 });
    expect(s.failures).toEqual({ "503 all_providers_failed": 1, "200 none": 1, "client: socket hang up": 1 });
  });

  it("is empty-safe: no requests, no percentages", () => {
    const s = summarise(CONFIG, []);
    expect(s.servedPct).toBeNull();
    expect(s.latencyMs.p99).toBeNull();
    expect(s.detourCost).toBeNull();
  });

  it("prices live answers only, at the answering provider's configured price", () => {
    const usage = { in: 1000, out: 500 };
    expect(costOf(CONFIG, rec(0, 0, { usage }))).toBeCloseTo((1000 * 1 + 500 * 2) / 1e6, 12);
    expect(costOf(CONFIG, rec(0, 0, { usage, mode: "failover", provider: "beta" }))).toBeCloseTo((1000 * 10 + 500 * 20) / 1e6, 12);
    expect(costOf(CONFIG, rec(0, 0, { usage, mode: "degraded", degraded: "reduced-context" }))).toBeGreaterThan(0);
    expect(costOf(CONFIG, rec(0, 0, { usage, mode: "cache" }))).toBe(0);
    expect(costOf(CONFIG, rec(0, 0, { usage, mode: "degraded", degraded: "rules" }))).toBe(0);
    expect(costOf(CONFIG, rec(0, 0, { usage, provider: "gamma" }))).toBe(0); // no price configured
    expect(costOf(CONFIG, rec(0, 0, { usage, served: false }))).toBe(0);
  });

  it("flags served answers naming another model than the provider's configured one", () => {
    const s = summarise(CONFIG, [rec(0, 0, { bodyModel: "alpha/a-model" }), rec(0, 1, { bodyModel: "alpha/gpt-3.5" })]);
    expect(s.modelMismatches).toBe(1);
  });

  it("takes nearest-rank percentiles", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(pct(xs, 50)).toBe(50);
    expect(pct(xs, 95)).toBe(95);
    expect(pct(xs, 100)).toBe(100);
    expect(pct([7], 99)).toBe(7);
    expect(pct([], 50)).toBeNull();
  });
});

describe("analyse", () => {
  // baseline 0–2000 ms; outage of alpha 2000–6000 (set at 2010, cleared at 6020); recovery 6000–10000.
  const phases = [phase(0, 0, 2000, false), phase(1, 2000, 6000, true, { servedPct: 80 }), phase(2, 6000, 10_000, false)];
  const records = [
    rec(0, 0),
    rec(0, 1000),
    failover(1, 2100, failed),
    failover(1, 2600, skippedOpen), // detected: 2600 − 2010
    rec(1, 3000, { status: 503, mode: "error", served: false, attempts: [skippedOpen] }),
    failover(1, 5900, skippedOpen), // still in flight when the fault is cleared at 6000: straddles
    failover(2, 6100, skippedOpen),
    rec(2, 7020), // recovered: 7020 − 6020
    rec(2, 8000),
  ];
  records[5]!.latencyMs = 200;
  const samples = [
    { t: 0, states: { alpha: "CLOSED", beta: "CLOSED" } },
    { t: 2500, states: { alpha: "OPEN", beta: "CLOSED" } },
    { t: 6500, states: { alpha: "HALF_OPEN", beta: "CLOSED" } },
    { t: 7000, states: { alpha: "CLOSED", beta: "CLOSED" } },
  ];

  it("times detection from the fault's start and recovery from its clear", () => {
    const a = analyse({}, CONFIG, phases, records, samples, 10_000.04, 0);
    const outage = a.phases[1]!;
    expect(outage.detect).toEqual({ alpha: 590 });
    expect(outage.recover).toEqual({ alpha: 1000 });
    expect(outage.timeToDetectMs).toBe(590);
    expect(outage.timeToRecoverMs).toBe(1000);
    expect(a.overall.timeToDetectMs).toBe(590);
    expect(a.overall.timeToRecoverMs).toBe(1000);
    expect(a.faultedProviders).toEqual(["alpha"]);
    expect(a.durationMs).toBe(10_000);
  });

  it("counts per phase, and judges a phase only on the requests that lived inside it", () => {
    const a = analyse({}, CONFIG, phases, records, samples, 10_000, 2);
    expect(a.phases.map((p) => p.requests)).toEqual([2, 4, 3]);
    const outage = a.phases[1]!;
    expect(outage.servedPct).toBe(75);
    expect(outage.straddled).toBe(1);
    expect(outage.judged?.requests).toBe(3);
    expect(outage.judged?.servedPct).toBeCloseTo(200 / 3, 9);
    // Vendor calls the mock counted for alpha's vendor, and requests whose trace shows a real call to alpha.
    expect(outage.reachedFaulted).toEqual({ mock: 3, trace: 1 });
    expect(a.overall.requests).toBe(9);
    expect(a.overall.servedPct).toBe(800 / 9);
    expect(a.overall.dropped).toBe(2);
  });

  it("checks thresholds: the phase's on its own requests, the scenario's over all", () => {
    const a = analyse({ thresholds: { servedPct: 90, timeToDetectMs: 500, timeToRecoverMs: 2000 } }, CONFIG, phases, records, samples, 10_000, 0);
    expect(a.checks.map((c) => [c.where, c.what, c.ok])).toEqual([
      ["scenario", "servedPct ≥", false],
      ["scenario", "timeToDetectMs ≤ (p1)", false],
      ["scenario", "timeToRecoverMs ≤ (p1)", true],
      ["phase p1", "servedPct ≥", false], // 66.7 % of the requests inside the phase, not the 75 % it sent
    ]);
    expect(a.checks[1]!.actual).toBe(590);
    expect(a.passed).toBe(false);
    const lenient = analyse({ thresholds: { servedPct: 85, timeToDetectMs: 600 } }, CONFIG, [phases[0]!, { ...phases[1]!, thresholds: { servedPct: 60 } }, phases[2]!], records, samples, 10_000, 0);
    expect(lenient.passed).toBe(true);
  });

  it("reports the breaker transitions /status showed", () => {
    const a = analyse({}, CONFIG, phases, records, samples, 10_000, 0);
    expect(a.breakerTransitions).toEqual([
      { t: 2500, provider: "alpha", from: "CLOSED", to: "OPEN" },
      { t: 6500, provider: "alpha", from: "OPEN", to: "HALF_OPEN" },
      { t: 7000, provider: "alpha", from: "HALF_OPEN", to: "CLOSED" },
    ]);
  });

  it("says null when the breaker never opened or the provider never came back", () => {
    const never = [rec(0, 0), failover(1, 2100, failed), failover(1, 3000, failed), failover(2, 6100, failed)];
    const a = analyse({ thresholds: { timeToDetectMs: 5000 } }, CONFIG, phases, never, [], 10_000, 0);
    expect(a.phases[1]!.detect).toEqual({ alpha: null });
    expect(a.phases[1]!.recover).toEqual({ alpha: null });
    expect(a.overall.timeToDetectMs).toBeNull();
    expect(a.checks.filter((c) => c.where === "scenario")).toEqual([{ where: "scenario", what: "timeToDetectMs ≤ (p1)", actual: null, limit: 5000, ok: false }]);
  });

  it("treats consecutive phases faulting one provider as one fault run", () => {
    // p1 and p2 both fault alpha: detection counts from p1's start, recovery from p2's clear (10 020).
    const run = [phase(0, 0, 2000, false), phase(1, 2000, 6000, true), phase(2, 6000, 10_000, true), phase(3, 10_000, 14_000, false)];
    const recs = [rec(0, 0), failover(1, 2500, skippedOpen), failover(2, 7000, skippedOpen), rec(3, 10_520)];
    const a = analyse({}, CONFIG, run, recs, [], 14_000, 0);
    expect(a.phases[1]!.detect).toEqual({ alpha: 490 });
    expect(a.phases[1]!.recover).toEqual({ alpha: "continued" });
    expect(a.phases[1]!.timeToRecoverMs).toBeUndefined();
    expect(a.phases[2]!.detect).toEqual({ alpha: "continued" });
    expect(a.phases[2]!.recover).toEqual({ alpha: 500 });
    expect(a.overall.timeToDetectMs).toBe(490);
    expect(a.overall.timeToRecoverMs).toBe(500);
  });

  it("notes when routing left the provider out for another reason than its breaker", () => {
    const recs = [rec(0, 0), failover(1, 2200, { provider: "alpha", outcome: "skipped", reason: "health 0.20 < floor 0.5" }), failover(1, 2600, skippedOpen)];
    const a = analyse({}, CONFIG, phases, recs, [], 10_000, 0);
    expect(a.phases[1]!.firstOtherSkip).toEqual({ alpha: { ms: 190, reason: "health 0.20 < floor 0.5" } });
    expect(a.phases[1]!.detect).toEqual({ alpha: 590 });
  });
});

describe("evaluate", () => {
  it("fails a scenario on a silent truncation even when no threshold says so", () => {
    const overall = { ...analyse({}, CONFIG, [phase(0, 0, 1000, false)], [rec(0, 0)], [], 1000, 0).overall, silentTruncations: 2 };
    expect(evaluate({}, overall, [])).toEqual([{ where: "scenario", what: "silentTruncations ≤", actual: 2, limit: 0, ok: false }]);
    // A declared limit replaces the implicit one.
    expect(evaluate({ thresholds: { silentTruncations: 3 } }, overall, [])).toEqual([{ where: "scenario", what: "silentTruncations ≤", actual: 2, limit: 3, ok: true }]);
  });

  it("checks percentiles and per-class service; a class the load never sent passes", () => {
    const a = analyse({}, CONFIG, [phase(0, 0, 1000, false)], [rec(0, 0, { latencyMs: 900 }), rec(0, 1, { cls: "extraction", served: false, mode: "error", status: 503 })], [], 1000, 0);
    const checks = evaluate({ thresholds: { p95Ms: 800, p99Ms: 1000, servedPctByClass: { extraction: 50, summarization: 99 } } }, a.overall, a.phases);
    expect(checks.map((c) => [c.what, c.actual, c.ok])).toEqual([
      ["servedPct[extraction] ≥", 0, false],
      ["servedPct[summarization] ≥", null, true],
      ["p95Ms ≤", 900, false],
      ["p99Ms ≤", 900, true],
    ]);
  });

  it("cannot meet a time threshold in a scenario without faults", () => {
    const a = analyse({}, CONFIG, [phase(0, 0, 1000, false)], [rec(0, 0)], [], 1000, 0);
    expect(evaluate({ thresholds: { timeToRecoverMs: 1000 } }, a.overall, a.phases)).toEqual([
      { where: "scenario", what: "timeToRecoverMs ≤", actual: null, limit: 1000, ok: false },
    ]);
  });
});

describe("sick-provider and recovery shares", () => {
  // baseline 0–2000; alpha faulted 2000–6000 (set 2010, cleared 6020); recovery 6000–10000, its tail 7000–10000.
  const phases = [
    phase(0, 0, 2000, false),
    phase(1, 2000, 6000, true, { maxTouchedSickPct: 30, p50Ms: 50 }),
    phase(2, 6000, 10_000, false),
  ];
  const records = [
    rec(0, 0),
    failover(1, 2100, failed), // touched alpha
    failover(1, 2600, skippedOpen), // a skip is no touch
    failover(1, 3000, skippedOpen),
    rec(1, 4000, { mode: "cache", provider: undefined, attempts: [] }),
    failover(2, 6500, skippedOpen), // before the tail: not counted in it
    failover(2, 7100, skippedOpen), // in the tail, not on the primary
    rec(2, 7500),
    rec(2, 8000, { mode: "cache", provider: undefined, attempts: [] }), // a cache hit needs no provider: left out
    rec(2, 9000),
    rec(2, 9900),
  ];
  records[1]!.latencyMs = 400;
  records[2]!.latencyMs = 200;

  it("counts fault-phase requests that made an actual attempt at the faulted provider", () => {
    const a = analyse({}, CONFIG, phases, records, [], 10_000, 0);
    expect(a.phases[1]!.touchedSickPct).toBe(25);
    expect(a.overall.touchedSickPct).toBe(25);
    expect(a.phases[0]!.touchedSickPct).toBeUndefined();
  });

  it("measures the primary's share over a recovery phase's tail, cache hits left out", () => {
    const a = analyse({ recoveryTailMs: 3000 }, CONFIG, phases, records, [], 10_000, 0);
    const rec2 = a.phases[2]!;
    expect(rec2.recoveryTail).toEqual({ fromMs: 7000, requests: 5 });
    expect(rec2.recoveredSharePct).toBe(75);
    expect(a.overall.recoveredSharePct).toBe(75);
    expect(a.phases[1]!.recoveryTail).toBeUndefined();
    // The whole phase's primary share, for comparison: 3 of 5 live requests.
    expect(rec2.primarySharePct).toBe(60);
    // A longer tail takes in the earlier failover.
    expect(analyse({ recoveryTailMs: 4000 }, CONFIG, phases, records, [], 10_000, 0).phases[2]!.recoveredSharePct).toBe(60);
  });

  it("checks p50Ms and maxTouchedSickPct on the fault phase, and minPrimarySharePct on the recovery's tail", () => {
    const a = analyse({ thresholds: { minPrimarySharePct: 80, maxTouchedSickPct: 20 } }, CONFIG, phases, records, [], 10_000, 0);
    const by = (what: string) => a.checks.filter((c) => c.what.startsWith(what)).map((c) => [c.where, c.actual, c.ok]);
    expect(by("p50Ms")).toEqual([["phase p1", 100, false]]);
    expect(by("touchedSickPct")).toEqual([
      ["scenario", 25, false],
      ["phase p1", 25, true],
    ]);
    expect(by("recoveredSharePct")).toEqual([["scenario", 75, false]]);
    expect(a.passed).toBe(false);
  });

  it("judges a phase's latency and touched share on every request it sent, hung ones that outlived it included", () => {
    const hungPhases = [phase(0, 0, 2000, true, { p50Ms: 1000, maxTouchedSickPct: 20, servedPct: 100 }), phase(1, 2000, 4000, false)];
    const hung = (t: number) => failover(0, t, { provider: "alpha", outcome: "error", error: "timeout" });
    const recs = [hung(100), hung(500), hung(900), rec(0, 1000, { mode: "failover", provider: "beta", attempts: [skippedOpen, { provider: "beta", outcome: "ok" }] })];
    for (const r of recs.slice(0, 3)) r.latencyMs = 30_000;
    const a = analyse({}, CONFIG, hungPhases, recs, [], 40_000, 0);
    expect(a.phases[0]!.straddled).toBe(3);
    expect(a.checks.map((c) => [c.what, c.actual, c.ok])).toEqual([
      ["servedPct ≥", 100, true], // the one request that lived inside the phase
      ["p50Ms ≤", 30_000, false],
      ["touchedSickPct ≤ (p0)", 75, false],
    ]);
  });

  it("cannot meet a touched or primary-share threshold it has nothing to measure on", () => {
    const quiet = [phase(0, 0, 2000, false)];
    const checks = analyse({ thresholds: { maxTouchedSickPct: 20, minPrimarySharePct: 90 } }, CONFIG, quiet, [], [], 2000, 0).checks;
    expect(checks.map((c) => [c.what, c.actual, c.ok])).toEqual([
      ["touchedSickPct ≤", null, false],
      ["primarySharePct ≥", null, false],
    ]);
  });
});

describe("tenants and breakers that must stay closed", () => {
  const phases = [phase(0, 0, 4000, false)];
  const records = [
    rec(0, 0, { tenant: "good" }),
    rec(0, 100, { tenant: "good" }),
    rec(0, 200, { tenant: "good", mode: "failover", provider: "beta" }),
    rec(0, 300, { tenant: "good", mode: "cache", provider: undefined }),
    rec(0, 400, { tenant: "abuser", kind: "empty-stop", status: 503, served: false, mode: "error", errorCode: "all_providers_failed" }),
    rec(0, 500, { tenant: "abuser", kind: "deep-schema", status: 400, served: false, mode: "error", errorCode: "invalid_request" }),
  ];
  const tenants = [
    { name: "abuser", share: 0.3, requests: ["empty-stop", "deep-schema"] as ["empty-stop", "deep-schema"] },
    { name: "good", tier: "premium", share: 0.7, thresholds: { servedPct: 100, minPrimarySharePct: 95 } },
  ];

  it("summarises each tenant's requests and checks its own thresholds", () => {
    const a = analyse({ tenants }, CONFIG, phases, records, [{ t: 0, states: { alpha: "CLOSED" } }], 4000, 0);
    expect(a.tenants!.map((t) => [t.name, t.tier, t.requests, t.servedPct, t.kinds])).toEqual([
      ["abuser", "premium", 2, 0, { "empty-stop": 1, "deep-schema": 1 }],
      ["good", "premium", 4, 100, { normal: 4 }],
    ]);
    expect(a.tenants![1]!.primarySharePct).toBeCloseTo(66.667, 2);
    expect(a.tenants![0]!.failures).toEqual({ "503 all_providers_failed": 1, "400 invalid_request": 1 });
    expect(a.checks.map((c) => [c.where, c.what, c.ok])).toEqual([
      ["tenant good", "servedPct ≥", true],
      ["tenant good", "primarySharePct ≥", false],
    ]);
  });

  it("breakerStaysClosed fails on any /status sample showing the breaker not CLOSED, and without samples", () => {
    const closedAll = [
      { t: 0, states: { alpha: "CLOSED", beta: "OPEN" } },
      { t: 500, states: { alpha: "CLOSED", beta: "CLOSED" } },
    ];
    const check = (samples: Array<{ t: number; states: Record<string, string> }>) =>
      analyse({ thresholds: { breakerStaysClosed: ["alpha"] } }, CONFIG, phases, records, samples, 4000, 0).checks.map((c) => [c.what, c.actual, c.ok]);
    expect(check(closedAll)).toEqual([["breaker alpha: /status samples not CLOSED ≤", 0, true]]);
    expect(check([...closedAll, { t: 1000, states: { alpha: "OPEN" } }, { t: 1500, states: { alpha: "HALF_OPEN" } }])).toEqual([
      ["breaker alpha: /status samples not CLOSED ≤", 2, false],
    ]);
    expect(check([])).toEqual([["breaker alpha: /status samples not CLOSED ≤", null, false]]);
  });
});
