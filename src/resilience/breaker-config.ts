/**
 * The circuit breaker's settings (src/resilience/breaker.ts runs them). Every field has a default, so
 * `BreakerConfig.parse({})` is a working breaker.
 */
import * as z from "../zod";

const CountWindow = z.strictObject({
  type: z.literal("count"),
  /** The last N recorded calls. */
  size: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 20),
});

const TimeWindow = z.strictObject({
  type: z.literal("time"),
  /** The last N seconds, kept as one bucket per second so memory stays bounded by N. */
  size: z._default(z.number().check(z.int(), z.gte(1), z.lte(3600)), 60),
});

/** Breaker settings; every field has a default, so `BreakerConfig.parse({})` is a working breaker. */
export const BreakerConfig = z.strictObject({
  window: z._default(z.discriminatedUnion("type", [CountWindow, TimeWindow]), { type: "count", size: 20 }),
  /** No rate is computed until the window holds this many calls (a 1-of-1 failure is not a 100 % outage). */
  minimumCalls: z._default(z.number().check(z.int(), z.gte(1)), 10),
  /** Trip when failures / calls ≥ this. */
  failureRateThreshold: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
  /** Trip when slow calls / calls ≥ this. 1 (the default) trips only when every call in the window is slow. */
  slowCallRateThreshold: z._default(z.number().check(z.gt(0), z.lte(1)), 1),
  /** A call taking at least this long is slow, whether it succeeded or failed. */
  slowCallMs: z._default(z.number().check(z.int(), z.positive()), 10_000),
  /** Trip on this many countable failures in a row, even below `minimumCalls` (Envoy's consecutive_5xx). */
  consecutiveFailures: z._default(z.number().check(z.int(), z.gte(1)), 5),
  /**
   * A failure trip (rate or consecutive) needs failures from at least this many distinct tenants while another
   * tenant is being served, so one tenant's own requests cannot open the breaker for everyone
   * (src/resilience/tenants.ts). With one tenant in the traffic the ordinary rules apply. 1 turns the check off.
   */
  minTenantsToTrip: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 2),
  /** Open time of the first trip; trip k waits openMs · 2^(k−1), capped by maxOpenMs. */
  openMs: z._default(z.number().check(z.int(), z.positive()), 30_000),
  maxOpenMs: z._default(z.number().check(z.int(), z.positive()), 300_000),
  /** ± fraction of random spread on each open time (0.1 → ±10 %). */
  openJitter: z._default(z.number().check(z.gte(0), z.lte(1)), 0.1),
  /** Concurrent probe permits while HALF_OPEN. */
  probes: z._default(z.number().check(z.int(), z.gte(1)), 1),
  /** Successful probes needed to close. */
  probeSuccesses: z._default(z.number().check(z.int(), z.gte(1)), 1),
  /** Each period this long spent CLOSED without a trip forgives one past trip, so the next open time shrinks. */
  healthyDecayMs: z._default(z.number().check(z.int(), z.positive()), 300_000),
  /** A probe permit not reported within this is reclaimed, so a lost probe cannot wedge HALF_OPEN. */
  probeTimeoutMs: z._default(z.number().check(z.int(), z.positive()), 60_000),
}).check(z.refine((c) => c.maxOpenMs >= c.openMs, { path: ["maxOpenMs"], message: "maxOpenMs must be at least openMs" }));
export type BreakerConfig = z.infer<typeof BreakerConfig>;
