// History: may this request's live answer be remembered for classification from history, and how (src/degrade/history.ts)?
import { KvStore } from "../cache/store";
import type { CanonicalResponse } from "../canonical";
import { exampleOf, historySpace } from "../degrade/history";
import { HistoryStore } from "../degrade/history-store";
import type { EmbeddingsBinding } from "../degrade/semantic";
import { embeddingRanker } from "../degrade/semantic";
import type { PipelineDeps } from "./deps";
import type { Executed, Looked } from "./state";

/**
 * Registers the history write for a healthy answer: classification and extraction requests, sampled, never with
 * `cache-control: no-store`, never tool calls (historySpace refuses them). The write runs after the response.
 */
export function history(state: Looked, deps: PipelineDeps): Looked {
  const cfg = (state.route?.degrade ?? state.config.degrade).history;
  const kv = deps.platform.env.DETOUR_KV;
  if (!cfg.enabled || !kv || state.cache.decision.reason === "no-store") return state;
  const space = historySpace(state.request, state.classification.taskClass);
  if (!space || deps.app.random() >= cfg.sampleRate) return state;
  const { recorder, request, tenant, plan } = state;
  // Bounded like every KV call: a KV that never answers must not hold the request's background work forever.
  const store = new HistoryStore(new KvStore(kv, { timeoutMs: state.config.cache.kvTimeoutMs, clock: deps.app.clock }), cfg);
  recorder.remembers(async (res: CanonicalResponse) => {
    const now = deps.app.clock.now();
    const example = exampleOf(request, space, res, { now, maxTextChars: cfg.maxTextChars, clean: (s) => recorder.clean(s) });
    if (example) await store.record({ tenant, route: plan.route }, space, example, now);
  });
  return state;
}

/** The ladder's history inputs: a loader of the tenant's and route's examples, and the semantic ranker when enabled. */
export function historyInputs(state: Executed, deps: PipelineDeps) {
  const cfg = (state.route?.degrade ?? state.config.degrade).history;
  const kv = deps.platform.env.DETOUR_KV;
  if (!cfg.enabled || !kv) return {};
  const store = new HistoryStore(new KvStore(kv, { timeoutMs: state.config.cache.kvTimeoutMs, clock: deps.app.clock }), cfg);
  const ai = deps.platform.env.AI as EmbeddingsBinding | undefined;
  return {
    history: (space: Parameters<HistoryStore["load"]>[1]) => store.load({ tenant: state.tenant, route: state.plan.route }, space),
    ...(cfg.semantic.enabled && ai ? { ranker: embeddingRanker(ai, cfg.semantic, deps.app.clock, (n) => state.notes.push(n)) } : {}),
  };
}
