// Record: what the caller, the log, the cache, the tenant's usage and the breakers are told about this request.
/**
 * One `Recorder` per request. Stages report into it as they decide (route, classification, cache label, routing);
 * the engine reports every attempt into it (`attempt`), which it hands to the breakers at once; answering stages ask
 * it for the `Served` description (headers and trace) and for the one JSON log line. Background work (cache writes,
 * usage commits, breaker reports) goes through its one `later` edge.
 */
import type { CanonicalResponse } from "../canonical";
import { tenantFingerprint, type RequestBreakers } from "../breakers/request";
import type { Clock } from "../engine/clock";
import type { ErrorClass } from "../engine/errors";
import type { AttemptReport } from "../engine/types";
import { logRequest, type Logger, type RequestLog } from "../observability/log";
import type { Served, ServedMode } from "../observability/served";
import type { Target } from "../providers/types";
import type { TaskClass } from "../routing/classify";
import type { RoutedRequest } from "../routing/route-request";
import type { RouteOutcome } from "../dashboard/history";
import { UsageCommitLost, type CommitSent } from "./usage-commit";

export interface RecorderContext {
  requestId: string;
  tenant: string;
  path: string;
  startedAt: number;
  clock: Clock;
  log: Logger;
  later: (p: Promise<unknown>) => void;
  /** Redacts configured secrets from upstream messages. */
  clean: (s: string) => string;
  breakers: RequestBreakers;
  /** The trace's notes (shared with the breakers, chaos and the ladder). */
  notes: string[];
  /** The route's history for the dashboard (src/dashboard/route-feed.ts); absent without breakers. */
  served?: (route: string, outcome: Omit<RouteOutcome, "at">) => void;
}

/** Who answered, as `served` takes it: a target, or a stand-in (the cache's provider, a degradation rung). */
export type Answerer = Target | { provider: { id: string }; model: { id: string } };

type Usage = { inputTokens: number; outputTokens: number };

export class Recorder {
  /** `x-detour-cache`: bypass | miss | revalidate | hit; … | stale. */
  cacheLabel = "bypass";
  #about: { route: string; stream: boolean; taskClass?: TaskClass } = { route: "", stream: false };
  #upstreamAt: number | undefined;
  #routed: RoutedRequest | undefined;
  #reports: AttemptReport[] = [];
  #degrading = false;
  #shed = false;
  #cacheWrite: ((res: CanonicalResponse, target: Target) => Promise<unknown>) | undefined;
  #usage: ((target: Target, usage: Usage | undefined, release: boolean) => Promise<unknown>) | undefined;
  #estimatedInput = 0;
  #released = false;
  #remember: ((res: CanonicalResponse) => Promise<unknown>) | undefined;
  #mirror: ((res: CanonicalResponse, target: Target, served: { mode: ServedMode; latencyMs: number }) => void) | undefined;
  readonly #tenant: string;

  constructor(private readonly ctx: RecorderContext) {
    this.#tenant = tenantFingerprint(ctx.tenant);
  }

  /** `s` without any configured secret in it (upstream messages can echo a key). */
  clean(s: string): string {
    return this.ctx.clean(s);
  }

  /** When the request arrived (clock ms). */
  get startedAt(): number {
    return this.ctx.startedAt;
  }

  /** What the log line says about the request (its route and stream flag once resolved, its class once classified). */
  describe(about: { route: string; stream: boolean; taskClass?: TaskClass }): void {
    this.#about = { ...this.#about, ...about };
  }

  /** The live path starts now (after the cache lookup): routing time ends and upstream time begins. */
  upstreamStarts(): void {
    this.#upstreamAt = this.ctx.clock.now();
  }

  /** Routing's decision: its skipped targets open the trace's attempts, and it decides "failover". */
  routed(r: RoutedRequest): void {
    this.#routed = r;
  }

  /** The ladder is running: its reduced request's answer is a degraded one, never a failover. */
  degrading(): void {
    this.#degrading = true;
  }

  /** How to store a finished live answer in the cache (absent: this request does not write it). */
  writesCache(write: (res: CanonicalResponse, target: Target) => Promise<unknown>): void {
    this.#cacheWrite = write;
  }

  /** How to remember a finished live answer for classification from history (absent: not recorded). */
  remembers(write: (res: CanonicalResponse) => Promise<unknown>): void {
    this.#remember = write;
  }

  /** Also hand each finished live answer to shadow traffic (src/pipeline/shadow.ts), with how it was served. */
  mirrors(mirror: (res: CanonicalResponse, target: Target, served: { mode: ServedMode; latencyMs: number }) => void): void {
    this.#mirror = mirror;
  }

  /**
   * How to commit the tenant's actual usage (absent: no limits apply). `release` is true on the request's one commit
   * that gives back its spend reservation; `estimatedInput` prices attempts that failed after a vendor took them.
   */
  commitsUsage(commit: (target: Target, usage: Usage | undefined, release: boolean) => Promise<unknown>, estimatedInput = 0): void {
    this.#usage = commit;
    this.#estimatedInput = estimatedInput;
  }

  /** The engine's report of one attempt (its `onAttempt`): kept for "failover", handed to the breakers now. */
  attempt = (target: Target, r: AttemptReport): void => {
    this.#reports.push(r);
    // A call the vendor took and may bill although it is not the answer: a hedge loser, a body we refused, a cut.
    if (r.outcome === "error" && r.errorClass && BILLABLE_FAILURES.has(r.errorClass)) {
      this.#commit(target, { inputTokens: this.#estimatedInput, outputTokens: r.outputTokens ?? 0 }, false);
    }
    if (r.outcome === "ok" && !this.#degrading && this.mode(this.#reports, target) === "failover") r.failover = true;
    // The breakers' copy carries the tenant's fingerprint; the trace's line does not need it.
    this.ctx.breakers.report(target, { ...r, tenant: this.#tenant });
  };

  /** Primary or failover, for an answer from `target` after `attempts` (see `modeOf`). */
  mode(attempts: AttemptReport[], target: Target): ServedMode {
    return modeOf(attempts, this.#routed?.plan.passedOver ?? false, target);
  }

  later(p: Promise<unknown>): void {
    this.ctx.later(p);
  }

  /** Store a live answer in the cache after the response, when this request writes the cache. */
  store(res: CanonicalResponse, target: Target): void {
    if (this.#cacheWrite) this.later(this.#cacheWrite(res, target).catch((err) => this.ctx.notes.push(`cache write failed: ${String(err)}`)));
    if (this.#remember) this.later(this.#remember(res).catch((err) => this.ctx.notes.push(`history write failed: ${String(err)}`)));
    if (this.#mirror) {
      const ok = this.#reports.find((r) => r.outcome === "ok" && r.provider === target.provider.id && r.model === target.model.id);
      this.#mirror(res, target, { mode: this.mode(this.#reports, target), latencyMs: ok?.latencyMs ?? ok?.ms ?? this.ctx.clock.now() - this.ctx.startedAt });
    }
  }

  /** Commit the tenant's actual usage after the response, when limits apply; releases the request's reservation. */
  commitUsage(target: Target, usage: Usage | undefined): void {
    const release = !this.#released;
    this.#released = true;
    this.#commit(target, usage, release);
  }

  /** No answer was billed (an error, a rung that called nobody): give the spend reservation back. */
  releaseUsage(): void {
    if (this.#released || !this.#usage) return;
    this.#released = true;
    this.#commit({ provider: { id: "detour" }, model: { id: "none" } } as Target, { inputTokens: 0, outputTokens: 0 }, true);
  }

  #commit(target: Target, usage: Usage | undefined, release: boolean): void {
    if (!this.#usage) return;
    // Never swallowed: a commit that fails is spend the cap did not see, and the operator must hear of it. Each line
    // carries the cost the limiter missed (after every re-send, ./usage-commit.ts), so the lines sum to it.
    const about = { request_id: this.ctx.requestId, tenant: this.ctx.tenant, provider: target.provider.id };
    this.later(
      this.#usage(target, usage, release).then(
        (sent) => {
          const tries = (sent as Partial<CommitSent> | undefined)?.tries;
          if (typeof tries === "number" && tries > 1) this.ctx.log.info("usage commit resent", { ...about, tries, duplicate: (sent as CommitSent).duplicate });
        },
        (err) =>
          this.ctx.log.warn("usage commit failed", {
            ...about,
            error: this.ctx.clean(err instanceof Error ? err.message : String(err)),
            ...(err instanceof UsageCommitLost ? { tries: err.tries, cost_usd: err.usage.costUsd, tokens: err.usage.tokens } : {}),
          }),
      ),
    );
  }

  /** How the answer was served, for headers and the trace. */
  served(target: Answerer | undefined, mode: ServedMode | undefined, attempts: AttemptReport[], extra: Partial<Served> = {}): Served {
    const { clock, startedAt, breakers, clean, notes } = this.ctx;
    const now = clock.now();
    const upstreamAt = this.#upstreamAt ?? now;
    return {
      requestId: this.ctx.requestId,
      route: this.#about.route,
      ...(target ? { provider: target.provider.id, model: target.model.id } : {}),
      ...(mode ? { mode } : {}),
      attempts: [...(this.#routed?.skipped ?? []), ...attempts].map((a) => (a.message ? { ...a, message: clean(a.message) } : a)),
      routing: this.#routed?.trace,
      timings: { routingMs: upstreamAt - startedAt, breakerMs: breakers.stats.admitMs, upstreamMs: now - upstreamAt, totalMs: now - startedAt },
      notes,
      breakerCalls: breakers.stats.awaitedCalls,
      cache: this.cacheLabel,
      ...extra,
    };
  }

  /** Load shedding kept the request from every vendor: its one log line (a ladder answer or the error) counts it. */
  shed(): void {
    this.#shed = true;
  }

  /**
   * The request's one JSON log line (no prompt or answer text); its outcome also goes to the route's history. Logging
   * ends the request: an unused reservation is released.
   */
  log(s: Served, fields: Partial<RequestLog> & { status: number }): void {
    this.releaseUsage();
    const about = this.#about;
    // Caller faults (4xx other than 429) say nothing about the route's health and stay out of its history.
    const mode = fields.status >= 500 || fields.status === 429 ? "error" : fields.status < 400 ? s.mode : undefined;
    if (about.route && mode) this.ctx.served?.(about.route, { mode, ...(s.costUsd ? { costUsd: s.costUsd } : {}), ...(s.hedged ? { hedged: true } : {}), ...(this.#shed ? { shed: true } : {}) });
    logRequest(this.ctx.log, {
      request_id: this.ctx.requestId,
      tenant: this.ctx.tenant,
      method: "POST",
      path: this.ctx.path,
      route: about.route,
      stream: about.stream,
      task_class: about.taskClass!,
      ...(s.provider ? { provider: s.provider, model: s.model! } : {}),
      ...(s.mode ? { mode: s.mode } : {}),
      ...(s.cache ? { cache: s.cache } : {}),
      ...(s.degraded ? { degraded: s.degraded } : {}),
      attempts: s.attempts.map((a) => ({
        provider: a.provider,
        outcome: a.outcome,
        ...(a.errorClass ? { error_class: a.errorClass } : {}),
        ...(a.skipReason ? { skip_reason: a.skipReason } : {}),
        ...(a.status ? { status: a.status } : {}),
        ms: Math.round(a.ms),
      })),
      ms: s.timings.totalMs,
      ...(s.costUsd !== undefined ? { cost_usd: s.costUsd } : {}),
      ...fields,
    });
  }
}

/**
 * Failures after which the vendor may still bill: it accepted the call and did (some) work — a 2xx we refused
 * (malformed, empty, failed the caller's checks), a stream cut or stalled, a call we gave up on or called off (a
 * timeout, a hedge loser, a caller gone). Committed at the estimated input and the output tokens seen.
 */
const BILLABLE_FAILURES: ReadonlySet<ErrorClass> = new Set<ErrorClass>(["malformed", "empty", "invalid_output", "stream_cut", "stall", "timeout", "slow", "cancelled"]);

/**
 * `failover` when something unavailable was passed over on the way to the answer: routing left a target out for its
 * breaker or health (`passedOver`, decided in plan.ts), or the engine met an error, an open breaker or throttling on
 * another target. Retries on the target that finally answered, and routing's choices by capability or quality, are
 * not a failover.
 */
export function modeOf(attempts: AttemptReport[], passedOver: boolean, served: Target): ServedMode {
  if (passedOver) return "failover";
  const elsewhere = attempts.filter((a) => a.provider !== served.provider.id || a.model !== served.model.id);
  return elsewhere.some((a) => a.outcome === "error" || a.outcome === "skipped") ? "failover" : "primary";
}
