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
import type { BreakerOp, HealthSettings, OutcomeSample, ProbeResult, ProbeSettings, ProviderSnapshot } from "../src/breakers/types";
import { chaosFetch } from "../src/chaos/inject";
import { faultFor } from "../src/chaos/faults";
import { systemClock, withTimeout } from "../src/engine/clock";
import { UpstreamError } from "../src/engine/errors";
import { chaosStub } from "../src/platform/stubs";
import { providerFor } from "../src/providers/registry";
import { DEFAULT_SIMULATED_SLEEP, simulatedFetch } from "../src/providers/simulated";
import { addSamples, globalMaxAgeMs, globalOverrides, type SampleGroup } from "../src/resilience/aggregate";
import { admit, beginRecord, effectiveState, initialBreaker, nextWakeAt, operate, probeAnswered, recordInto, tick, type AdmitDecision, type Transition } from "../src/resilience/breaker";
import { freshEvidence, healthWorkingCopy, initialHealth, recordHealthInto, rotate } from "../src/resilience/health";
import { nextProbeAt, probeDue, probeRequest } from "../src/resilience/probe";
import { healthScore } from "../src/resilience/score";
import type { ShadowSample } from "../src/readiness/score";
import { applyShadow } from "../src/readiness/store";
import { countSample, emptyCounters, snapshotOf, type Stored } from "./health-snapshot";

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
    const transitions = this.#apply(samples.map((s) => ({ s, n: 1 })));
    this.#s.breaker = tick(this.#s.breaker, settings.breaker, now).state;
    await this.#history.outcomes(samples, transitions, key, this.#s.breaker.state, now);
    if (this.#parent()) {
      this.#s.forward = addSamples(this.#s.forward ?? null, samples, now);
      // A probe's answer decides the global half-open breaker: it goes up now, not at the next forward.
      if (samples.some((x) => x.probe)) await this.#forward(now);
    }
    await this.#persist();
    return this.#served(now);
  }

  /**
   * The global object (`resilience.aggregation: "location"`): a location object's forwarded window, `n` like samples
   * per group, applied as that many outcomes. Answers with the global snapshot, which the location serves from.
   */
  async absorb(key: string, from: string, groups: SampleGroup[], settings: HealthSettings, now: number): Promise<ProviderSnapshot> {
    this.#adopt(key, settings, now);
    const transitions = this.#apply(groups);
    this.#s.breaker = tick(this.#s.breaker, settings.breaker, now).state;
    (this.#s.locations ??= {})[from] = now;
    await this.#history.outcomes(groups.flatMap((g) => new Array<OutcomeSample>(g.n).fill(g.s)), transitions, key, this.#s.breaker.state, now);
    await this.#persist();
    return snapshotOf(this.#s, now);
  }

  /**
   * Outcomes into the breaker, health and counters: `n` like samples per group (1 for an isolate's own batch). The
   * breaker and health are copied once per batch and changed in place (`recordInto`, `recordHealthInto`): the same
   * state as applying `recordMany` and `recordHealth` sample by sample, without a copy per sample.
   */
  #apply(groups: SampleGroup[]): Transition[] {
    const s = this.#s;
    const settings = s.settings!;
    const transitions: Transition[] = [];
    const breaker = beginRecord(s.breaker);
    s.health = healthWorkingCopy(s.health);
    for (const m of Object.keys(s.models)) s.models[m] = healthWorkingCopy(s.models[m]!);
    for (const { s: sample, n } of groups) {
      const outcome = { ...(sample.errorClass ? { errorClass: sample.errorClass } : {}), durationMs: sample.durationMs, probe: sample.probe, ...(sample.tenant !== undefined ? { tenant: sample.tenant } : {}) };
      const step = recordInto(breaker, settings.breaker, outcome, n, sample.at, Math.random());
      transitions.push(...step);
      this.#freshIfProven(step);
      const h = {
        ...(sample.errorClass ? { errorClass: sample.errorClass } : {}),
        latencyMs: sample.latencyMs,
        ...(sample.ttftMs !== undefined ? { ttftMs: sample.ttftMs } : {}),
        ...(sample.outputTokens !== undefined ? { outputTokens: sample.outputTokens } : {}),
        ...(sample.refusal ? { refusal: true } : {}),
      };
      recordHealthInto(s.health, settings.health, h, sample.at, n);
      recordHealthInto((s.models[sample.model] ??= initialHealth()), settings.health, h, sample.at, n);
      countSample(s.counters, sample, n);
    }
    s.breaker = breaker;
    return transitions;
  }

  /** The current snapshot (after any time-driven transition that is due). */
  async snapshot(key: string, settings: HealthSettings, now: number): Promise<ProviderSnapshot> {
    this.#adopt(key, settings, now);
    const before = this.#s.breaker;
    this.#s.breaker = tick(before, settings.breaker, now).state;
    let changed = this.#s.breaker !== before;
    // A location object that has not heard the global breaker lately asks now, so a cold location does not send
    // its first requests to a provider the rest of the world already opened.
    const g = this.#s.global;
    if (this.#parent() && (!g || now - g.at > globalMaxAgeMs(settings.aggregate!.forwardMs)) && now >= (this.#s.lastForwardAt ?? 0) + settings.aggregate!.forwardMs) {
      await this.#forward(now);
      changed = true;
    }
    if (changed) await this.#persist();
    return this.#served(now);
  }

  /** Win (or be denied) a call permit when the breaker is not CLOSED. The only DO call a request ever awaits. */
  async acquireProbe(key: string, settings: HealthSettings, now: number, tenant?: string): Promise<{ decision: AdmitDecision; snapshot: ProviderSnapshot }> {
    this.#adopt(key, settings, now);
    const global = this.#s.global;
    if (this.#parent() && globalOverrides(this.#s.breaker.state, global, now, globalMaxAgeMs(settings.aggregate!.forwardMs)) && effectiveState(global, now) === "HALF_OPEN") {
      // The global breaker is the stricter and half-open: its permits are the ones that count.
      try {
        const res = await withTimeout(this.#globalStub().acquireProbe(settings.aggregate!.parent, settings, now, tenant), FORWARD_TIMEOUT_MS, systemClock);
        this.#s.global = { state: res.snapshot.state, since: res.snapshot.since, openUntil: res.snapshot.openUntil, at: now };
        await this.#persist();
        return { decision: res.decision, snapshot: this.#served(now) };
      } catch {
        // Unreachable: decide on this location's own breaker.
      }
    }
    const before = this.#s.breaker;
    const step = admit(before, settings.breaker, now, tenant);
    this.#s.breaker = step.state;
    if (step.state !== before) await this.#persist();
    return { decision: step.decision, snapshot: this.#served(now) };
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
    return this.#served(now);
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
    if (this.#parent() && this.#forwardWanted(now) && now >= (this.#s.lastForwardAt ?? 0) + settings.aggregate!.forwardMs) await this.#forward(now);
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

  async #persist(): Promise<void> {
    const settings = this.#s.settings;
    if (settings) {
      // Wake for the next breaker transition, and at the latest when the oldest health bucket should rotate out.
      const now = this.#now();
      const candidates = [nextWakeAt(this.#s.breaker, settings.breaker)];
      if (settings.probe) candidates.push(nextProbeAt(this.#s.breaker, settings.breaker, settings.probe, this.#s.lastProbeAt ?? null));
      if (this.#s.health.buckets.length > 0) candidates.push(now + settings.health.bucketMs);
      // A location object forwards at most once per `forwardMs`, and only while there is something to say or hear.
      if (this.#parent() && this.#forwardWanted(now)) candidates.push(Math.max(now, (this.#s.lastForwardAt ?? 0) + settings.aggregate!.forwardMs));
      const next = candidates.filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
      this.#s.wakeAt = next ?? null;
      if (next !== undefined) await this.ctx.storage.setAlarm(Date.now() + Math.max(1, next - now));
    }
    await this.ctx.storage.put("state", this.#s);
    if (this.#s.key) await this.#history.sync(this.#s.key, this.#s.breaker);
  }

  /**
   * What isolates are served: this object's snapshot, except that a location object serves the global breaker's
   * state when it is the stricter and recently heard (src/resilience/aggregate.ts).
   */
  #served(now: number): ProviderSnapshot {
    const snap = snapshotOf(this.#s, now);
    const forwardMs = this.#parent() ? this.#s.settings!.aggregate!.forwardMs : undefined;
    if (forwardMs === undefined) return snap;
    const global = this.#s.global ?? null;
    const tiers = { local: snap.state, global: global ? { state: global.state, at: global.at } : null };
    if (!globalOverrides(snap.state, global, now, globalMaxAgeMs(forwardMs))) return { ...snap, tiers };
    const { score, parts } = healthScore(snap.health, global.state);
    return { ...snap, state: global.state, since: global.since, openUntil: global.openUntil, score, scoreParts: parts, tiers };
  }

  /** The global object's name when this is a location object (its key is not its provider's), else undefined. */
  #parent(): string | undefined {
    const agg = this.#s.settings?.aggregate;
    if (!agg || agg.parent === this.#s.key) return undefined;
    // Named like its key with any prefix the caller's namespace adds (tests isolate their objects by one).
    const name = this.ctx.id.name;
    return name?.endsWith(this.#s.key) ? name.slice(0, name.length - this.#s.key.length) + agg.parent : agg.parent;
  }

  #globalStub(): ProviderHealth {
    const ns = this.env.PROVIDER_HEALTH;
    return ns.get(ns.idFromName(this.#parent()!)) as unknown as ProviderHealth;
  }

  /** Is a forward due: outcomes waiting, or a global breaker not CLOSED whose recovery this location must hear of. */
  #forwardWanted(now: number): boolean {
    const g = this.#s.global;
    return !!this.#s.forward || (!!g && g.state !== "CLOSED" && g.state !== "DISABLED" && now - g.at <= globalMaxAgeMs(this.#s.settings!.aggregate!.forwardMs) * 4);
  }

  /** Send the waiting window to the global object and keep its answer; on failure the window waits for the next try. */
  async #forward(now: number): Promise<void> {
    const settings = this.#s.settings!;
    const window = this.#s.forward ?? null;
    this.#s.forward = null;
    this.#s.lastForwardAt = now;
    try {
      const groups = window ? Object.values(window.groups) : [];
      const g = await withTimeout(this.#globalStub().absorb(settings.aggregate!.parent, this.#s.key, groups, settings, now), FORWARD_TIMEOUT_MS, systemClock);
      this.#s.global = { state: g.state, since: g.since, openUntil: g.openUntil, at: now };
    } catch {
      if (window) for (const g of Object.values(window.groups)) this.#s.forward = addSamples(this.#s.forward ?? null, new Array<OutcomeSample>(g.n).fill(g.s), window.since);
    }
  }
}

/** Longest a location object waits for the global object's answer to a forward. */
const FORWARD_TIMEOUT_MS = 2_000;
