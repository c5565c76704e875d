/**
 * Prometheus text for shadow traffic and readiness (appended to /metrics): equivalence per (route, target), the
 * comparisons by verdict, and what the shadow calls cost. Pure: summaries in, text out. Counters are totals kept by
 * each target's ProviderHealth object, so they are global across isolates.
 */
import { VERDICTS, type ReadinessSummary } from "./score";

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(",")}}`;

export function renderReadinessMetrics(readiness: Record<string, Record<string, ReadinessSummary>>): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const pairs = Object.entries(readiness)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([route, targets]) => Object.entries(targets).sort(([a], [b]) => a.localeCompare(b)).map(([target, s]) => ({ route, target, s })));

  family("detour_readiness_equivalence", "gauge", "Share of a shadow target's recent answers judged equivalent to the route primary's (docs/readiness.md).");
  for (const { route, target, s } of pairs) out.push(`detour_readiness_equivalence${labels({ route, target })} ${s.equivalenceRate}`);

  family("detour_shadow_comparisons_total", "counter", "Mirrored requests compared with the primary's answer, by verdict.");
  for (const { route, target, s } of pairs) {
    for (const verdict of VERDICTS) out.push(`detour_shadow_comparisons_total${labels({ route, target, verdict })} ${s.totals[verdict] ?? 0}`);
  }

  family("detour_shadow_cost_usd_total", "counter", "What shadow calls cost (never billed to the caller), USD.");
  for (const { route, target, s } of pairs) out.push(`detour_shadow_cost_usd_total${labels({ route, target })} ${s.costUsdTotal}`);
  return out.join("\n") + "\n";
}
