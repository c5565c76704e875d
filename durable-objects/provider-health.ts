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
import { HistoryStore, type HistoryView } from "../src/dashboard/history-store";
import type { RouteOutcome, TimelineEvent } from "../src/dashboard/history";
import type { BreakerOp, HealthSettings, OutcomeSample, ProbeResult, ProbeSettings, ProviderCounters, ProviderSnapshot } from "../src/breakers/types";
import { chaosFetch } from "../src/chaos/inject";
import { faultFor } from "../src/chaos/faults";
import { systemClock, withTimeout } from "../src/engine/clock";
import { UpstreamError } from "../src/engine/errors";
import { chaosStub } from "../src/platform/stubs";
import { providerFor } from "../src/providers/registry";
import { DEFAULT_SIMULATED_SLEEP, simulatedFetch } from "../src/providers/simulated";
import { admit, initialBreaker, nextWakeAt, operate, probeAnswered, record, tick, windowStats, type AdmitDecision, type BreakerState, type Transition } from "../src/resilience/breaker";
import { freshEvidence, initialHealth, LATENCY_BOUNDS_MS, recordHealth, rotate, slotFor, summarize, type HealthState } from "../src/resilience/health";
import { nextProbeAt, probeDue, probeRequest } from "../src/resilience/probe";
import { excludable, healthScore } from "../src/resilience/score";
import type { ReadinessBook, ShadowSample } from "../src/readiness/score";
import { applyShadow, readinessOf } from "../src/readiness/store";

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
  /** When the last active probe started (callers' clock), and how it went. */
  lastProbeAt?: number | null;
  lastProbe?: ProbeResult | null;
  /** Shadow comparisons of this provider's models as candidate fallbacks (src/readiness/store.ts). */
  readiness?: ReadinessBook;
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

  /** The dashboard's per-minute series and incident timeline (src/dashboard/history.ts). */
  #history: HistoryStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#history = new HistoryStore(ctx.storage);
    ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<Stored>("state");
      if (stored) this.#s = { ...this.#s, ...stored };
      await this.#history.load();
    });
  }

  /** The provider-fetch edge for probes of real vendors; tests replace it with their fake vendors. */
  probeFetch: typeof fetch = (input, init) => fetch(input, init);
  #probing = false;

  /** Apply a batch of outcomes; returns the new snapshot (so the reporting isolate is up to date at once). */
  async record(key: string, samples: OutcomeSample[], settings: HealthSettings, now: number): Promise<ProviderSnapshot> {
    this.#adopt(key, settings, now);
    const s = this.#s;
    const transitions: Transition[] = [];
    for (const sample of samples) {
      const step = record(s.breaker, settings.breaker, { ...(sample.errorClass ? { errorClass: sample.errorClass } : {}), durationMs: sample.durationMs, probe: sample.probe, ...(sample.tenant !== undefined ? { tenant: sample.tenant } : {}) }, sample.at, Math.random());
      s.breaker = step.state;
      transitions.push(...step.transitions);
      this.#freshIfProven(step.transitions);
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
    await this.#history.outcomes(samples, transitions, key, s.breaker.state, now);
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

  /** Shadow comparisons for one (route, target) of this provider (src/readiness/store.ts). */
  async recordShadow(route: string, target: string, samples: ShadowSample[], window: number): Promise<void> {
    this.#s.readiness = applyShadow(this.#s.readiness, route, target, samples, window);
    await this.#persist();
  }

  /** Operator action: force_open, force_closed, disable, reset. */
  async operate(key: string, op: BreakerOp, settings: HealthSettings, now: number): Promise<ProviderSnapshot> {
    this.#adopt(key, settings, now);
    const from = this.#s.breaker.state;
    this.#s.breaker = operate(this.#s.breaker, op, now).state;
    await this.#history.event({ at: now, kind: "operator", key, from, to: this.#s.breaker.state, what: op });
    if (op === "reset") {
      this.#s.health = initialHealth();
      this.#s.models = {};
    }
    await this.#persist();
    return this.#snapshot(now);
  }

  /** A route's served outcomes (objects named `route:<name>` keep only these and their timeline). */
  async recordRoute(outcomes: RouteOutcome[], now: number): Promise<void> {
    await this.#history.route(outcomes, now);
  }

  /** An event for the timeline from outside the object (a drill started or stopped). */
  async note(event: TimelineEvent): Promise<void> {
    await this.#history.event(event);
  }

  /** The dashboard's view: the last `minutes` of points and the timeline. */
  async history(key: string, now: number, minutes: number): Promise<HistoryView> {
    return this.#history.view(key, this.#s.breaker.state, now, minutes);
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
    await this.#probe(settings, now);
  }

  /**
   * One active probe when one is due (src/resilience/probe.ts): a HALF_OPEN breaker lends it a permit like any
   * probe; its answer moves the breaker through `probeAnswered`. Runs inside the alarm; `#probing` keeps it single.
   */
  async #probe(settings: HealthSettings, now: number): Promise<void> {
    const probe = settings.probe;
    if (!probe || this.#probing || !probeDue(this.#s.breaker, settings.breaker, probe, this.#s.lastProbeAt ?? null, now)) return;
    if (this.#s.breaker.state === "HALF_OPEN") {
      const step = admit(this.#s.breaker, settings.breaker, now);
      if (!step.decision.allowed) return;
      this.#s.breaker = step.state;
    }
    this.#s.lastProbeAt = now;
    await this.#persist();
    this.#probing = true;
    let result: ProbeResult;
    try {
      result = await this.#call(probe, now);
    } finally {
      this.#probing = false;
    }
    const at = Math.max(this.#now(), now);
    const step = probeAnswered(this.#s.breaker, settings.breaker, { ...(result.errorClass ? { errorClass: result.errorClass } : {}), durationMs: result.ms }, at, Math.random());
    this.#s.breaker = step.state;
    this.#s.lastProbe = result;
    this.#freshIfProven(step.transitions);
    await this.#persist();
  }

  /** Send the probe through the provider's own adapter and the same fetch edge (and active drill faults) as callers. */
  async #call(probe: ProbeSettings, now: number): Promise<ProbeResult> {
    const provider = probe.provider;
    const model = provider.models.find((m) => m.id === probe.model) ?? provider.models[0]!;
    const env = this.env as unknown as Record<string, unknown>;
    const base = provider.kind === "simulated" ? simulatedFetch(provider, DEFAULT_SIMULATED_SLEEP) : this.probeFetch;
    const fault = await this.#fault(provider.id, now);
    const key = provider.apiKeySecret ? env[provider.apiKeySecret] : undefined;
    const started = Date.now();
    try {
      await providerFor(provider.kind).complete(probeRequest(), { provider, model }, {
        fetch: fault ? chaosFetch(base, fault, provider.kind, systemClock) : base,
        signal: AbortSignal.timeout(probe.timeoutMs),
        apiKey: typeof key === "string" && key !== "" ? key : undefined,
        ...(env.AI ? { ai: env.AI as never } : {}),
        now: () => this.#now(),
      });
      return { at: now, ms: Date.now() - started, model: model.id };
    } catch (err) {
      const errorClass = err instanceof UpstreamError ? err.errorClass : (err as Error)?.name === "TimeoutError" ? "timeout" : "network";
      return { at: now, ms: Date.now() - started, model: model.id, errorClass, ...(fault ? { chaos: fault.id } : {}) };
    }
  }

  /**
   * The drill fault active on this provider, so a probe fails during an in-Detour outage exactly as callers' requests
   * do (otherwise a drill would close the breaker on a provider its callers cannot reach). Best effort: unreadable
   * faults mean none.
   */
  async #fault(providerId: string, now: number) {
    if (!this.env.CHAOS) return undefined;
    try {
      const faults = await withTimeout(chaosStub(this.env).list(now), 500, systemClock);
      return faultFor(faults, providerId, "", now, Math.random());
    } catch {
      return undefined;
    }
  }

  /** A probe that closed the breaker proves the provider again: older health evidence may no longer exclude it. */
  #freshIfProven(transitions: Transition[]): void {
    if (!transitions.some((t) => t.to === "CLOSED" && (t.reason === "probes_succeeded" || t.reason === "active_probe"))) return;
    this.#s.health = freshEvidence(this.#s.health);
    for (const [m, h] of Object.entries(this.#s.models)) this.#s.models[m] = freshEvidence(h);
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
    if (sample.check) {
      const perModel = ((c.validation ??= {})[sample.model] ??= {});
      perModel[sample.check] = (perModel[sample.check] ?? 0) + 1;
    }
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
      if (settings.probe) candidates.push(nextProbeAt(this.#s.breaker, settings.breaker, settings.probe, this.#s.lastProbeAt ?? null));
      if (this.#s.health.buckets.length > 0) candidates.push(now + settings.health.bucketMs);
      const next = candidates.filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
      this.#s.wakeAt = next ?? null;
      if (next !== undefined) await this.ctx.storage.setAlarm(Date.now() + Math.max(1, next - now));
    }
    await this.ctx.storage.put("state", this.#s);
    if (this.#s.key) await this.#history.sync(this.#s.key, this.#s.breaker);
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
      lastProbe: this.#s.lastProbe ?? null,
      score,
      excludable: excludable(health, b.state, settings.health),
      scoreParts: parts,
      health,
      window: windowStats(b, settings.breaker, now),
      models: Object.fromEntries(
        Object.entries(this.#s.models).map(([m, h]) => {
          const summary = summarize(h, settings.health, now);
          return [m, { health: summary, score: healthScore(summary, b.state).score, excludable: excludable(summary, b.state, settings.health) }];
        }),
      ),
      transitions: { ...b.transitions },
      counters: structuredClone(this.#s.counters),
      ...(this.#s.readiness ? { readiness: readinessOf(this.#s.readiness) } : {}),
      at: now,
    };
  }
}
