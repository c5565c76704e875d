// The Durable Object applies an isolate's batch of outcomes on one working copy (`recordInto`, `recordHealthInto`);
// these check, over random sequences, that this gives exactly the state of applying them one by one.
import { describe, expect, it } from "vitest";
import type { ErrorClass } from "../../../src/engine/errors";
import { beginRecord, BreakerConfig, initialBreaker, recordInto, recordMany, type BreakerState, type Outcome, type Transition } from "../../../src/resilience/breaker";
import { freshEvidence, HealthConfig, healthWorkingCopy, initialHealth, recordHealth, recordHealthInto, type HealthSample, type HealthState } from "../../../src/resilience/health";
import { mulberry32 as prng } from "../../../scripts/drill/requests.mjs";

const T0 = 1_700_000_000_000;

const CLASSES: (ErrorClass | undefined)[] = [undefined, undefined, undefined, "server_error", "timeout", "rate_limited", "bad_request", "cancelled", "invalid_output"];

describe("recordInto on one working copy", () => {
  const configs = [{}, { window: { type: "time", size: 5 } }, { minTenantsToTrip: 1, window: { type: "count", size: 6 }, minimumCalls: 3 }, { probes: 2, probeSuccesses: 2, slowCallMs: 50 }];

  it("leaves the breaker exactly as recordMany applied outcome by outcome, through trips, half-open and closes", () => {
    const seen = new Set<string>();
    for (const [ci, overrides] of configs.entries()) {
      const cfg = BreakerConfig.parse(overrides);
      for (let seed = 1; seed <= 60; seed++) {
        const rnd = prng(seed * 31 + ci);
        const start: BreakerState = initialBreaker(T0);
        const before = structuredClone(start);
        let folded = start;
        const foldedTransitions: Transition[] = [];
        const work = beginRecord(start);
        const workTransitions: Transition[] = [];
        let now = T0;
        for (let i = 0; i < 120; i++) {
          // Mostly small steps; sometimes past any open time; sometimes a skewed clock a little behind.
          const r = rnd();
          now += r < 0.1 ? 400_000 : r < 0.15 ? -500 : Math.floor(rnd() * 2_000);
          const cls = rnd() < 0.45 ? CLASSES[Math.floor(rnd() * CLASSES.length)] : undefined;
          const outcome: Outcome = {
            ...(cls ? { errorClass: cls } : {}),
            durationMs: Math.floor(rnd() * 200),
            ...(rnd() < 0.3 ? { probe: true } : {}),
            ...(rnd() < 0.9 ? { tenant: `t${Math.floor(rnd() * 3)}` } : {}),
          };
          const n = rnd() < 0.2 ? 1 + Math.floor(rnd() * 25) : 1;
          const random = rnd();
          const step = recordMany(folded, cfg, outcome, n, now, random);
          folded = step.state;
          foldedTransitions.push(...step.transitions);
          workTransitions.push(...recordInto(work, cfg, outcome, n, now, random));
        }
        expect(work).toEqual(folded);
        expect(workTransitions).toEqual(foldedTransitions);
        expect(start).toEqual(before);
        for (const t of foldedTransitions) seen.add(`${t.from}->${t.to}`);
      }
    }
    // The sequences reach every state the breaker moves through on traffic.
    expect([...seen].sort()).toEqual(expect.arrayContaining(["CLOSED->OPEN", "HALF_OPEN->CLOSED", "HALF_OPEN->OPEN", "OPEN->HALF_OPEN"]));
  });
});

describe("recordHealthInto on one working copy", () => {
  it("leaves health exactly as recordHealth applied sample by sample, across buckets, skew and fresh evidence", () => {
    const cfg = HealthConfig.parse({ bucketMs: 60_000, buckets: 5 });
    for (let seed = 1; seed <= 80; seed++) {
      const rnd = prng(seed);
      let folded: HealthState = initialHealth();
      // Start some runs from a window that already has buckets, so rotation drops old ones.
      for (let i = 0; i < (seed % 3) * 40; i++) folded = recordHealth(folded, cfg, { latencyMs: 10 * i }, T0 - 600_000 + i * 9_000);
      const start = folded;
      const before = structuredClone(start);
      let work = healthWorkingCopy(start);
      let now = T0;
      for (let i = 0; i < 150; i++) {
        const r = rnd();
        now += r < 0.05 ? 250_000 : r < 0.1 ? -Math.floor(rnd() * 400_000) : Math.floor(rnd() * 5_000);
        const cls = rnd() < 0.3 ? CLASSES[Math.floor(rnd() * CLASSES.length)] : undefined;
        const sample: HealthSample = {
          ...(cls ? { errorClass: cls } : {}),
          latencyMs: Math.floor(rnd() * 200_000) - 100,
          ...(rnd() < 0.4 ? { ttftMs: Math.floor(rnd() * 5_000) } : {}),
          ...(rnd() < 0.5 ? { outputTokens: Math.floor(rnd() * 500) } : {}),
          ...(rnd() < 0.05 ? { refusal: true } : {}),
          ...(rnd() < 0.05 ? { semanticFailure: true } : {}),
        };
        const n = rnd() < 0.2 ? 1 + Math.floor(rnd() * 6) : 1;
        folded = recordHealth(folded, cfg, sample, now, n);
        recordHealthInto(work, cfg, sample, now, n);
        if (rnd() < 0.03) {
          folded = freshEvidence(folded);
          work = freshEvidence(work);
        }
      }
      expect(JSON.parse(JSON.stringify(work))).toEqual(JSON.parse(JSON.stringify(folded)));
      expect(work.buckets.length).toBeGreaterThan(0);
      expect(start).toEqual(before);
    }
  });
});
