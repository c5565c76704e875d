/**
 * Which requests are mirrored to shadow targets: the route's `shadow` (else the top-level one) with targets, never a
 * `cache-control: no-store` request, never a tenant whose gateway key says `"shadow": false`, a `sampleRate` draw,
 * and at most `maxPerMinute` per route in this isolate. Pure apart from the isolate's per-minute counters, which take
 * `now`. Whether the answer came from the primary, and whether a target's breaker is open, are decided when the
 * answer is in (src/pipeline/shadow.ts).
 */
import type { DetourConfig } from "../config/schema";
import type { ShadowConfig } from "./config";

export interface ShadowAsk {
  config: DetourConfig;
  route: string;
  /** The caller's `cache-control` header. */
  cacheControl: string | null;
  /** False when the caller's gateway key opted its tenant out. */
  tenantShadow: boolean | undefined;
  /** One uniform draw in [0, 1). */
  draw: number;
  now: number;
}

export type ShadowChoice = { mirror: true; shadow: ShadowConfig } | { mirror: false; why: string };

/** The shadow settings a route runs with (its own, else the top-level default; absent: off). */
export function shadowFor(config: DetourConfig, route: string): ShadowConfig | undefined {
  const s = config.routes[route]?.shadow ?? config.shadow;
  return s && s.targets.length > 0 ? s : undefined;
}

/** Should this request be mirrored? Counts it against the route's per-minute ceiling when it is. */
export function chooseShadow(ask: ShadowAsk, counters: MinuteCounters = isolateCounters): ShadowChoice {
  const shadow = shadowFor(ask.config, ask.route);
  if (!shadow) return { mirror: false, why: "off" };
  if (/(^|,)\s*no-store\s*(,|$)/i.test(ask.cacheControl ?? "")) return { mirror: false, why: "no-store" };
  if (ask.tenantShadow === false) return { mirror: false, why: "tenant opted out" };
  if (!(ask.draw < shadow.sampleRate)) return { mirror: false, why: "not sampled" };
  if (!counters.take(ask.config, ask.route, shadow.maxPerMinute, ask.now)) return { mirror: false, why: "maxPerMinute reached" };
  return { mirror: true, shadow };
}

/** Mirrored requests per route in the current minute, per config (so a config change starts afresh). */
export class MinuteCounters {
  #byConfig = new WeakMap<DetourConfig, Map<string, { minute: number; n: number }>>();

  take(config: DetourConfig, route: string, max: number, now: number): boolean {
    let routes = this.#byConfig.get(config);
    if (!routes) this.#byConfig.set(config, (routes = new Map()));
    const minute = Math.floor(now / 60_000);
    const c = routes.get(route);
    const n = c && c.minute === minute ? c.n : 0;
    if (n >= max) return false;
    routes.set(route, { minute, n: n + 1 });
    return true;
  }
}

/** One per isolate. */
export const isolateCounters = new MinuteCounters();
