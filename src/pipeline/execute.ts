// Execute: which target answers, after retries, failover and hedging (the engine), with chaos at the fetch edge?
import { chaosFetch } from "../chaos/inject";
import { executeJson } from "../engine/execute";
import { executeStream } from "../engine/stream";
import type { EngineDeps } from "../engine/types";
import { providerFor } from "../providers/registry";
import { inflightWatcher } from "../resilience/inflight";
import { simulatedFetch } from "../providers/simulated";
import type { Target } from "../providers/types";
import { effectiveValidate, routeChecks } from "../validate/route";
import { faultOn } from "./chaos";
import type { PipelineDeps } from "./deps";
import type { Chaotic, Executed, Limited } from "./state";

/**
 * Run the routed targets: a JSON answer, or a stream committed after its first content. The route's own output checks
 * (`routes.<name>.validate`, else the top-level `validate`) judge every answer; how a stream is judged is the
 * engine's (src/engine/stream.ts).
 */
export async function execute(state: Limited, deps: PipelineDeps): Promise<Executed> {
  const engine = engineFor(state, deps);
  const { routed, plan, request } = state;
  const validate = effectiveValidate(state.config.routes[plan.route]?.validate, state.config.validate);
  const checks = validate ? routeChecks(validate) : [];
  const opts = {
    deadlineMs: plan.deadlineMs,
    signal: state.http.signal,
    ...(routed.hedge ? { hedge: routed.hedge } : {}),
    ...(checks.length ? { checks } : {}),
    ...(validate ? { streamValidation: validate.stream } : {}),
  };
  if (routed.shed) {
    // Shed: every target passed over, nothing called; the degradation ladder decides what the caller gets.
    const skipped = state.plan.targets.map((t) => ({ target: t.target, reason: "load_shed" }));
    return { ...state, engine, outcome: { ok: false, failure: { kind: "exhausted", errors: [], skipped }, attempts: [] } };
  }
  const outcome = request.stream ? await executeStream(request, routed.targets, engine, opts) : await executeJson(request, routed.targets, engine, opts);
  return { ...state, engine, outcome };
}

/** The engine's view of the platform for this request: providers, secrets, breakers, governor, chaos, the recorder. */
export function engineFor(state: Chaotic, deps: PipelineDeps): EngineDeps {
  const { app, platform } = deps;
  const gov = app.governor(state.config);
  const now = () => app.clock.now();
  return {
    clock: app.clock,
    random: app.random,
    providerFor: (t) => providerFor(t.provider.kind),
    contextFor: (t, signal) => ({
      fetch: fetchFor(state, deps, t),
      signal,
      apiKey: t.provider.apiKeySecret ? platform.secret(t.provider.apiKeySecret) : undefined,
      ...(platform.env.AI ? { ai: platform.env.AI } : {}),
      now: app.clock.now,
    }),
    admit: state.breakers.admit,
    ...(state.config.resilience.inflight.enabled
      ? { inflight: inflightWatcher(app.inflight, state.config.resilience.inflight, now, (t: Target) => state.breakers.key(t)) }
      : {}),
    onAttempt: state.recorder.attempt,
    governor: {
      firstAttempt: (t) => gov.firstAttempt(t.provider.id, now(), app.random()),
      mayRetry: (t) => gov.mayRetry(t.provider.id, now()),
      outcome: (t, errorClass) => gov.outcome(t.provider.id, now(), errorClass),
    },
  };
}

/** The fetch one call to `t` goes through. Chaos applies here, so every other layer sees an ordinary failure. */
function fetchFor(state: Chaotic, deps: PipelineDeps, t: Target): typeof fetch {
  const { app } = deps;
  const base = t.provider.kind === "simulated" ? simulatedFetch(t.provider, (ms, signal) => app.clock.sleep(ms, signal), app.newId) : app.fetch;
  const fault = faultOn(state, t, app.clock.now(), app.random());
  if (!fault) return base;
  // Which drill is running, and its fault ids, are the operator's: a tenant's trace shows only the ordinary failure.
  if (state.admin) state.notes.push(`chaos: ${fault.kind} injected on ${t.provider.id} (fault ${fault.id})`);
  return chaosFetch(base, fault, t.provider.kind, app.clock);
}
