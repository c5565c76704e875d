/** Shapes the drill's modules pass between them, for the TypeScript tests (the modules are plain Node ESM). */

export type Mode = "primary" | "failover" | "cache" | "stale" | "degraded" | "error";
export type TaskClass = "classification" | "extraction" | "chat" | "summarization";

/** Thresholds a scenario or a phase may declare. */
export interface Thresholds {
  servedPct?: number;
  servedPctByClass?: Partial<Record<TaskClass, number>>;
  silentTruncations?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  timeToDetectMs?: number;
  timeToRecoverMs?: number;
  /** Per fault phase: at most this % of its requests made an actual attempt (not a skip) at the faulted provider. */
  maxTouchedSickPct?: number;
  /** At least this % on the primary: at the tail of each recovery phase, else over all the requests judged. */
  minPrimarySharePct?: number;
  /** Scenario only: these providers' breakers showed CLOSED in every /status sample of the run. */
  breakerStaysClosed?: string[];
}

/** The abusive requests a tenant may send (see requests.mjs). */
export type AbuseKind = "empty-stop" | "deep-schema" | "huge-max-tokens";

/** A tenant of a multi-tenant scenario: its own gateway key, tier and share of the load. */
export interface TenantSpec {
  name: string;
  tier?: string;
  share: number;
  /** What it sends: the normal mix (default), or one or more abusive kinds, mixed evenly. */
  requests?: "normal" | AbuseKind | AbuseKind[];
  thresholds?: Thresholds;
}

/** A fault as a scenario file writes it. */
export interface FaultSpec {
  where: "network" | "detour";
  kind: string;
  vendor?: string;
  provider?: string;
  rate?: number;
  [field: string]: unknown;
}

/** A scenario file, parsed; `file` is added by loadScenarios. */
export interface Scenario {
  name: string;
  description?: string;
  quick?: boolean;
  rate: number;
  seed?: number;
  tier?: string;
  tenants?: TenantSpec[];
  /** Settings merged into one provider's config, by id (e.g. its own `breaker`). */
  providerConfig?: Record<string, Record<string, unknown>>;
  /** Start from Detour's own defaults (timeouts, retries, breaker, health window) instead of the drill's short ones. */
  productionDefaults?: boolean;
  /** How much of each recovery phase's end its primary share is measured over (default 3000). */
  recoveryTailMs?: number;
  mix?: { classes?: Partial<Record<TaskClass, number>>; stream?: number; repeat?: number };
  setup?: { templates?: Array<{ route?: string; key: string; text: string; [field: string]: unknown }> };
  config?: Record<string, unknown>;
  phases: Array<{ name: string; durationMs: number; faults?: FaultSpec[]; thresholds?: Thresholds }>;
  thresholds?: Thresholds;
  file?: string;
}

/** One attempt of a request's trace, as the record keeps it. */
export interface AttemptRecord {
  provider: string;
  outcome: string;
  reason?: string;
  error?: string;
  status?: number;
  probe?: true;
  ms?: number;
}

/** One request's record (recordOf); times in ms since the load started. */
export interface DrillRecord {
  i: number;
  phase: string;
  phaseIndex: number;
  t: number;
  cls: TaskClass;
  stream: boolean;
  repeat: boolean;
  status: number;
  mode: Mode | string;
  served: boolean;
  provider?: string;
  model?: string;
  bodyModel?: string;
  cache?: string;
  degraded?: string;
  costUsd?: number;
  hedged?: boolean;
  latencyMs?: number;
  ttfbMs?: number;
  usage?: { in: number; out: number };
  streamEnd?: "done" | "error_event" | "aborted" | "none";
  streamError?: string;
  errorCode?: string;
  clientError?: string;
  clientRetried?: boolean;
  invalidBody?: boolean;
  attempts?: AttemptRecord[];
  expect?: string;
  answer?: string;
  trace?: unknown;
  /** The tenant that sent it (multi-tenant scenarios). */
  tenant?: string;
  /** An abusive request's kind; absent for the normal mix. */
  kind?: AbuseKind;
}

/** One phase as the load ran it (runLoad's `phases`). */
export interface PhaseRun {
  name: string;
  index: number;
  startMs: number;
  endMs: number;
  appliedAtMs: number;
  clearedAtMs?: number;
  faults: Array<FaultSpec & { id?: string }>;
  faultedProviders: string[];
  vendorRequests: Record<string, number>;
  thresholds?: Thresholds;
}

/** summarise()'s numbers for a set of records. */
export interface Summary {
  requests: number;
  served: number;
  servedPct: number | null;
  modes: Record<Mode, number>;
  modePct: Record<Mode, number | null>;
  /** Served by the route's primary in primary mode, % of the requests that were not fresh cache hits. */
  primarySharePct: number | null;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  costUsd: number;
  detourCost: null | Record<"json" | "stream", { answers: number; reportedUsd: number; estimatedUsd: number }>;
  hedged: number;
  byClass: Partial<Record<TaskClass, { requests: number; servedPct: number | null; degradedPct: number | null; cachePct: number | null; errorPct: number | null }>>;
  streams: { total: number; done: number; errorEvent: number; aborted: number; jsonError: number };
  silentTruncations: number;
  invalidBodies: number;
  modelMismatches: number;
  failures: Record<string, number>;
  clientRetries: number;
}

/** A detection or recovery time in ms; null when it never happened; "continued" inside a longer fault run. */
export type FaultTime = number | null | "continued";

/** One phase's result: what ran, its summary, and for a fault phase the detection and recovery times. */
export interface PhaseResult extends PhaseRun, Summary {
  straddled: number;
  judged?: Summary;
  reachedFaulted?: { mock: number; trace: number };
  /** A fault phase: % of its requests whose trace shows an actual attempt at a faulted provider. */
  touchedSickPct?: number | null;
  /** A recovery phase (no faults, after a faulted one): its tail, and the primary's share of it. */
  recoveryTail?: { fromMs: number; requests: number };
  recoveredSharePct?: number | null;
  detect?: Record<string, FaultTime>;
  recover?: Record<string, FaultTime>;
  firstOtherSkip?: Record<string, { ms: number; reason: string }>;
  timeToDetectMs?: number | null;
  timeToRecoverMs?: number | null;
}

/** One tenant's requests, summarised. */
export interface TenantResult extends Summary {
  name: string;
  tier: string;
  share: number;
  kinds: Record<string, number>;
  thresholds?: Thresholds;
}

/** One threshold, checked. */
export interface Check {
  where: string;
  what: string;
  actual: number | null;
  limit: number;
  ok: boolean;
}

/** What analyse() returns. */
export interface Analysis {
  durationMs: number;
  faultedProviders: string[];
  overall: Summary & {
    dropped: number;
    reachedFaulted?: { mock: number; trace: number };
    timeToDetectMs?: number | null;
    timeToRecoverMs?: number | null;
    touchedSickPct?: number | null;
    recoveredSharePct?: number | null;
  };
  phases: PhaseResult[];
  tenants?: TenantResult[];
  breakerSamples: Array<{ t: number; states: Record<string, string>; faults?: number }>;
  breakerTransitions: Array<{ t: number; provider: string; from: string; to: string }>;
  checks: Check[];
  passed: boolean;
}
