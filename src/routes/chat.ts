/**
 * The pipeline, top to bottom, behind every inbound API: POST /v1/chat/completions, /v1/messages (Anthropic) and
 * /v1/responses (OpenAI Responses) run the same stages; only the wire format (src/inbound/) differs. Each stage is a function in src/pipeline/ that reads the
 * request state, adds its decision, and either passes the state on or answers (a Response). Every stage reports into
 * the request's recorder (src/pipeline/record.ts): trace, headers, the log line, cache writes, usage, breakers.
 *
 * parse → resolve → classify → chaos → cache → history → route → limits → execute → shadow → respond | degrade
 *
 * `staged` marks each stage's end for `npm run bench`'s CPU-per-stage line (a no-op unless a benchmark turns it on).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { cacheLookup } from "../pipeline/cache";
import { chaos } from "../pipeline/chaos";
import { classify } from "../pipeline/classify";
import { degrade } from "../pipeline/degrade";
import { pipelineDeps } from "../pipeline/deps";
import { execute } from "../pipeline/execute";
import { history } from "../pipeline/history";
import { limits } from "../pipeline/limits";
import { parse } from "../pipeline/parse";
import { resolve } from "../pipeline/resolve";
import { respond } from "../pipeline/respond";
import { route } from "../pipeline/route";
import { shadow } from "../pipeline/shadow";
import { newRequest } from "../pipeline/state";
import { staged } from "../observability/stage-timer";
import { openAIChat } from "../inbound/openai-chat";
import type { InboundFormat } from "../inbound/types";

/** The handler for one inbound wire format. */
export const pipelineFor = (inbound: InboundFormat) => (c: Context<AppEnv>) => run(c, inbound);

export const chatCompletions = pipelineFor(openAIChat);

async function run(c: Context<AppEnv>, inbound: InboundFormat): Promise<Response> {
  const deps = pipelineDeps(c);
  const start = staged(
    "setup",
    newRequest(
      { requestId: c.get("requestId"), caller: c.get("caller"), config: c.get("loaded").config, startedAt: c.get("startedAt"), http: c.req.raw, path: c.req.path, inbound },
      deps,
    ),
  );
  // What the caller asked for, under which route, and what kind of task it is.
  const parsed = staged("parse", await parse(start, deps));
  const resolved = staged("resolve", resolve(parsed, deps));
  const classified = staged("classify", classify(resolved, deps));
  // Drill faults to inject at the provider-fetch edge (admins may add one for this request).
  const withChaos = staged("chaos", await chaos(classified, deps));
  // A fresh cached answer settles the request here.
  const looked = staged("cache", await cacheLookup(withChaos, deps));
  if (looked instanceof Response) return looked;
  // Which targets, in which order; then the tenant's limits for that plan.
  // Classification and extraction answers are remembered (sampled, scrubbed) for when every vendor is down.
  const routed = staged("route", await route(history(looked, deps), deps));
  const limited = staged("limits", await limits(routed, deps));
  // The engine: retries, failover, hedging; every attempt is reported to the recorder as it settles.
  const executed = staged("execute", await execute(limited, deps));
  // A sample of primary-served answers is mirrored to the route's candidate fallbacks after the response.
  shadow(executed, deps);
  // An answer goes out (a stream records itself when it ends); a failure goes down the degradation ladder.
  return staged("respond", executed.outcome.ok ? respond(executed, deps) : await degrade(executed, deps));
}
