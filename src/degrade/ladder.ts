/**
 * The degradation ladder: what Detour tries, in order, when the live path cannot answer. Each rung is a narrower
 * version of the core value (a shorter answer, a saved one, a standard reply, a rule-based label) and the last rung is
 * always an honest error that says what happened, when to retry and what still works.
 *
 * Pure, so the ladder is the same in tests and at the edge: config in, rungs and wording out; no clock (ages are
 * passed in), no env, no I/O.
 */
import * as z from "../zod";
import type { TaskClass } from "../routing/classify";
import { HistoryConfig } from "./history-config";
import { compilePattern } from "./pattern";

/** One step of the ladder. `error` is the honest 503 and is always last. */
export const Rung = z.enum(["reduced", "cache", "history", "template", "rules", "error"], {
  error: 'unknown rung; use "reduced", "cache", "history", "template", "rules" or "error"',
});
export type Rung = z.infer<typeof Rung>;

/**
 * Cheapest loss of quality first: a weaker live answer beats a saved one; a label voted by similar past requests beats a
 * canned reply, which beats keyword rules.
 */
export const DEFAULT_LADDER: Rung[] = ["reduced", "cache", "history", "template", "rules", "error"];

/** The banner shown with a degraded answer. {{what}} is what is shown, {{why}} the plain reason, {{age}} e.g. "12 minutes ago". */
export const DEFAULT_BANNER = "Showing {{what}} while {{why}}.";
const BANNER_PLACEHOLDERS = ["what", "why", "age"];

const Ladder = z.array(Rung).check(z.minLength(1, 'the ladder needs at least the "error" rung'), z.superRefine((rungs, ctx) => {
    rungs.forEach((r, i) => {
      if (rungs.indexOf(r) !== i) ctx.addIssue({ code: "custom", path: [i], message: `"${r}" appears twice in the ladder; each rung runs at most once` });
    });
    if (rungs.length > 0 && rungs[rungs.length - 1] !== "error") {
      ctx.addIssue({ code: "custom", message: 'the ladder must end with "error", so a request nothing can answer still gets an honest 503' });
    }
  }));

const RuleLabelConfig = z.strictObject({
  /** The label returned (and, for json_schema requests, it must be one of the schema's enum values to be used). */
  name: z.string().check(z.minLength(1), z.maxLength(100)),
  /** Words or phrases, matched on canonical lower-case words; a multi-word phrase outscores a single word. */
  keywords: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.maxLength(200)), []),
  /** Case-insensitive regexes in RE2 syntax (linear-time; no lookaround or backreferences), each at most 200 characters. */
  patterns: z.optional(z.array(z.string()).check(z.maxLength(50))),
}).check(z.superRefine((l, ctx) => {
    if (l.keywords.length === 0 && !l.patterns?.length) {
      ctx.addIssue({ code: "custom", path: ["keywords"], message: `label "${l.name}" needs at least one keyword or pattern` });
    }
    l.patterns?.forEach((p, i) => {
      const c = compilePattern(p);
      if (!c.ok) ctx.addIssue({ code: "custom", path: ["patterns", i], message: `label "${l.name}": ${c.message}` });
    });
  }));

const ByClass = z.strictObject({
    classification: z.optional(Ladder),
    extraction: z.optional(Ladder),
    rewrite: z.optional(Ladder),
    summarization: z.optional(Ladder),
    chat: z.optional(Ladder),
    code: z.optional(Ladder),
    reasoning: z.optional(Ladder),
  } satisfies Record<TaskClass, unknown>);

/** Degradation settings for a route; every field has a default, so `DegradeConfig.parse({})` is the standard ladder. */
export const DegradeConfig = z.strictObject({
  /** Rungs in the order they are tried; must end with "error" and name each rung at most once. */
  ladder: z._default(Ladder, DEFAULT_LADDER),
  /** Per task class orders, replacing `ladder` for that class (e.g. chat skips "rules", which cannot chat). */
  byClass: z._default(ByClass, {}),
  /** Rung 1: what a reduced request keeps. */
  reduced: z._default(z.strictObject({
      /** Output cap for the reduced request: short enough for rate-limited or weaker capacity. */
      maxTokens: z._default(z.number().check(z.int(), z.positive(), z.lte(8192)), 256),
      /** Drop tools and images, so any surviving text model can serve it. */
      textOnly: z._default(z.boolean(), true),
      /** Ask for an outline instead of a full draft. */
      outline: z._default(z.boolean(), true),
    }), { maxTokens: 256, textOnly: true, outline: true }),
  /** Rung 4: keyword/regex labels for classification; with none, a json_schema enum supplies the labels. */
  rules: z._default(z.strictObject({
      labels: z.optional(z.array(RuleLabelConfig).check(z.maxLength(200))),
      /** Answered when no label matches; without it, no match moves on to the next rung. */
      fallbackLabel: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
    }).check(z.superRefine((r, ctx) => {
      r.labels?.forEach((l, i) => {
        if (r.labels!.findIndex((x) => x.name === l.name) !== i) {
          ctx.addIssue({ code: "custom", path: ["labels", i, "name"], message: `duplicate label "${l.name}"` });
        }
      });
    })), {}),
  /** Rung "history": classification and extraction from this route's past answers (docs/degradation.md). */
  history: z.prefault(HistoryConfig, {}),
  /** Banner template; placeholders {{what}}, {{why}}, {{age}}. */
  message: z._default(z.string().check(z.minLength(1), z.maxLength(500)), DEFAULT_BANNER).check(z.superRefine((m, ctx) => {
      for (const [, name] of m.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) {
        if (!BANNER_PLACEHOLDERS.includes(name!)) {
          ctx.addIssue({ code: "custom", message: `unknown placeholder {{${name}}} in message; use {{what}}, {{why}} or {{age}}` });
        }
      }
    })),
  /** Retry-After of the honest error, seconds. */
  retryAfterSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(86_400)), 30),
});
export type DegradeConfig = z.infer<typeof DegradeConfig>;

/** The rungs to try for a request of `taskClass`: its override if configured, else the route's ladder. A fresh copy. */
export function ladderFor(cfg: DegradeConfig, taskClass?: TaskClass): Rung[] {
  return [...((taskClass && cfg.byClass[taskClass]) || cfg.ladder)];
}

/** Plain phrases for the reason codes the engine reports; anything else with a space is taken as already plain. */
const REASONS: Record<string, string> = {
  providers_down: "our AI provider is unavailable",
  breaker_open: "our AI provider is recovering from errors",
  rate_limited: "our AI provider is at capacity",
  timeout: "our AI provider is responding too slowly",
  invalid_output: "our AI provider's answers did not pass this service's checks",
  budget: "the usage budget for this service has been reached",
};

/** A reason code (`rate_limited`) as words a person understands; unknown codes read as "unavailable". */
export function reasonPhrase(reason: string): string {
  if (Object.hasOwn(REASONS, reason)) return REASONS[reason]!;
  return /\s/.test(reason.trim()) ? reason.trim() : REASONS.providers_down!;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** "12 minutes ago": rounded to the largest whole unit, because a banner is read in a glance. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 10) return "a few seconds ago";
  if (s < 60) return `${plural(s, "second")} ago`;
  if (s < 3600) return `${plural(Math.round(s / 60), "minute")} ago`;
  if (s < 86_400) return `${plural(Math.round(s / 3600), "hour")} ago`;
  return `${plural(Math.round(s / 86_400), "day")} ago`;
}

/** "30 seconds", "about 2 minutes": how long to wait, for an error message. */
function formatWait(seconds: number): string {
  if (seconds < 90) return plural(Math.max(1, Math.round(seconds)), "second");
  if (seconds < 5400) return `about ${plural(Math.round(seconds / 60), "minute")}`;
  return `about ${plural(Math.round(seconds / 3600), "hour")}`;
}

/** What each rung's answer is, as the object of "Showing …". */
function what(rung: Exclude<Rung, "error">, ageSeconds?: number): string {
  if (rung === "cache") return ageSeconds === undefined ? "a saved answer" : `a saved answer from ${formatAge(ageSeconds)}`;
  return { reduced: "a shorter answer", history: "an automatic result based on similar past requests", template: "a standard reply", rules: "an automatic keyword-based result" }[rung];
}

/**
 * A short message an app can show its users next to a degraded answer, e.g. "Showing a saved answer from 12 minutes
 * ago while our AI provider is unavailable." `template` is the route's `message` (placeholders {{what}}, {{why}},
 * {{age}}). The error rung has no answer to label, so it gets a fixed "try again" sentence.
 */
export function banner(rung: Rung, reason: string, ageSeconds?: number, template: string = DEFAULT_BANNER): string {
  const why = reasonPhrase(reason);
  if (rung === "error") return `We can't answer right now because ${why}. Please try again shortly.`;
  const vars: Record<string, string> = { what: what(rung, ageSeconds), why, age: ageSeconds === undefined ? "" : formatAge(ageSeconds) };
  const text = template.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (m, name: string) => vars[name] ?? m);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Phrases for `honestError`'s `stillWorks`, one per rung that can still answer some requests on a route. */
export const STILL_WORKS: Record<Exclude<Rung, "error">, string> = {
  reduced: "shorter answers from a backup model",
  cache: "cached answers for common questions",
  history: "classification and extraction from similar past requests",
  template: "standard replies for common requests",
  rules: "classification and extraction by keyword rules",
};

/**
 * The body text of the final rung's 503, in plain language: what happened, that nothing could answer this request,
 * when to retry (the same figure as the Retry-After header) and what still works on the route.
 */
export function honestError(input: { route: string; reason: string; retryAfterSeconds: number; stillWorks: string[] }): {
  message: string;
} {
  const parts = [
    `We couldn't answer this request on route "${input.route}" because ${reasonPhrase(input.reason)}, and no saved answer, standard reply or rule could stand in for it.`,
    `Please try again in ${formatWait(input.retryAfterSeconds)}.`,
    input.stillWorks.length > 0
      ? `What still works: ${joinList(input.stillWorks)}.`
      : "Nothing else on this route can answer until the provider recovers.",
  ];
  return { message: parts.join(" ") };
}

function joinList(xs: string[]): string {
  if (xs.length <= 1) return xs.join("");
  return `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}
