/**
 * Prometheus text exposition (format 0.0.4) of every provider's breaker and counters. Pure: snapshots in, text out.
 * Counters come from the ProviderHealth objects, so they are global across isolates, not per isolate.
 */
import type { ProviderSnapshot } from "../breakers/types";
import type { BreakerStateName } from "../resilience/breaker";
import { LATENCY_BOUNDS_MS } from "../resilience/health";

/** Numeric encoding of breaker states for the `detour_provider_state` gauge. */
export const STATE_VALUE = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2, FORCED_OPEN: 3, DISABLED: 4 } as const satisfies Record<BreakerStateName, number>;

export interface ProviderMetrics {
  provider: string;
  snapshot: ProviderSnapshot;
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(",")}}`;

export function renderMetrics(rows: ProviderMetrics[]): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  family("detour_provider_state", "gauge", "Breaker state: 0 closed, 1 half-open, 2 open, 3 forced open, 4 disabled.");
  for (const { provider, snapshot: s } of rows) out.push(`detour_provider_state${labels({ provider, key: s.key })} ${STATE_VALUE[s.state]}`);

  family("detour_provider_health_score", "gauge", "Health score in [0, 1] that routing ranks on (docs/health-score.md).");
  for (const { provider, snapshot: s } of rows) out.push(`detour_provider_health_score${labels({ provider, key: s.key })} ${s.score.toFixed(4)}`);

  family("detour_requests_total", "counter", "Attempts sent to a provider, by outcome (ok or the error class).");
  for (const { provider, snapshot: s } of rows) {
    for (const [outcome, n] of Object.entries(s.counters.requests).sort()) out.push(`detour_requests_total${labels({ provider, key: s.key, outcome })} ${n}`);
  }

  family("detour_validation_failures_total", "counter", "Answers that failed the caller's output checks (invalid_output), by model and check.");
  for (const { provider, snapshot: s } of rows) {
    for (const [model, checks] of Object.entries(s.counters.validation ?? {}).sort()) {
      for (const [check, n] of Object.entries(checks).sort()) out.push(`detour_validation_failures_total${labels({ provider, model, check })} ${n}`);
    }
  }

  family("detour_breaker_transitions_total", "counter", "Breaker state changes.");
  for (const { provider, snapshot: s } of rows) {
    for (const [edge, n] of Object.entries(s.transitions).sort()) {
      const [from = "", to = ""] = edge.split("->");
      out.push(`detour_breaker_transitions_total${labels({ provider, key: s.key, from, to })} ${n}`);
    }
  }

  family("detour_failover_total", "counter", "Requests this provider answered after the route's earlier targets could not.");
  for (const { provider, snapshot: s } of rows) out.push(`detour_failover_total${labels({ provider, key: s.key })} ${s.counters.failovers}`);

  family("detour_request_duration_seconds", "histogram", "Latency of successful attempts, seconds.");
  for (const { provider, snapshot: s } of rows) {
    let cumulative = 0;
    const c = s.counters;
    LATENCY_BOUNDS_MS.forEach((bound, i) => {
      cumulative += c.latencyBuckets[i] ?? 0;
      out.push(`detour_request_duration_seconds_bucket${labels({ provider, key: s.key, le: String(bound / 1000) })} ${cumulative}`);
    });
    cumulative += c.latencyBuckets[LATENCY_BOUNDS_MS.length] ?? 0;
    out.push(`detour_request_duration_seconds_bucket${labels({ provider, key: s.key, le: "+Inf" })} ${cumulative}`);
    out.push(`detour_request_duration_seconds_sum${labels({ provider, key: s.key })} ${(c.latencySumMs / 1000).toFixed(3)}`);
    out.push(`detour_request_duration_seconds_count${labels({ provider, key: s.key })} ${c.latencyCount}`);
  }
  return out.join("\n") + "\n";
}
