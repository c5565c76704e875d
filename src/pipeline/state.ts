/**
 * One request's state as it moves down the pipeline. Each stage reads what the stages before it decided and adds its
 * own decision; the `Parsed` … `Executed` aliases say which fields are filled by the time a stage runs.
 */
import { routeReporter } from "../dashboard/route-feed";
import { historyStub } from "../platform/stubs";
import type { Caller } from "../app-types";
import { RequestBreakers } from "../breakers/request";
import type { CacheHit, IntentCache, Prepared } from "../cache/intent-cache";
import type { CacheDecision } from "../cache/policy";
import type { CanonicalRequest, CanonicalResponse } from "../canonical";
import type { Fault } from "../chaos/faults";
import type { RegisteredMatch } from "../intent/registry";
import type { InboundFormat } from "../inbound/types";
import type { DetourConfig, RouteConfig } from "../config/schema";
import type { CommittedStream, EngineDeps, Outcome } from "../engine/types";
import { redact } from "../observability/redact";
import type { Classification } from "../routing/classify";
import type { ResolvedPlan } from "../routing/resolve";
import type { LimiterStub, RoutedRequest } from "../routing/route-request";
import type { PipelineDeps } from "./deps";
import { Recorder } from "./record";

/** The cache stage's decision and what it found. */
export interface CacheState {
  decision: CacheDecision;
  /** Open when this request may read or write the cache (and KV answered). */
  cache?: IntentCache;
  prepared?: Prepared;
  hit?: CacheHit;
  /** The operator-registered intent this question matched (no header needed), with its stand-in answer. */
  registered?: RegisteredMatch;
}

export interface RequestState {
  requestId: string;
  tenant: string;
  caller: Caller;
  config: DetourConfig;
  /** The caller's HTTP request: its headers, path and abort signal. */
  http: Request;
  /** The caller's wire format (Chat Completions, Messages, Responses): parses the body, renders answers and errors. */
  inbound: InboundFormat;
  /** Things the caller should know about how this was decided (the trace's notes); shared with breakers and chaos. */
  notes: string[];
  breakers: RequestBreakers;
  /** Where every stage reports: trace, headers, the log line, cache writes, usage, breaker reports. */
  recorder: Recorder;
  // parse
  request?: CanonicalRequest;
  model?: string;
  // resolve
  plan?: ResolvedPlan;
  route?: RouteConfig;
  intent?: string;
  wantTrace?: boolean;
  // classify
  classification?: Classification;
  // chaos
  faults?: Fault[];
  requestFault?: Fault;
  /** The caller presented the admin token: only then does the trace name chaos faults (drills are operator business). */
  admin?: boolean;
  // cache
  cache?: CacheState;
  // route
  routed?: RoutedRequest;
  // limits
  limiter?: LimiterStub;
  // execute
  engine?: EngineDeps;
  outcome?: Outcome<CanonicalResponse> | Outcome<CommittedStream>;
}

type Filled<S, K extends keyof RequestState> = S & Required<Pick<RequestState, K>>;
export type Parsed = Filled<RequestState, "request" | "model">;
export type Resolved = Filled<Parsed, "plan" | "wantTrace">;
export type Classified = Filled<Resolved, "classification">;
export type Chaotic = Filled<Classified, "faults">;
export type Looked = Filled<Chaotic, "cache">;
export type Routed = Filled<Looked, "routed">;
export type Limited = Routed;
export type Executed = Filled<Limited, "engine" | "outcome">;

/** The state a request starts with: who asked, under which config, and the recorder every stage reports into. */
export function newRequest(
  init: { requestId: string; caller: Caller; config: DetourConfig; startedAt: number; http: Request; path: string; inbound: InboundFormat },
  deps: PipelineDeps,
): RequestState {
  const { app, platform } = deps;
  const breakers = new RequestBreakers(init.config, platform.env, platform.where, app.clock, platform.later, app.breakerView, init.caller.tenant);
  // Read when an upstream message is first cleaned (an error), not on every request.
  let secrets: (string | undefined)[] | undefined;
  const recorder = new Recorder({
    requestId: init.requestId,
    tenant: init.caller.tenant,
    path: init.path,
    startedAt: init.startedAt,
    clock: app.clock,
    log: app.log,
    later: platform.later,
    clean: (s) => redact(s, (secrets ??= init.config.providers.map((p) => (p.apiKeySecret ? platform.secret(p.apiKeySecret) : undefined)))),
    breakers,
    notes: breakers.notes,
    served: routeReporter(init.config, platform.env.PROVIDER_HEALTH ? (name) => historyStub(platform.env, name) : undefined, app.clock, platform.later, app.routeFeed),
  });
  return { requestId: init.requestId, tenant: init.caller.tenant, caller: init.caller, config: init.config, http: init.http, inbound: init.inbound, notes: breakers.notes, breakers, recorder };
}
