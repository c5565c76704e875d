/** Shared Hono typing for the app and its middleware. */
import type { Clock } from "./engine/clock";
import type { LoadedConfig } from "./config/load";
import type { Tier } from "./config/tier";
import type { Bindings } from "./env";
import type { Logger } from "./observability/log";
import type { BreakerView } from "./breakers/view";
import type { EdgeCache } from "./cache/intent-cache";
import type { FaultView } from "./chaos/view";
import type { DetourConfig } from "./config/schema";
import type { Governor } from "./engine/governor";
import type { HedgeBudget } from "./engine/hedge";
import type { InflightTracker } from "./resilience/inflight";
import type { RouteFeed } from "./dashboard/route-feed";
import type { AdminThrottle } from "./resilience/admin-throttle";

/** What the app takes from outside; everything has a production default (src/index.ts). */
export interface AppDeps {
  clock: Clock;
  random: () => number;
  /** A fresh token of letters and digits, unique per call: ids Detour makes up (the simulated providers' tool-call ids). */
  newId: () => string;
  /** The provider-fetch edge for real vendors. */
  fetch: typeof fetch;
  log: Logger;
  /** The isolate's snapshot of every breaker (one per isolate in production; fresh per test). */
  breakerView: BreakerView;
  /** The isolate's attempts in flight per provider, for slow-call detection (src/resilience/inflight.ts). */
  inflight: InflightTracker;
  /** Share of hedged requests in this isolate (routing.hedging.maxHedgeShare). */
  hedgeBudget: (maxShare: number) => HedgeBudget;
  /** Retry budget and adaptive throttling state per provider, for this isolate and config. */
  governor: (config: DetourConfig) => Governor;
  /** Last KV write time per cache key in this isolate (KV takes one write per second per key). */
  cacheWrites: Map<string, number>;
  /** The isolate's copy of the active chaos faults. */
  faultView: FaultView;
  /** The per-colo Cache API in front of KV (caches.default); undefined where the runtime has none. */
  edgeCache: () => EdgeCache | undefined;
  /** The isolate's buffer of route outcomes on their way to the dashboard's history (src/dashboard/route-feed.ts). */
  routeFeed: RouteFeed;
  /** Failed admin-token attempts per client in this isolate (src/resilience/admin-throttle.ts). */
  adminThrottle: AdminThrottle;
}

export interface Caller {
  tenant: string;
  tier: Tier;
  /** True when no gateway keys are configured and the caller was let in anonymously. */
  anonymous: boolean;
  /** false when the caller's gateway key opts its tenant out of shadow traffic. */
  shadow?: false;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    startedAt: number;
    loaded: LoadedConfig;
    caller: Caller;
    deps: AppDeps;
  };
}
