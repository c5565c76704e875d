/**
 * The hot path's view of every breaker: an isolate-local snapshot per breaker key, refreshed in the background at
 * most every `snapshotTtlMs`, and updated from every `record` answer. Admission of a CLOSED breaker is a map lookup —
 * no Durable Object round trip. The object is awaited (with a timeout) only to win a probe permit from an
 * OPEN-past-its-time or HALF_OPEN breaker, and once per key when a fresh isolate has no snapshot at all.
 *
 * When the object cannot be reached, Detour fails open on its last snapshot (or admits, with none) and says so in
 * the trace: the resilience layer must never become the outage. A failed warm-up or probe-permit call is remembered
 * for `ttlMs`, so while the object is down each request fails open at once instead of waiting `timeoutMs` again.
 * Every object call — warm-up, probe permit, background refresh and report — is bounded by `timeoutMs`.
 */
import { withTimeout } from "../engine/clock";
import { log } from "../observability/log";
import type { Admission } from "../engine/types";
import { admitLocally } from "../resilience/breaker";
import type { BreakerOp, HealthSettings, OutcomeSample, ProviderSnapshot } from "./types";

/** The RPC surface of ProviderHealth the view uses (a structural type, so tests can pass a broken one). */
export interface HealthStub {
  record(key: string, samples: OutcomeSample[], settings: HealthSettings, now: number): Promise<ProviderSnapshot>;
  snapshot(key: string, settings: HealthSettings, now: number): Promise<ProviderSnapshot>;
  acquireProbe(key: string, settings: HealthSettings, now: number, tenant?: string): Promise<{ decision: { allowed: boolean; reason: string }; snapshot: ProviderSnapshot }>;
  operate(key: string, op: BreakerOp, settings: HealthSettings, now: number): Promise<ProviderSnapshot>;
}

export interface ViewOptions {
  ttlMs: number;
  timeoutMs: number;
  now: () => number;
  /** Run work after the response (ctx.waitUntil). */
  background: (p: Promise<unknown>) => void;
  /** Sleep for the DO-call timeout (the injected clock). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The caller's tenant fingerprint, so a half-open breaker knows who asks for its probe permits. */
  tenant?: string;
}

/** How `report` batches: successes every `flushMs`; failures at once, or (location mode) after `failureFlushMs` or at `failureBatch` failures. */
export interface ReportOptions {
  flushMs: number;
  failureFlushMs?: number;
  failureBatch?: number;
}

interface Entry {
  snap: ProviderSnapshot;
  /** Local clock when it was fetched. */
  fetchedAt: number;
}

/** Isolate-wide cache: survives across requests in the same isolate, so a warm isolate admits without a round trip. */
export class BreakerView {
  #entries = new Map<string, Entry>();
  #refreshing = new Set<string>();
  /** Successful outcomes waiting to be sent, per key. */
  #pending = new Map<string, { since: number; samples: OutcomeSample[]; failureFlush?: boolean }>();
  /** Keys whose warm-up failed: no awaited call for them until this local time (bounded by the keys routed to). */
  #unreachableUntil = new Map<string, number>();

  get(key: string): ProviderSnapshot | undefined {
    return this.#entries.get(key)?.snap;
  }

  put(snap: ProviderSnapshot, now: number): void {
    this.#entries.set(snap.key, { snap, fetchedAt: now });
    this.#unreachableUntil.delete(snap.key);
  }

  /**
   * Make sure a key has a snapshot before routing reads it (a fresh isolate has none): one bounded, awaited read of
   * the object; on failure routing treats the provider as unknown (healthy) and the note says so.
   */
  async warm(
    key: string,
    stub: () => HealthStub,
    settings: HealthSettings,
    opts: ViewOptions,
    notes: string[],
    stats: { awaitedCalls: number },
  ): Promise<ProviderSnapshot | undefined> {
    if (this.ready(key, stub, settings, opts, notes)) return this.#entries.get(key)!.snap;
    const until = this.#unreachableUntil.get(key);
    if (until !== undefined && opts.now() < until) {
      notes.push(`breaker ${key}: health store unreachable (remembered for ${Math.ceil((until - opts.now()) / 1000)} s more); failing open without waiting`);
      return undefined;
    }
    try {
      stats.awaitedCalls++;
      const snap = await withTimeout(stub().snapshot(key, settings, opts.now()), opts.timeoutMs, opts);
      this.put(snap, opts.now());
      return snap;
    } catch (err) {
      this.#unreachableUntil.set(key, opts.now() + opts.ttlMs);
      notes.push(`breaker ${key}: health store unreachable (${describe(err)}); failing open`);
      return undefined;
    }
  }

  /**
   * Does the isolate hold a snapshot of `key`? Synchronous: a stale one is refreshed in the background — here too, not
   * only in `admit`: routing never admits a target whose breaker it saw open, so without this an isolate would miss
   * an active probe closing the breaker until the open time ends.
   */
  ready(key: string, stub: () => HealthStub, settings: HealthSettings, opts: ViewOptions, notes: string[]): boolean {
    const known = this.#entries.get(key);
    if (!known) return false;
    if (opts.now() - known.fetchedAt >= opts.ttlMs) this.#refresh(key, stub, settings, opts, notes);
    return true;
  }

  /** Every key this isolate holds a snapshot of. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  clear(): void {
    this.#entries.clear();
    this.#unreachableUntil.clear();
  }

  /**
   * May a call go to this key now? `notes` collects fail-open explanations for the trace.
   */
  async admit(
    key: string,
    stub: () => HealthStub,
    settings: HealthSettings,
    opts: ViewOptions,
    notes: string[],
    stats: { awaitedCalls: number } = { awaitedCalls: 0 },
  ): Promise<Admission> {
    const now = opts.now();
    const entry = this.#entries.get(key);
    if (entry && now - entry.fetchedAt >= opts.ttlMs) this.#refresh(key, stub, settings, opts, notes);
    // A cold isolate knows nothing yet: wait once (bounded) for the object's view rather than send the first request
    // to a provider every other isolate already knows is down. Later refreshes run in the background.
    const snap = entry?.snap ?? (await this.warm(key, stub, settings, opts, notes, stats));
    if (!snap) return { allowed: true, reason: "fail_open", probe: false };
    const local = admitLocally(snap, now);
    if (local.verdict === "admit") return { allowed: true, reason: local.reason, probe: false };
    if (local.verdict === "deny") return { allowed: false, reason: local.reason, probe: false };
    // OPEN and due, or HALF_OPEN: only the object can hand out the limited probe permits.
    const until = this.#unreachableUntil.get(key);
    if (until !== undefined && now < until) {
      notes.push(`breaker ${key}: health store unreachable (remembered for ${Math.ceil((until - now) / 1000)} s more); failing open on the last snapshot without waiting`);
      return { allowed: true, reason: "fail_open", probe: false };
    }
    try {
      stats.awaitedCalls++;
      const res = await withTimeout(stub().acquireProbe(key, settings, now, opts.tenant), opts.timeoutMs, opts);
      this.put(res.snapshot, opts.now());
      return { allowed: res.decision.allowed, reason: res.decision.reason, probe: res.decision.allowed && res.decision.reason === "probe" };
    } catch (err) {
      this.#unreachableUntil.set(key, opts.now() + opts.ttlMs);
      notes.push(`breaker ${key}: health store unreachable (${describe(err)}); failing open on the last snapshot`);
      return { allowed: true, reason: "fail_open", probe: false };
    }
  }

  /**
   * Report outcomes for one key. Failures and probe results go to the object at once (they decide trips and
   * half-open); successes are buffered per isolate and sent at most every `flushMs`, so healthy traffic costs the
   * object about one call per second per isolate instead of one per request.
   *
   * The request that opens a buffer keeps its `waitUntil` open until the buffer is due and sends it then, so a
   * success reaches the object (and /status) within `flushMs` even when no further request comes. What an isolate
   * can lose if the platform kills it mid-wait: at most one buffer per key — under `flushMs` of successes, never more
   * than MAX_BUFFERED samples, and never a failure or probe result (those are never buffered).
   *
   * With `failureFlushMs` (`resilience.aggregation: "location"`) failures wait too, at most `failureFlushMs` or until
   * `failureBatch` of them are buffered: during an outage an isolate then costs its object ~10 calls/s, not one per
   * request. Probe results still go at once.
   */
  report(key: string, stub: () => HealthStub, settings: HealthSettings, samples: OutcomeSample[], opts: ViewOptions & ReportOptions): void {
    if (samples.length === 0) return;
    const now = opts.now();
    let buf = this.#pending.get(key);
    const opened = !buf;
    if (!buf) this.#pending.set(key, (buf = { since: now, samples: [] }));
    buf.samples.push(...samples);
    const probe = samples.some((x) => x.probe);
    const failed = samples.some((x) => x.errorClass !== undefined);
    // Location mode batches failures too: an outage must not multiply calls to the object by the request rate.
    const batchFailures = opts.failureFlushMs !== undefined && failed && !probe;
    if (batchFailures && !buf.failureFlush && buf.samples.filter((x) => x.errorClass !== undefined).length < (opts.failureBatch ?? 1)) {
      const mine = buf;
      mine.failureFlush = true;
      opts.background(
        opts.sleep(opts.failureFlushMs!).then(
          () => (this.#pending.get(key) === mine ? this.#send(key, stub, settings, opts) : undefined),
          () => undefined,
        ),
      );
      return;
    }
    if (batchFailures && buf.failureFlush && buf.samples.filter((x) => x.errorClass !== undefined).length < (opts.failureBatch ?? 1)) return;
    if (probe || failed || now - buf.since >= opts.flushMs || buf.samples.length >= MAX_BUFFERED) {
      opts.background(this.#send(key, stub, settings, opts));
      return;
    }
    if (!opened) return;
    const mine = buf;
    opts.background(
      opts.sleep(opts.flushMs).then(
        () => (this.#pending.get(key) === mine ? this.#send(key, stub, settings, opts) : undefined),
        () => undefined,
      ),
    );
  }

  /** Send the key's buffer now (the answer updates this isolate's snapshot); a failure is logged, never thrown. */
  async #send(key: string, stub: () => HealthStub, settings: HealthSettings, opts: ViewOptions): Promise<void> {
    const batch = this.#pending.get(key)?.samples ?? [];
    this.#pending.delete(key);
    if (batch.length === 0) return;
    try {
      this.put(await withTimeout(stub().record(key, batch, settings, opts.now()), opts.timeoutMs, opts), opts.now());
    } catch (err) {
      log.warn("health report failed", { key, samples: batch.length, error: describe(err) });
    }
  }

  #refresh(key: string, stub: () => HealthStub, settings: HealthSettings, opts: ViewOptions, notes: string[]): void {
    if (this.#refreshing.has(key)) return;
    this.#refreshing.add(key);
    opts.background(
      (async () => {
        try {
          this.put(await withTimeout(stub().snapshot(key, settings, opts.now()), opts.timeoutMs, opts), opts.now());
        } catch (err) {
          notes.push(`breaker ${key}: snapshot refresh failed (${describe(err)})`);
        } finally {
          this.#refreshing.delete(key);
        }
      })(),
    );
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A buffer never holds more than this many samples (bounded memory under heavy healthy traffic). */
const MAX_BUFFERED = 200;

/** One view per isolate. */
export const isolateView = new BreakerView();
