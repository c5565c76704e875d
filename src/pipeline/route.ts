// Route (plan): which targets, in which order, with which hedge, for this caller's tier and task class?
import { routeRequest } from "../routing/route-request";
import type { PipelineDeps } from "./deps";
import type { Looked, Routed } from "./state";
import { ApiError } from "../api/errors";

/** Warm the breaker snapshots of the route's targets, then let the pure plan order and filter them. */
export async function route(state: Looked, deps: PipelineDeps): Promise<Routed> {
  const { app } = deps;
  const { config, breakers } = state;
  const hedgeBudget = app.hedgeBudget(config.routing.hedging.maxHedgeShare);
  hedgeBudget.request(app.clock.now());
  await breakers.warm(state.plan.targets.map((t) => t.target));
  const routed = shedRecorded(state, () => routeRequest({
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
  }));
  state.recorder.routed(routed);
  return { ...state, routed };
}

/** Routing's answer; a request refused by load shedding is told to the recorder (the dashboard counts them) first. */
function shedRecorded<T>(state: Looked, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ApiError && err.code === "load_shed") state.recorder.shed();
    throw err;
  }
}
