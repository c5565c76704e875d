/**
 * ProviderHealth: one Durable Object per breaker key (a provider, or provider@region). A thin shell over the pure
 * state machines in src/resilience/: it loads state once, applies RPC calls in order (one writer, so no races),
 * persists to its SQLite-backed storage after every change, and keeps an alarm set for the next time-driven
 * transition (OPEN → HALF_OPEN with no traffic, bucket rotation, healthy decay).
 *
 * Time: RPC callers pass their `now` (the worker's clock, injectable in tests). The object remembers how far that
 * clock is from its own, sets alarms by the callers' clock, and treats an alarm as running at the moment it was set
 * for (in production both clocks are the platform's, and an alarm never runs early, so this changes nothing there).
 */
import { DurableObject } from "cloudflare:workers";
import type { BreakerOp, HealthSettings, OutcomeSample, ProviderCounters, ProviderSnapshot } from "../src/breakers/types";
import { admit, initialBreaker, nextWakeAt, operate, record, tick, windowStats, type AdmitDecision, type BreakerState } from "../src/resilience/breaker";
import { initialHealth, LATENCY_BOUNDS_MS, recordHealth, rotate, slotFor, summarize, type HealthState } from "../src/resilience/health";
import { healthScore } from "../src/resilience/score";

interface Stored {
  breaker: BreakerState;
  /** The provider as a whole, and each of its models (routing ranks models; the breaker guards the provider). */
  health: HealthState;
  models: Record<string, HealthState>;
  counters: ProviderCounters;
  settings: HealthSettings | null;
  key: string;
  /** Callers' clock minus the platform clock, at the last call. */
  offset: number;
  /** Callers' clock time the pending alarm was set for. */
  wakeAt: number | null;
}

const emptyCounters = (): ProviderCounters => ({
  requests: {},
  failovers: 0,
  latencyBuckets: new Array(LATENCY_BOUNDS_MS.length + 1).fill(0),
  latencySumMs: 0,
  latencyCount: 0,
});

export class ProviderHealth extends DurableObject<Env> {
  #s: Stored = { breaker: initialBreaker(Date.now()), health: initialHealth(), models: {}, counters: emptyCounters(), settings: null, key: "", offset: 0, wakeAt: null };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<Stored>("state");
      if (stored) this.#s = { ...this.#s, ...stored };
    });
  }

  /** Apply a batch of outcomes; returns the new snapshot (so the reporting isolate is up to date at once). */
  async record(key: string, samples: OutcomeSample[], settings: HealthSettings, now: number): Promise<ProviderSnapshot> {
    this.#adopt(key, settings, now);
    const s = this.#s;
    for (const sample of samples) {
      s.breaker = record(s.breaker, settings.breaker, { ...(sample.errorClass ? { errorClass: sample.errorClass } : {}), durationMs: sample.durationMs, probe: sample.probe, ...(sample.tenant !== undefined ? { tenant: sample.tenant } : {}) }, sample.at, Math.random()).state;
      const h = {
        ...(sample.errorClass ? { errorClass: sample.errorClass } : {}),
        latencyMs: sample.latencyMs,
        ...(sample.ttftMs !== undefined ? { ttftMs: sample.ttftMs } : {}),
        ...(sample.outputTokens !== undefined ? { outputTokens: sample.outputTokens } : {}),
        ...(sample.refusal ? { refusal: true } : {}),
      };
      s.health = recordHealth(s.health, settings.health, h, sample.at);
      s.models[sample.model] = recordHealth(s.models[sample.model] ?? initialHealth(), settings.health, h, sample.at);
      this.#count(sample);
    }
    s.breaker = tick(s.breaker, settings.breaker, now).state;
    await this.#persist();
    return this.#snapshot(now);
  }

  /** The current snapshot (after any time-driven transition that is due). */
  async snapshot(key: string, settings: HealthSettings, now: number): Promise<ProviderSnapshot> {
    this.#adopt(key, settings, now);
    const before = this.#s.breaker;
    this.#s.breaker = tick(before, settings.breaker, now).state;
    if (this.#s.breaker !== before) await this.#persist();
    return this.#snapshot(now);
  }

  /** Win (or be denied) a call permit when the breaker is not CLOSED. The only DO call a request ever awaits. */
  async acquireProbe(key: string, settings: HealthSettings, now: number, tenant?: string): Promise<{ decision: AdmitDecision; snapshot: ProviderSnapshot }> {
    this.#adopt(key, settings, now);
    const before = this.#s.breaker;
    const step = admit(before, settings.breaker, now, tenant);
    this.#s.breaker = step.state;
    if (step.state !== before) await this.#persist();
    return { decision: step.decision, snapshot: this.#snapshot(now) };
  }

  /** Operator action: force_open, force_closed, disable, reset. */
  async operate(key: string, op: BreakerOp, settings: HealthSettings, now: number): Promise<ProviderSnapshot> {
    this.#adopt(key, settings, now);
    this.#s.breaker = operate(this.#s.breaker, op, now).state;
    if (op === "reset") {
      this.#s.health = initialHealth();
      this.#s.models = {};
    }
    await this.#persist();
    return this.#snapshot(now);
  }

  override async alarm(): Promise<void> {
    const settings = this.#s.settings;
    if (!settings) return;
    const now = Math.max(this.#now(), this.#s.wakeAt ?? 0);
    this.#s.wakeAt = null;
    this.#s.breaker = tick(this.#s.breaker, settings.breaker, now).state;
    this.#s.health = rotate(this.#s.health, settings.health, now);
    for (const [m, h] of Object.entries(this.#s.models)) {
      const rotated = rotate(h, settings.health, now);
      if (rotated.buckets.length === 0) delete this.#s.models[m];
      else this.#s.models[m] = rotated;
    }
    await this.#persist();
  }

  #adopt(key: string, settings: HealthSettings, now: number): void {
    this.#s.key = key;
    this.#s.settings = settings;
    this.#s.offset = now - Date.now();
  }

  /** Now, on the callers' clock. */
  #now(): number {
    return Date.now() + this.#s.offset;
  }

  #count(sample: OutcomeSample): void {
    const c = this.#s.counters;
    const outcome = sample.errorClass ?? "ok";
    c.requests[outcome] = (c.requests[outcome] ?? 0) + 1;
    if (sample.failover && !sample.errorClass) c.failovers++;
    if (!sample.errorClass) {
      c.latencyBuckets[slotFor(sample.latencyMs)]!++;
      c.latencySumMs += sample.latencyMs;
      c.latencyCount++;
    }
  }

  async #persist(): Promise<void> {
    const settings = this.#s.settings;
    if (settings) {
      // Wake for the next breaker transition, and at the latest when the oldest health bucket should rotate out.
      const now = this.#now();
      const candidates = [nextWakeAt(this.#s.breaker, settings.breaker)];
      if (this.#s.health.buckets.length > 0) candidates.push(now + settings.health.bucketMs);
      const next = candidates.filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
      this.#s.wakeAt = next ?? null;
      if (next !== undefined) await this.ctx.storage.setAlarm(Date.now() + Math.max(1, next - now));
    }
    await this.ctx.storage.put("state", this.#s);
  }

  #snapshot(now: number): ProviderSnapshot {
    const settings = this.#s.settings!;
    const b = this.#s.breaker;
    const health = summarize(this.#s.health, settings.health, now);
    const { score, parts } = healthScore(health, b.state);
    return {
      key: this.#s.key,
      state: b.state,
      since: b.since,
      openUntil: b.openUntil,
      trips: b.trips,
      probesInFlight: b.permits.length,
      score,
      scoreParts: parts,
      health,
      window: windowStats(b, settings.breaker, now),
      models: Object.fromEntries(
        Object.entries(this.#s.models).map(([m, h]) => {
          const summary = summarize(h, settings.health, now);
          return [m, { health: summary, score: healthScore(summary, b.state).score }];
        }),
      ),
      transitions: { ...b.transitions },
      counters: structuredClone(this.#s.counters),
      at: now,
    };
  }
}
