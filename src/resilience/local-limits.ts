/**
 * The per-isolate stand-in for the TenantLimiter object: the same per-minute limits (requests and tokens per minute,
 * the same sliding window as src/resilience/limits.ts), counted over this isolate's own traffic, and the monthly spend
 * cap as well as one isolate can know it. Every request the isolate lets in is counted here too, so when the object
 * is slow or down the fallback starts from the last minute it saw rather than from zero.
 *
 * The spend cap needs the month's total, which only the object has. So the isolate remembers, per tenant, the last
 * month's spend the object reported to it (committed plus held by requests in flight, at each check and commit), and
 * adds its own spend the object has not acknowledged since (commits that failed, or have not answered yet) and the
 * estimates of requests it let in itself while the object was away (held like the object holds them). A tenant this
 * isolate has heard nothing about this month is refused or counted from this isolate's own spend alone, as the
 * caller chooses (`tenants.unknownSpend`).
 *
 * What it trades: each isolate enforces the whole limit over its own share of the traffic, so while the object is
 * unreachable a tenant spread over many isolates can exceed its per-minute limits, and its cap by what the other
 * isolates spend meanwhile — bounded by the per-minute limits, never unlimited.
 *
 * Memory is bounded: at most `maxTenants` tenants (the least recently seen is forgotten first), each at most 60
 * one-second buckets, one report and the holds of requests in flight. Pure: `now` is an argument.
 */
import { admit, check, commit, initialLimiter, monthKey, reserve, type LimitDecision, type LimiterState, type SpendReport, type TenantLimits, type Usage } from "./limits";
import { heldAt, type Hold } from "./spend-holds";

/** Tenants remembered per isolate by default. */
export const DEFAULT_LOCAL_TENANTS = 10_000;

/** What to do with a capped tenant whose month's spend this isolate has never heard (`tenants.unknownSpend`). */
export type UnknownSpend = "refuse" | "local";

/** How long a caller refused for an unknown spend is told to wait: the object may answer again by then. */
export const UNKNOWN_SPEND_RETRY_SECONDS = 10;

/** What the spend cap was checked against, for the trace. */
export type SpendBasis =
  | { kind: "uncapped" }
  /** The object's last report (`at`, epoch ms) plus this isolate's own spend since: `usd` in all. */
  | { kind: "reported"; usd: number; at: number }
  /** Nothing reported this month: this isolate's own spend only (`unknownSpend: "local"`). */
  | { kind: "local"; usd: number }
  /** Nothing reported this month and `unknownSpend: "refuse"`: refused, since the cap cannot be checked. */
  | { kind: "unknown" };

export type LocalDecision = Omit<LimitDecision, "spend" | "hold"> & { basis: SpendBasis };

interface Tenant {
  /**
   * The window, and in its month fields: `spendUsd` is this isolate's spend the object has not acknowledged, `held`
   * the estimates of requests this fallback let in.
   */
  s: LimiterState;
  /** The object's last report of the month's spend (committed + held), and when this isolate heard it. */
  reported?: { month: string; usd: number; at: number };
}

export class LocalLimits {
  #tenants = new Map<string, Tenant>();

  constructor(private readonly maxTenants = DEFAULT_LOCAL_TENANTS) {}

  /**
   * This isolate's verdict for the tenant: the per-minute limits and, under a cap, the spend it knows (see above).
   * A refusal for an unknown spend has no `reason` and `basis.kind` "unknown": it is not the cap being reached.
   */
  check(tenant: string, limits: TenantLimits, now: number, estimate: Usage, unknownSpend: UnknownSpend = "refuse"): LocalDecision {
    const t = this.#get(tenant, now);
    const { monthlySpendUsd: cap, ...perMinute } = limits;
    if (cap === undefined) return { ...check(t.s, perMinute, now, estimate), basis: { kind: "uncapped" } };
    const own = this.#ownSpend(t, now);
    // A report from an earlier month says nothing about this one; one from a later month is the object's clock ahead.
    const reported = t.reported && t.reported.month >= monthKey(now) ? t.reported : undefined;
    if (!reported && unknownSpend === "refuse") return { allowed: false, retryAfterSeconds: UNKNOWN_SPEND_RETRY_SECONDS, basis: { kind: "unknown" } };
    const usd = (reported?.usd ?? 0) + own;
    // The object's spend check, over what this isolate knows: its window, no holds (they are counted in `usd`).
    const known: LimiterState = { buckets: t.s.buckets, month: monthKey(now), spendUsd: usd };
    const basis: SpendBasis = reported ? { kind: "reported", usd: round6(usd), at: reported.at } : { kind: "local", usd: round6(usd) };
    return { ...check(known, limits, now, estimate), basis };
  }

  /** Count one request let in (by the object or by this fallback). */
  admit(tenant: string, now: number): void {
    const t = this.#get(tenant, now);
    this.#set(tenant, { ...t, s: admit(t.s, now) });
  }

  /** Hold a request's estimate that this fallback let in under a cap, until its commit or `holdMs`; returns the handle. */
  reserve(tenant: string, now: number, usd: number, holdMs: number): Hold | undefined {
    const t = this.#get(tenant, now);
    const r = reserve(t.s, now, usd, holdMs);
    this.#set(tenant, { ...t, s: r.state });
    return r.hold;
  }

  /** Add a finished request's actual tokens and cost (not yet acknowledged by the object), releasing its local hold. */
  commit(tenant: string, now: number, actual: Usage, release?: Hold): void {
    const t = this.#get(tenant, now);
    this.#set(tenant, { ...t, s: commit(t.s, now, actual, release) });
  }

  /**
   * The object took a commit of `costUsd` and answered with the month's spend after it: that cost is no longer this
   * isolate's alone to count, and the answer is the newest report.
   */
  confirm(tenant: string, now: number, costUsd: number, report: unknown): void {
    const t = this.#get(tenant, now);
    const s = t.s.month === monthKey(now) ? { ...t.s, spendUsd: Math.max(0, round6(t.s.spendUsd - Math.max(0, costUsd))) } : t.s;
    this.#set(tenant, { s, ...withReport(t, report, now) });
  }

  /** The object reported the month's spend (at a check): remember it. Anything not shaped like a report is ignored. */
  learn(tenant: string, now: number, report: unknown): void {
    const t = this.#get(tenant, now);
    this.#set(tenant, { s: t.s, ...withReport(t, report, now) });
  }

  /** How many tenants are remembered (for tests of the bound). */
  get size(): number {
    return this.#tenants.size;
  }

  /** This isolate's spend this month that the object has not acknowledged, plus what its own holds keep back. */
  #ownSpend(t: Tenant, now: number): number {
    if (t.s.month !== monthKey(now)) return 0;
    return t.s.spendUsd + heldAt(t.s.held, now).usd;
  }

  #get(tenant: string, now: number): Tenant {
    return this.#tenants.get(tenant) ?? { s: initialLimiter(now) };
  }

  #set(tenant: string, t: Tenant): void {
    // Re-insert so the map's order is least recently used first.
    this.#tenants.delete(tenant);
    this.#tenants.set(tenant, t);
    if (this.#tenants.size > this.maxTenants) this.#tenants.delete(this.#tenants.keys().next().value!);
  }
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The tenant's remembered report after `report` (ignored unless it is a well-formed SpendReport). */
function withReport(t: Tenant, report: unknown, now: number): Pick<Tenant, "reported"> {
  if (!isSpendReport(report)) return t.reported ? { reported: t.reported } : {};
  return { reported: { month: report.month, usd: report.spendUsdThisMonth + report.heldUsd, at: now } };
}

function isSpendReport(x: unknown): x is SpendReport {
  if (typeof x !== "object" || x === null) return false;
  const r = x as Record<string, unknown>;
  const money = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
  return typeof r.month === "string" && /^\d{4}-\d{2}$/.test(r.month) && money(r.spendUsdThisMonth) && money(r.heldUsd);
}
