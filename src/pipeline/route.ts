// Route (plan): which targets, in which order, with which hedge, for this caller's tier and task class?
import { routeRequest } from "../routing/route-request";
import type { PipelineDeps } from "./deps";
import type { Looked, Routed } from "./state";

/** Warm the breaker snapshots of the route's targets, then let the pure plan order and filter them. */
export async function route(state: Looked, deps: PipelineDeps): Promise<Routed> {
  const { app } = deps;
  const { config, breakers } = state;
  const hedgeBudget = app.hedgeBudget(config.routing.hedging.maxHedgeShare);
  hedgeBudget.request(app.clock.now());
  await breakers.warm(state.plan.targets.map((t) => t.target));
  const routed = routeRequest({
    resolved: state.plan,
    config,
    classification: state.classification,
    tier: state.caller.tier,
    stream: state.request.stream,
    view: app.breakerView,
    keyFor: (t) => breakers.key(t),
    now: app.clock.now(),
    hedgeShare: 0,
    takeHedge: () => hedgeBudget.take(app.clock.now()),
    inflight: app.inflight,
    // The canary draw uses the app's injected random, so tests and drills are reproducible.
    random: app.random,
  });
  // Shed: the dashboard counts it; the ladder below may still answer without a vendor (src/pipeline/degrade.ts).
  if (routed.shed) state.recorder.shed();
  state.recorder.routed(routed);
  return { ...state, routed };
}
