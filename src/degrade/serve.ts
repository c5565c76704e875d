/**
 * The degradation ladder at work: when the live path cannot answer, try each rung of the route's ladder in order —
 * a reduced request on surviving capacity, a cached answer (fresh or stale), a template from KV, deterministic
 * rules — and end, if nothing answered, with an honest error that says what still works. The order and every rung's
 * policy are in src/degrade/ladder.ts; this file only runs them.
 */
import type { CanonicalRequest, CanonicalResponse, Message } from "../canonical";
import type { CacheHit } from "../cache/intent-cache";
import type { KeyValueStore } from "../cache/store";
import { degradeReasonOf, isCapacityLimited, mayDegrade, type DegradeReason } from "../engine/errors";
import type { Failure } from "../engine/types";
import type { Target } from "../providers/types";
import type { TaskClass } from "../routing/classify";
import { banner, honestError, ladderFor, STILL_WORKS, type DegradeConfig, type Rung } from "./ladder";
import { historySpace, type Example, type HistorySpace } from "./history";
import { historyAnswer, type Ranker } from "./history-vote";
import { ruleAnswer } from "./rules";
import { renderTemplate, validateTemplate } from "./template";

export interface DegradeInput {
  req: CanonicalRequest;
  route: string;
  taskClass: TaskClass;
  intent?: string;
  cfg: DegradeConfig;
  failure: Failure;
  /** When the live path says to come back (e.g. the soonest breaker probe); else the ladder's own retryAfterSeconds. */
  retryAfterSeconds?: number;
  now: number;
  kv?: KeyValueStore;
  /** Cached answer for this request, fresh or stale (looked up lazily: only when the ladder reaches "cache"). */
  cached?: () => Promise<CacheHit | undefined>;
  /** The closest cached answer for a question (a lower similarity bar than a cache hit), for the rules rung. */
  closest?: () => Promise<CacheHit | undefined>;
  /** This tenant's and route's remembered answers in a label space (rung "history"; absent: no history store). */
  history?: (space: HistorySpace) => Promise<Example[]>;
  /** The semantic backstop, when configured and bound (src/degrade/semantic.ts). */
  ranker?: Ranker;
  /** Runs the reduced request on the route's surviving targets. */
  reduced?: (req: CanonicalRequest) => Promise<{ response: CanonicalResponse; target: Target } | undefined>;
  /** Notes for the trace (a rung that failed, and why). */
  notes: string[];
}

export type Degraded =
  | {
      rung: Exclude<Rung, "error">;
      mode: "degraded" | "stale";
      response: CanonicalResponse;
      target?: Target;
      ageSeconds?: number;
      /** The cache rung's hit (its match kind and similarity label the answer). */
      hit?: CacheHit;
      /** `detour.degraded` in the body: a banner an app can show its users. */
      body: { mode: string; rung: Rung; reason: string; message: string; retry_after: number | null; confidence?: number };
    }
  | { rung: "error"; reason: string; message: string; retryAfterSeconds: number };

/** Classes whose questions a similar question's saved answer can stand in for. */
const QA_CLASSES: ReadonlySet<TaskClass> = new Set(["chat", "summarization"]);

/** Why the live path failed, as a reason code the banner turns into words. */
export type FailureReason = DegradeReason | "breaker_open";

/**
 * The reason code of a failure: a deadline is a timeout; nothing tried because every breaker refused is
 * "breaker_open"; otherwise the errors' shared `degradeReason` (src/engine/errors.ts) when they agree on
 * "rate_limited", "timeout" or "invalid_output" (every provider answered, and every answer failed the caller's
 * checks), else "providers_down".
 */
export function reasonOf(failure: Failure): FailureReason {
  if (failure.kind === "deadline") return "timeout";
  if (failure.kind !== "exhausted") return "providers_down";
  if (failure.errors.length === 0 && failure.skipped.length > 0) return "breaker_open";
  const reasons = new Set(failure.errors.map((e) => degradeReasonOf(e.error.errorClass)));
  const [only] = reasons;
  return reasons.size === 1 && (only === "rate_limited" || only === "timeout" || only === "invalid_output") ? only : "providers_down";
}

/** True when some target failed for lack of capacity (429, timeouts, stalls) rather than being broken. */
export function capacityLimited(failure: Failure): boolean {
  return failure.kind === "exhausted" && failure.errors.some((e) => isCapacityLimited(e.error.errorClass));
}

/**
 * May the ladder answer for this failure at all? Not for the caller's own mistakes and departures (an invalid
 * request, a prompt too long for every model, a closed connection): those are not outages, and a stand-in answer
 * would hide them. Decided per class by `mayDegrade` in src/engine/errors.ts.
 */
export function failureMayDegrade(failure: Failure): boolean {
  switch (failure.kind) {
    case "aborted":
      return false;
    case "caller":
      return mayDegrade(failure.error.errorClass);
    case "deadline":
      return true;
    case "exhausted":
      return failure.errors.length === 0 || failure.errors.some((e) => mayDegrade(e.error.errorClass));
  }
}

/** KV key of a route's template for an intent or task class (docs/storage.md). */
export const templateKey = (route: string, key: string) => `template:${route}:${key}`;

export async function degrade(input: DegradeInput): Promise<Degraded> {
  const { cfg, req } = input;
  const reason = reasonOf(input.failure);
  const ladder = ladderFor(cfg, input.taskClass);
  const answer = (text: string): CanonicalResponse => ({ model: "detour/degraded", content: text, toolCalls: [], finishReason: "stop" });
  const body = (rung: Rung, mode: string, ageSeconds?: number) => ({
    mode,
    rung,
    reason,
    message: banner(rung, reason, ageSeconds, cfg.message),
    retry_after: cfg.retryAfterSeconds,
  });

  for (const rung of ladder) {
    try {
      switch (rung) {
        case "reduced": {
          // Only when capacity, not the provider itself, is the problem: a smaller request may fit where a full one
          // was rate-limited or too slow. Against hard failures it would only repeat them.
          if (!input.reduced || !capacityLimited(input.failure)) break;
          const reducedReq = reduceRequest(req, cfg);
          if (!reducedReq) break;
          const got = await input.reduced(reducedReq);
          if (got) return { rung, mode: "degraded", response: got.response, target: got.target, body: body(rung, "degraded") };
          break;
        }
        case "cache": {
          const hit = await input.cached?.();
          if (hit) {
            const b = body(rung, "stale", hit.ageSeconds);
            // Every stale answer says how close it is: a same-meaning question's answer with the similarity
            // (src/intent/match.ts), an answer saved for this very question or intent as similarity 1.00.
            b.message =
              hit.similarity !== undefined
                ? `${b.message} It answers a question with the same meaning (similarity ${hit.similarity.toFixed(2)}).`
                : `${b.message} It answers the same question (similarity 1.00).`;
            return { rung, mode: "stale", response: hit.entry.response, ageSeconds: hit.ageSeconds, hit, body: b };
          }
          break;
        }
        case "history": {
          const space = historySpace(req, input.taskClass);
          if (!space || !input.history || !cfg.history.enabled) break;
          const out = await historyAnswer(req, space, await input.history(space), cfg.history, input.ranker);
          if (!out.ok) {
            input.notes.push(`history abstained: ${out.why}`);
            break;
          }
          const a = out.answer;
          const confidence = Math.round(a.confidence * 100) / 100;
          const evidence = a.label ? `${a.label.support} of ${a.label.voters} similar past requests agree` : `fields from past answers: ${Object.keys(a.fields ?? {}).join(", ")}`;
          input.notes.push(`history: ${a.by} vote over ${a.examples} past requests, confidence ${confidence.toFixed(2)}`);
          return {
            rung,
            mode: "degraded",
            response: answer(a.content),
            body: { ...body(rung, "degraded"), message: `${banner(rung, reason, undefined, cfg.message)} Confidence ${confidence.toFixed(2)}: ${evidence}.`, confidence },
          };
        }
        case "template": {
          if (!input.kv) break;
          for (const key of [input.intent, input.taskClass].filter((k): k is string => !!k)) {
            const stored = await input.kv.get<unknown>(templateKey(input.route, key));
            if (!stored) continue;
            const v = validateTemplate(stored.value);
            if (!v.ok) {
              input.notes.push(`template ${templateKey(input.route, key)} is invalid: ${v.errors.join("; ")}`);
              continue;
            }
            return { rung, mode: "degraded", response: answer(renderTemplate(v.template, req, input.now).text), body: body(rung, "degraded") };
          }
          break;
        }
        case "rules": {
          const r = ruleAnswer(req, input.taskClass, cfg);
          if (r) {
            // Labelled like the history rung's answer: the confidence and what backs it.
            const confidence = Math.round(r.confidence * 100) / 100;
            const message = `${banner(rung, reason, undefined, cfg.message)} Confidence ${confidence.toFixed(2)}: ${r.evidence}.`;
            return { rung, mode: "degraded", response: answer(r.content), body: { ...body(rung, "degraded"), message, confidence } };
          }
          // Q&A: the closest answer already given to a similar question, labelled as such.
          if (QA_CLASSES.has(input.taskClass) && input.closest) {
            const near = await input.closest();
            if (near) {
              const similarity = near.similarity ?? 1;
              return {
                rung,
                mode: "degraded",
                response: near.entry.response,
                ageSeconds: near.ageSeconds,
                body: { ...body(rung, "degraded", near.ageSeconds), message: `${banner(rung, reason, near.ageSeconds, cfg.message)} This is the closest saved answer to a similar question (similarity ${similarity.toFixed(2)}).` },
              };
            }
          }
          break;
        }
        case "error":
          break;
      }
    } catch (err) {
      // A rung that breaks (KV down, say) is skipped, never the end of the ladder.
      input.notes.push(`degrade rung ${rung} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const stillWorks = ladder.filter((r): r is Exclude<Rung, "error" | "reduced"> => r !== "error" && r !== "reduced").map((r) => STILL_WORKS[r]);
  const retryAfterSeconds = input.retryAfterSeconds ?? cfg.retryAfterSeconds;
  const { message } = honestError({ route: input.route, reason, retryAfterSeconds, stillWorks });
  return { rung: "error", reason, message, retryAfterSeconds };
}

/**
 * A narrower version of the request for weaker or rate-limited capacity: capped output, text only, an outline.
 * Undefined when narrowing would change what the caller asked for (a required tool call).
 */
export function reduceRequest(req: CanonicalRequest, cfg: DegradeConfig): CanonicalRequest | undefined {
  const { reduced } = cfg;
  if (req.tools?.length && (req.toolChoice === "required" || (typeof req.toolChoice === "object" && req.toolChoice !== null))) {
    if (reduced.textOnly) return undefined;
  }
  let messages: Message[] = req.messages;
  if (reduced.textOnly) {
    messages = messages.map((m) =>
      m.role === "user" && Array.isArray(m.content)
        ? { ...m, content: m.content.map((p) => (p.type === "image" ? { type: "text" as const, text: "[image omitted]" } : p)) }
        : m,
    );
  }
  if (reduced.outline) {
    messages = [{ role: "system", content: `Service is degraded: answer briefly, as an outline of at most ${reduced.maxTokens} tokens.` }, ...messages];
  }
  const { tools: _tools, toolChoice: _choice, ...rest } = req;
  return {
    ...(reduced.textOnly ? rest : req),
    messages,
    maxTokens: Math.min(req.maxTokens ?? reduced.maxTokens, reduced.maxTokens),
  };
}
