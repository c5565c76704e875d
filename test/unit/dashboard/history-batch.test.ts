// A batch of outcomes fills the minute being recorded on one copy (not a copy per sample). These check, over random
// batches, that the history and the closed minutes are exactly what the sample-by-sample version (kept here as the
// reference) produced, and that the stored state handed in is never changed.
import { describe, expect, it } from "vitest";
import type { OutcomeSample } from "../../../src/breakers/types";
import type { ErrorClass } from "../../../src/engine/errors";
import { closeMinutes, emptyRoutePoint, initialHistory, MINUTE_MS, recordOutcomes, recordRoute, type HistoryState, type ProviderPoint, type RouteMode, type RouteOutcome, type RoutePoint } from "../../../src/dashboard/history";
import { initialHealth, recordHealth, type HealthConfig } from "../../../src/resilience/health";
import type { BreakerStateName } from "../../../src/resilience/breaker-types";
import { mulberry32 as prng } from "../../../scripts/drill/requests.mjs";

const T0 = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE_MS);
const MINUTE: HealthConfig = { bucketMs: MINUTE_MS, buckets: 1, recentHalfLifeMs: MINUTE_MS, minCallsToExclude: 1, restoreBelow: 0 };
const minuteOf = (at: number) => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** The sample-by-sample version: every sample copies the minute being filled. */
function referenceOutcomes(h: HistoryState, samples: OutcomeSample[], state: BreakerStateName, now: number) {
  let history = h;
  const closed: (ProviderPoint | RoutePoint)[] = [];
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const res = closeMinutes(history, state, s.at);
    closed.push(...res.closed);
    const current = res.history.current ?? { health: initialHealth(), failovers: 0 };
    const start = current.health.buckets[0]?.start;
    if (start !== undefined && minuteOf(s.at) < start) continue;
    const health = recordHealth(current.health, MINUTE, {
      ...(s.errorClass ? { errorClass: s.errorClass } : {}),
      latencyMs: s.latencyMs,
      ...(s.ttftMs !== undefined ? { ttftMs: s.ttftMs } : {}),
      ...(s.outputTokens !== undefined ? { outputTokens: s.outputTokens } : {}),
      ...(s.refusal ? { refusal: true } : {}),
    }, s.at);
    history = { ...res.history, current: health.buckets.length ? { health, failovers: current.failovers + (s.failover && !s.errorClass ? 1 : 0) } : res.history.current };
  }
  const res = closeMinutes(history, state, now);
  return { history: res.history, closed: [...closed, ...res.closed] };
}

function referenceRoute(h: HistoryState, outcomes: RouteOutcome[], now: number) {
  let history = h;
  const closed: (ProviderPoint | RoutePoint)[] = [];
  for (const o of [...outcomes].sort((a, b) => a.at - b.at)) {
    const res = closeMinutes(history, "CLOSED", o.at);
    closed.push(...res.closed);
    const cur = res.history.route;
    if (cur && minuteOf(o.at) < cur.t) continue;
    const p: RoutePoint = cur ? { ...cur, modes: { ...cur.modes } } : emptyRoutePoint(minuteOf(o.at));
    p.modes[o.mode]++;
    p.costUsd += o.costUsd ?? 0;
    if (o.hedged) p.hedged++;
    if (o.shed) p.shed++;
    history = { ...res.history, route: p };
  }
  const res = closeMinutes(history, "CLOSED", now);
  return { history: res.history, closed: [...closed, ...res.closed] };
}

const CLASSES: (ErrorClass | undefined)[] = [undefined, undefined, "server_error", "timeout", "bad_request", "cancelled"];
const MODES: RouteMode[] = ["primary", "failover", "cache", "stale", "degraded", "error"];
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe("a batch fills its minute on one copy", () => {
  it("gives exactly the provider minutes of recording sample by sample", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = prng(seed);
      let mine = initialHistory();
      let ref = initialHistory();
      let now = T0;
      for (let batch = 0; batch < 12; batch++) {
        // Batches arrive a moment after their samples; some straddle a minute, some carry a late sample.
        const samples: OutcomeSample[] = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => {
          const cls = CLASSES[Math.floor(rnd() * CLASSES.length)];
          return {
            at: now - Math.floor(rnd() * 70_000),
            model: "m",
            durationMs: 10,
            latencyMs: Math.floor(rnd() * 3000),
            probe: false,
            ...(cls ? { errorClass: cls } : {}),
            ...(rnd() < 0.3 ? { ttftMs: Math.floor(rnd() * 500) } : {}),
            ...(rnd() < 0.5 ? { outputTokens: Math.floor(rnd() * 300) } : {}),
            ...(rnd() < 0.1 ? { failover: true } : {}),
            ...(rnd() < 0.05 ? { refusal: true } : {}),
          };
        });
        const state: BreakerStateName = rnd() < 0.8 ? "CLOSED" : "OPEN";
        const before = structuredClone(mine);
        const a = recordOutcomes(mine, samples, state, now);
        const b = referenceOutcomes(ref, samples, state, now);
        expect(plain(a)).toEqual(plain(b));
        expect(mine).toEqual(before);
        mine = a.history;
        ref = b.history;
        now += Math.floor(rnd() * 50_000);
      }
    }
  });

  it("gives exactly the route minutes of counting outcome by outcome", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = prng(seed + 1000);
      let mine = initialHistory();
      let ref = initialHistory();
      let now = T0;
      for (let batch = 0; batch < 12; batch++) {
        const outcomes: RouteOutcome[] = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => ({
          at: now - Math.floor(rnd() * 70_000),
          mode: MODES[Math.floor(rnd() * MODES.length)]!,
          ...(rnd() < 0.5 ? { costUsd: Math.floor(rnd() * 1000) / 1e6 } : {}),
          ...(rnd() < 0.1 ? { hedged: true } : {}),
          ...(rnd() < 0.05 ? { shed: true } : {}),
        }));
        const before = structuredClone(mine);
        const a = recordRoute(mine, outcomes, now);
        const b = referenceRoute(ref, outcomes, now);
        expect(a).toEqual(b);
        expect(mine).toEqual(before);
        mine = a.history;
        ref = b.history;
        now += Math.floor(rnd() * 50_000);
      }
      expect(mine.points.length).toBeGreaterThan(0);
    }
  });
});
