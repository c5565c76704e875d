/**
 * In-flight slow-call detection: a hang or brownout is visible while calls are still waiting, long before any of them
 * times out. Per breaker key, the isolate keeps the attempts in flight with their start time and the time after which
 * each counts as slow (`slowAfterMs`: the provider's own observed p99 × a factor, with a floor — see `slowThreshold`).
 * When at least `minSlow` in-flight attempts are slow, and they are at least `minSlowShare` of the provider's calls in
 * flight, the provider is SUSPECT: routing passes it over and the engine abandons its attempts that have waited past
 * `floorMs` without sending a byte to their caller (however long their own threshold). It stays suspect until one of its attempts succeeds in normal time or `coolDownMs`
 * passes without new evidence.
 *
 * Pure and isolate-local: `now` and the settings are arguments, nothing is shared between isolates (the slow attempts'
 * reports reach the shared breaker, which is how other isolates learn of it). Memory is bounded by `maxEntries`
 * attempts and keys; settled attempts are dropped at once.
 */
import * as z from "../zod";

/** `resilience.inflight` (docs/breakers.md "In-flight slow detection"). */
export const InflightConfig = z.strictObject({
  /** Off: attempts wait for their first-byte timeout as before. */
  enabled: z._default(z.boolean(), true),
  /** An attempt is slow past `factor` × the provider/model's observed p99 (TTFT for streams, latency for JSON). */
  factor: z._default(z.number().check(z.gte(1), z.lte(100)), 4),
  /** Never slow before this, however fast the history: guards against a tight p99 on thin traffic. */
  floorMs: z._default(z.number().check(z.int(), z.gte(50), z.lte(600_000)), 1000),
  /** Slow threshold when the provider/model has no history yet (a cold isolate or a new model). */
  defaultMs: z._default(z.number().check(z.int(), z.gte(50), z.lte(600_000)), 5000),
  /** JSON: per output token when the provider has no tokens/s history, to stretch the threshold for long answers. */
  msPerToken: z._default(z.number().check(z.gte(0), z.lte(10_000)), 20),
  /** Slow in-flight attempts needed before a provider is suspect: one slow call is a tail, several are a hang. */
  minSlow: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 3),
  /** …and their share of the provider's attempts in flight, so a busy provider's normal tail is not a hang. */
  minSlowShare: z._default(z.number().check(z.gte(0), z.lte(1)), 0.1),
  /**
   * Thin traffic (fewer than `minSlow` calls in flight to the provider, e.g. one caller at a time): an attempt whose
   * slow threshold comes from the provider's own history moves on once past it, when another target can start.
   * Without it such callers wait out the first-byte timeout on a hung provider until its breaker opens.
   */
  alone: z._default(z.boolean(), true),
  /** A suspect provider is trusted again this long after the last slow evidence (or at once on a normal success). */
  coolDownMs: z._default(z.number().check(z.int(), z.gte(100), z.lte(600_000)), 10_000),
  /** Most attempts (and keys) tracked per isolate; beyond it the oldest are forgotten. */
  maxEntries: z._default(z.number().check(z.int(), z.gte(10), z.lte(100_000)), 2000),
});
export type InflightConfig = z.infer<typeof InflightConfig>;

/** What the health history says about a provider/model, for `slowThreshold`. */
export interface LatencyHistory {
  /** p99 time to first token (streams), ms; null without data. */
  ttftP99Ms: number | null;
  /** p99 whole-call latency (JSON), ms; null without data. */
  latencyP99Ms: number | null;
  /** Output tokens per second of generation; null without token counts. */
  tokensPerSecond: number | null;
}

/**
 * After how long an attempt counts as slow. Streams are judged on time to first content, which does not grow with the
 * answer. JSON answers arrive whole, so a long answer is slow for a good reason: the threshold is stretched to cover
 * the caller's `max_tokens` at the provider's observed per-token rate (or `msPerToken` without one). `fromHistory`: the
 * provider's history set it (not `defaultMs`), which only then lets a lone call be judged on it (`alone`).
 */
export function slowThreshold(
  cfg: InflightConfig,
  h: LatencyHistory | undefined,
  req: { stream: boolean; maxOutputTokens?: number | undefined },
): { ms: number; fromHistory: boolean } {
  const p99 = req.stream ? h?.ttftP99Ms : h?.latencyP99Ms;
  const fromHistory = p99 !== null && p99 !== undefined;
  let base = fromHistory ? cfg.factor * p99 : cfg.defaultMs;
  if (!req.stream && req.maxOutputTokens !== undefined) {
    const perToken = h?.tokensPerSecond ? 1000 / h.tokensPerSecond : cfg.msPerToken;
    base = Math.max(base, cfg.factor * req.maxOutputTokens * perToken);
  }
  return { ms: Math.round(Math.max(cfg.floorMs, base)), fromHistory };
}

interface Attempt {
  key: string;
  startedAt: number;
  slowAt: number;
  /** Abandon the attempt, saying why (only when there is another target to start instead); absent otherwise. */
  abandon?: (why: string) => void;
  /** Its threshold came from the provider's history (not `defaultMs`): evidence enough to judge it alone. */
  historic: boolean;
}

interface KeyState {
  inflight: Set<number>;
  /** Suspect until this time (0: not suspect). */
  suspectUntil: number;
}

/** What `overdue` found. */
export interface OverdueVerdict {
  /** The provider is suspect now. */
  suspect: boolean;
  /** Slow attempts in flight to the provider, and all attempts in flight to it. */
  slow: number;
  inflight: number;
}

/** One isolate's in-flight attempts per breaker key. */
export class InflightTracker {
  #next = 1;
  #attempts = new Map<number, Attempt>();
  #keys = new Map<string, KeyState>();

  /** Register an attempt to `key` that counts as slow from `now + slowAfter`; returns its id. */
  start(key: string, now: number, slowAfter: number, cfg: InflightConfig, abandon?: (why: string) => void, historic = false): number {
    const id = this.#next++;
    this.#attempts.set(id, { key, startedAt: now, slowAt: now + slowAfter, historic, ...(abandon ? { abandon } : {}) });
    this.#key(key).inflight.add(id);
    this.#bound(cfg.maxEntries);
    return id;
  }

  /**
   * The attempt has ended (answered, failed, or abandoned). A success before its slow time clears the provider's
   * suspicion: it is answering in normal time again.
   */
  settle(id: number, now: number, ok: boolean): void {
    const a = this.#attempts.get(id);
    if (!a) return;
    this.#attempts.delete(id);
    const k = this.#keys.get(a.key);
    if (!k) return;
    k.inflight.delete(id);
    if (ok && now < a.slowAt) k.suspectUntil = 0;
    if (k.inflight.size === 0 && k.suspectUntil <= now) this.#keys.delete(a.key);
  }

  /**
   * Judge the provider of attempt `id` at `now` (the engine calls this from the attempt's own timer, first at
   * `min(slowAt, start + floorMs)`, then every `RECHECK_MS`): the provider becomes suspect when enough of its calls in
   * flight are slow, and while it is suspect this attempt is abandoned once it has waited past the floor, however long
   * its own threshold (a JSON call stretched for a large `max_tokens`, or one started before there was any history).
   *
   * Only the attempt being judged is abandoned, never another request's: the Workers runtime does not let one
   * request's event settle another request's I/O, so every waiting attempt checks for itself on its own timer.
   */
  overdue(id: number, now: number, cfg: InflightConfig): OverdueVerdict {
    const a = this.#attempts.get(id);
    if (!a) return { suspect: false, slow: 0, inflight: 0 };
    const k = this.#key(a.key);
    const slow = [...k.inflight].map((i) => this.#attempts.get(i)).filter((x): x is Attempt => x !== undefined && now >= x.slowAt);
    const inflight = k.inflight.size;
    if (slow.length >= cfg.minSlow && slow.length >= cfg.minSlowShare * inflight) k.suspectUntil = now + cfg.coolDownMs;
    const suspect = k.suspectUntil > now;
    if (suspect && now >= Math.min(a.slowAt, a.startedAt + cfg.floorMs)) a.abandon?.("its calls in flight are slow");
    // Thin traffic never reaches `minSlow`: a lone call past a threshold from the provider's own history is evidence
    // enough for this request to move on (it is reported `slow`, so the breaker still decides for everyone).
    else if (cfg.alone && a.historic && inflight < cfg.minSlow && now >= a.slowAt) a.abandon?.("that is far slower than its history");
    return { suspect, slow: slow.length, inflight };
  }

  /** Is the provider behind `key` suspect at `now`? */
  suspect(key: string, now: number): boolean {
    return (this.#keys.get(key)?.suspectUntil ?? 0) > now;
  }

  /** Attempts tracked (for tests and bounds). */
  get size(): number {
    return this.#attempts.size;
  }

  #key(key: string): KeyState {
    let k = this.#keys.get(key);
    if (!k) this.#keys.set(key, (k = { inflight: new Set(), suspectUntil: 0 }));
    return k;
  }

  /** Forget the oldest attempts (a leaked entry must not grow memory forever) and idle keys beyond the cap. */
  #bound(max: number): void {
    for (const [id, a] of this.#attempts) {
      if (this.#attempts.size <= max) break;
      this.#attempts.delete(id);
      this.#keys.get(a.key)?.inflight.delete(id);
    }
    if (this.#keys.size <= max) return;
    for (const [key, k] of this.#keys) {
      if (this.#keys.size <= max) break;
      if (k.inflight.size === 0) this.#keys.delete(key);
    }
  }
}

/** How often a waiting attempt past its first check judges its provider again (ms): the most a suspicion waits to reach it. */
export const RECHECK_MS = 250;

/** One tracker per isolate. */
export const isolateInflight = new InflightTracker();

/**
 * The engine's handle on the tracker for one request (`EngineDeps.inflight`): attempts are filed under their breaker
 * key, judged on the request's clock.
 */
export function inflightWatcher<T>(tracker: InflightTracker, cfg: InflightConfig, now: () => number, keyOf: (target: T) => string) {
  return {
    start(target: T, slowAfter: number, abandon?: (why: string) => void, historic = false): { overdue(): void; settle(ok: boolean): void; firstCheckMs: number; recheckMs: number } {
      const id = tracker.start(keyOf(target), now(), slowAfter, cfg, abandon, historic);
      return {
        overdue: () => void tracker.overdue(id, now(), cfg),
        settle: (ok) => tracker.settle(id, now(), ok),
        firstCheckMs: Math.min(slowAfter, cfg.floorMs),
        recheckMs: RECHECK_MS,
      };
    },
  };
}
