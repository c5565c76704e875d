/**
 * One request's link to the breakers: which key each target's breaker lives under, admission through the isolate's
 * view, and each attempt's report handed to the view as it happens (failures and probes reach the object at once,
 * in `waitUntil`; successes are batched by the view). Without a PROVIDER_HEALTH binding, breakers are off and the
 * trace says so.
 */
import type { DetourConfig } from "../config/schema";
import { breakerConfigFor } from "../config/schema";
import type { Clock } from "../engine/clock";
import type { Admission, AttemptReport } from "../engine/types";
import type { Target } from "../providers/types";
import type { HealthSettings, OutcomeSample } from "./types";
import { healthStub } from "../platform/stubs";
import { isolateView, type BreakerView, type HealthStub, type ReportOptions, type ViewOptions } from "./view";

/** The slice of bindings this module needs (optional: without it, breakers are off and say so). */
export type HealthBindings = Partial<Pick<Env, "PROVIDER_HEALTH">>;

/** Where the caller is, for regional breakers (from `request.cf`). */
export interface Locality {
  continent?: string;
  colo?: string;
}

/**
 * The object a caller at `where` talks to for a provider: its own (`regional: "off"`), its region's, or — with
 * `aggregation: "location"` — its colo's location object, named as `regional: "colo"` names breakers; with no colo
 * known (or no caller: /status, the dashboard) the provider's global object.
 */
export function breakerKey(config: DetourConfig, providerId: string, where: Locality): string {
  if (config.resilience.aggregation === "location") return where.colo ? `${providerId}@${where.colo}` : providerId;
  const r = config.resilience.regional;
  const region = r === "continent" ? where.continent : r === "colo" ? where.colo : undefined;
  return region ? `${providerId}@${region}` : providerId;
}

const CONTINENTS = new Set(["AF", "AN", "AS", "EU", "NA", "OC", "SA"]);

/**
 * Why `region` names no breaker that traffic uses (`breakerKey` above: an admin action's `region`), or undefined. Without this,
 * `force_open` on a region the config does not keep a breaker for answered FORCED_OPEN and changed nothing.
 */
export function regionProblem(config: DetourConfig, region: string): string | undefined {
  const colo = /^[A-Z]{3}$/.test(region) ? undefined : `'${region}' is not a colo code (three capital letters, like FRA)`;
  if (config.resilience.aggregation === "location") return colo;
  switch (config.resilience.regional) {
    case "continent":
      return CONTINENTS.has(region) ? undefined : `'${region}' is not a continent code (${[...CONTINENTS].join(", ")})`;
    case "colo":
      return colo;
    default:
      return 'resilience.regional is "off": each provider has one breaker; drop "region"';
  }
}

/**
 * The settings the target's breaker object runs with, including what it needs to probe the provider while open (the
 * target's own model: the one callers were failing on). Built once per config and target, since it goes with every
 * call to the object.
 */
export function settingsFor(config: DetourConfig, target: Target): HealthSettings {
  let byModel = settingsMemo.get(target.provider);
  if (!byModel || byModel.config !== config) settingsMemo.set(target.provider, (byModel = { config, settings: new Map() }));
  let settings = byModel.settings.get(target.model.id);
  if (!settings) {
    settings = {
      breaker: breakerConfigFor(config, target.provider),
      health: config.resilience.health,
      probe: { ...config.resilience.probe, provider: target.provider, model: target.model.id },
      ...(config.resilience.aggregation === "location" ? { aggregate: { parent: target.provider.id, forwardMs: config.resilience.forwardMs } } : {}),
    };
    byModel.settings.set(target.model.id, settings);
  }
  return settings;
}
const settingsMemo = new WeakMap<Target["provider"], { config: DetourConfig; settings: Map<string, HealthSettings> }>();

export class RequestBreakers {
  /** Fail-open and other breaker notes for the trace. */
  readonly notes: string[] = [];
  /** Durable Object calls this request waited for, and how long admission took in all (Server-Timing "breaker"). */
  readonly stats = { awaitedCalls: 0, admitMs: 0 };
  /** One stub per key for the request, so its reports reach the object in the order they happened. */
  #stubs = new Map<string, HealthStub>();
  #opts: ViewOptions;
  /** `#opts` plus how reports batch, built once per request rather than once per report. */
  #reportOpts: ViewOptions & ReportOptions;

  constructor(
    private readonly config: DetourConfig,
    private readonly env: HealthBindings,
    private readonly where: Locality,
    clock: Clock,
    background: (p: Promise<unknown>) => void,
    private readonly view: BreakerView = isolateView,
    tenant?: string,
  ) {
    // The DO timeout runs on the request's clock, so a test's manual clock can fire it for an object that never answers.
    this.#opts = { ttlMs: config.resilience.snapshotTtlMs, timeoutMs: config.resilience.doTimeoutMs, now: clock.now, background, sleep: clock.sleep };
    if (tenant !== undefined) this.#opts.tenant = tenantFingerprint(tenant);
    const res = config.resilience;
    const failures = res.aggregation === "location" ? { failureFlushMs: res.failureFlushMs, failureBatch: res.failureBatch } : {};
    this.#reportOpts = { ...this.#opts, flushMs: res.reportFlushMs, ...failures };
    if (!env.PROVIDER_HEALTH) this.notes.push("breakers off: no PROVIDER_HEALTH Durable Object binding");
  }

  key(target: Target): string {
    return breakerKey(this.config, target.provider.id, this.where);
  }

  admit = async (target: Target): Promise<Admission> => {
    if (!this.env.PROVIDER_HEALTH) return { allowed: true, reason: "closed", probe: false };
    const key = this.key(target);
    const started = performance.now();
    try {
      return await this.view.admit(key, () => healthStub(this.env, key), settingsFor(this.config, target), this.#opts, this.notes, this.stats);
    } finally {
      this.stats.admitMs += performance.now() - started;
    }
  };

  /**
   * Load snapshots a fresh isolate lacks for these targets (in parallel), so routing ranks on real health. Undefined
   * (nothing to wait for) when the isolate holds every one, as a warm isolate does on every request.
   */
  warm(targets: Target[]): Promise<void> | undefined {
    if (!this.env.PROVIDER_HEALTH) return undefined;
    const keys = new Map(targets.map((t) => [this.key(t), t] as const));
    let cold: [string, Target][] | undefined;
    for (const [key, t] of keys) if (!this.view.ready(key, () => healthStub(this.env, key), settingsFor(this.config, t), this.#opts, this.notes)) (cold ??= []).push([key, t]);
    return cold && this.#warmCold(cold);
  }

  async #warmCold(cold: [string, Target][]): Promise<void> {
    const started = performance.now();
    await Promise.all(cold.map(([key, t]) => this.view.warm(key, () => healthStub(this.env, key), settingsFor(this.config, t), this.#opts, this.notes, this.stats)));
    this.stats.admitMs += performance.now() - started;
  }

  /**
   * Hand one attempt's report to the breaker view now (engine callback, through the recorder). Skips never reached
   * the provider; a cancelled attempt says nothing about it and is sent only to give a probe permit back.
   */
  report(target: Target, r: AttemptReport): void {
    if (!this.env.PROVIDER_HEALTH || r.outcome === "skipped" || (r.cancelled && !r.probe)) return;
    const key = this.key(target);
    const stub = () => this.#stub(key);
    this.view.report(key, stub, settingsFor(this.config, target), [toSample(r, this.#opts.now())], this.#reportOpts);
  }

  /** Seconds until the soonest skipped breaker may admit a probe (for Retry-After). */
  retryAfterSeconds(targets: Target[]): number {
    const now = this.#opts.now();
    const waits = targets
      .map((t) => this.view.get(this.key(t))?.openUntil)
      .filter((x): x is number => typeof x === "number")
      .map((until) => Math.ceil(Math.max(0, until - now) / 1000));
    return Math.max(1, Math.min(...waits, 60));
  }

  #stub(key: string): HealthStub {
    let stub = this.#stubs.get(key);
    if (!stub) this.#stubs.set(key, (stub = healthStub(this.env, key)));
    return stub;
  }
}

/** An attempt report as the ProviderHealth object takes it. */
export function toSample(r: AttemptReport, at: number): OutcomeSample {
  return {
    at,
    model: r.model,
    ...(r.cancelled ? { errorClass: "cancelled" as const } : r.errorClass ? { errorClass: r.errorClass } : {}),
    durationMs: r.ms,
    latencyMs: r.latencyMs ?? r.ms,
    ...(r.ttftMs !== undefined ? { ttftMs: r.ttftMs } : {}),
    ...(r.outputTokens !== undefined ? { outputTokens: r.outputTokens } : {}),
    ...(r.refusal ? { refusal: true } : {}),
    ...(r.check ? { check: r.check } : {}),
    probe: r.probe === true,
    ...(r.failover ? { failover: true } : {}),
    ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
  };
}

/**
 * A tenant's short, stable fingerprint for breaker samples (FNV-1a, 32 bits, hex): enough to tell tenants apart in
 * a breaker's window, and never the tenant's key or name on the wire or in storage.
 */
export function tenantFingerprint(tenant: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < tenant.length; i++) {
    h ^= tenant.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
