/**
 * Turns the `model` a caller named into the ordered targets to try and each target's attempt policy. Pure: config in,
 * plan out. Precedence for every setting: route > provider > config `defaults` > built-in (src/config/default.ts).
 */
import { ApiError, excerpt } from "../api/errors";
import { BUILTIN_RETRY, BUILTIN_TIMEOUTS } from "../config/default";
import type { DetourConfig, ProviderConfig, RouteConfig } from "../config/schema";
import type { AttemptPolicy, PlannedTarget } from "../engine/types";
import type { Target } from "../providers/types";

export interface ResolvedPlan {
  /** What the caller named: a route name, or `provider/model`. */
  route: string;
  targets: PlannedTarget[];
  deadlineMs: number;
}

/**
 * The route a caller's name refers to. Own properties only: `routes` is a plain object, so `toString` or `__proto__`
 * would otherwise find Object.prototype's members (a 500 instead of the 404 for an unknown model).
 */
export function routeNamed(config: DetourConfig, name: string): RouteConfig | undefined {
  return Object.hasOwn(config.routes, name) ? config.routes[name] : undefined;
}

/** Does `name` name what a caller may send as `model`: a route, or a configured `provider/model`? */
export function isKnownModel(config: DetourConfig, name: string): boolean {
  return routeNamed(config, name) !== undefined || (name.includes("/") && findTarget(config, name) !== undefined);
}

/** Resolve `model` (route name or `provider/model`). Throws a 404 `ApiError` for anything unknown. */
export function resolvePlan(model: string, config: DetourConfig, requestedDeadlineMs?: number): ResolvedPlan {
  const route = routeNamed(config, model);
  let targets: Target[];
  if (route) {
    targets = route.targets.map((t) => findTarget(config, t)!);
  } else {
    const t = model.includes("/") ? findTarget(config, model) : undefined;
    if (!t) {
      const names = [...Object.keys(config.routes), ...config.providers.flatMap((p) => p.models.map((m) => `${p.id}/${m.id}`))];
      throw new ApiError(
        404,
        "invalid_request_error",
        "model_not_found",
        `The model '${excerpt(model)}' is not a route or a configured provider/model. Available: ${names.join(", ")}.`,
        "model",
      );
    }
    targets = [t];
  }
  const configured = route?.timeouts.deadlineMs ?? config.defaults.timeouts.deadlineMs ?? BUILTIN_TIMEOUTS.deadlineMs;
  const deadlineMs = Math.min(requestedDeadlineMs ?? configured, config.defaults.maxDeadlineMs);
  return {
    route: model,
    targets: targets.map((target) => ({ target, policy: policyFor(config, route, target.provider) })),
    deadlineMs,
  };
}

function findTarget(config: DetourConfig, ref: string): Target | undefined {
  const slash = ref.indexOf("/");
  const provider = config.providers.find((p) => p.id === ref.slice(0, slash));
  const model = provider?.models.find((m) => m.id === ref.slice(slash + 1));
  return provider && model ? { provider, model } : undefined;
}

function policyFor(config: DetourConfig, route: RouteConfig | undefined, provider: ProviderConfig): AttemptPolicy {
  const d = config.defaults;
  return {
    maxRetries: route?.retry.maxRetries ?? d.retry.maxRetries ?? BUILTIN_RETRY.maxRetries,
    baseDelayMs: route?.retry.baseDelayMs ?? d.retry.baseDelayMs ?? BUILTIN_RETRY.baseDelayMs,
    maxDelayMs: route?.retry.maxDelayMs ?? d.retry.maxDelayMs ?? BUILTIN_RETRY.maxDelayMs,
    retryAfterCapMs: route?.retry.retryAfterCapMs ?? d.retry.retryAfterCapMs ?? BUILTIN_RETRY.retryAfterCapMs,
    firstByteMs:
      route?.timeouts.firstByteMs ?? provider.timeouts.firstByteMs ?? d.timeouts.firstByteMs ?? BUILTIN_TIMEOUTS.firstByteMs,
    stallMs: route?.timeouts.stallMs ?? provider.timeouts.stallMs ?? d.timeouts.stallMs ?? BUILTIN_TIMEOUTS.stallMs,
  };
}

/** The shortest x-detour-deadline-ms accepted. */
export const MIN_DEADLINE_MS = 100;

/** Parse `x-detour-deadline-ms`; a bad value is the caller's error, not something to ignore. */
export function parseDeadlineHeader(value: string | null): number | undefined {
  if (value === null) return undefined;
  // Below MIN_DEADLINE_MS no vendor can answer: the caller would get a gateway timeout for its own impossible ask.
  if (!/^\d+$/.test(value.trim()) || Number(value) < MIN_DEADLINE_MS) {
    throw new ApiError(400, "invalid_request_error", "invalid_deadline", `x-detour-deadline-ms must be a whole number of milliseconds, at least ${MIN_DEADLINE_MS}.`, "x-detour-deadline-ms");
  }
  return Number(value);
}
