/**
 * What a route can do right now, in words an app can show its users: `normal` while its first target is available,
 * `degraded` while it answers only from backups (another target, or the degradation ladder's saved answers, standard
 * replies and rules), `down` when nothing on it can answer. Pure: breaker snapshots and `now` in. Served to apps by
 * `GET /v1/status` and to operators by the dashboard.
 */
import type { ProviderSnapshot } from "../breakers/types";
import type { DetourConfig, RouteConfig } from "../config/schema";
import { banner, ladderFor, STILL_WORKS, type Rung } from "../degrade/ladder";
import type { BreakerStateName } from "../resilience/breaker-types";
import { TaskClass } from "../routing/classify";

export type RouteMode = "normal" | "degraded" | "down";

export interface RouteStatus {
  route: string;
  mode: RouteMode;
  /** The banner Detour puts on a degraded answer on this route now; null when normal. */
  banner: string | null;
  /** Task classes that still get an answer (live from a backup, or from a rung that fits the class). */
  working_task_classes: TaskClass[];
  /** What still works, in plain words (empty when normal: everything does). */
  still_works: string[];
  /** When the soonest unavailable target's breaker lets a probe through (ISO) and in how many seconds; null when
   *  normal or when only an operator can bring a target back (forced open, disabled). */
  eta: string | null;
  eta_seconds: number | null;
}

/** Rules answer only classes a keyword rule can: labels and extracted fields. */
const RULES_CLASSES: readonly TaskClass[] = ["classification", "extraction"];

const OPERATOR_STATES: readonly BreakerStateName[] = ["FORCED_OPEN", "DISABLED"];

/** Is a target's breaker letting calls through? Unknown (no snapshot yet) counts as available, as routing does. */
function available(s: ProviderSnapshot | undefined): boolean {
  return !s || s.state === "CLOSED" || s.state === "HALF_OPEN";
}

export function routeStatus(config: DetourConfig, name: string, route: RouteConfig, snapshotOf: (providerId: string) => ProviderSnapshot | undefined, now: number): RouteStatus {
  const providers = [...new Set(route.targets.map((t) => t.split("/")[0]!))];
  const snaps = new Map(providers.map((p) => [p, snapshotOf(p)] as const));
  const first = route.targets[0]!.split("/")[0]!;
  const up = providers.filter((p) => available(snaps.get(p)));
  const down = providers.filter((p) => !available(snaps.get(p)));
  const normal = { route: name, mode: "normal" as const, banner: null, working_task_classes: [...TaskClass.options], still_works: [], eta: null, eta_seconds: null };
  if (available(snaps.get(first))) return normal;

  const degrade = route.degrade ?? config.degrade;
  const reason = down.every((p) => OPERATOR_STATES.includes(snaps.get(p)!.state)) ? "providers_down" : "breaker_open";
  const waits = down
    .map((p) => snaps.get(p)!)
    .filter((s) => s.state === "OPEN")
    .map((s) => Math.max(now, s.openUntil ?? now));
  const etaAt = waits.length ? Math.min(...waits) : null;
  const eta = { eta: etaAt === null ? null : new Date(etaAt).toISOString(), eta_seconds: etaAt === null ? null : Math.ceil((etaAt - now) / 1000) };

  // Which rungs could answer each class now: "reduced" needs a live target; the others need none.
  const classes = route.taskClass ? [route.taskClass] : [...TaskClass.options];
  const usable = (r: Rung, cls: TaskClass) => r !== "error" && (r === "reduced" ? up.length > 0 : r === "rules" ? RULES_CLASSES.includes(cls) : true);
  const working = classes.filter((cls) => up.length > 0 || ladderFor(degrade, cls).some((r) => usable(r, cls)));
  const rungs = new Set(classes.flatMap((cls) => ladderFor(degrade, cls).filter((r) => usable(r, cls))));
  const stillWorks = [...(up.length > 0 ? ["answers from a backup model"] : []), ...[...rungs].filter((r): r is Exclude<Rung, "error"> => r !== "error" && r !== "reduced").map((r) => STILL_WORKS[r])];
  if (working.length === 0) {
    return { route: name, mode: "down", banner: banner("error", reason), working_task_classes: [], still_works: [], ...eta };
  }
  // The banner of the first rung the route's ladder would use (a backup's full answer carries none, but once the
  // backup fails too this is what callers see).
  const firstRung = ladderFor(degrade, route.taskClass).find((r) => usable(r, route.taskClass ?? "chat")) ?? "error";
  return { route: name, mode: "degraded", banner: banner(firstRung, reason, undefined, degrade.message), working_task_classes: working, still_works: stillWorks, ...eta };
}
