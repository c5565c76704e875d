import { describe, expect, it } from "vitest";
import {
  banner,
  DEFAULT_LADDER,
  DegradeConfig,
  formatAge,
  honestError,
  ladderFor,
  reasonPhrase,
  Rung,
  STILL_WORKS,
} from "../../../src/degrade/ladder";

/** The messages zod reports for `input`, so tests assert on what an operator would read. */
function errors(input: unknown): string[] {
  const r = DegradeConfig.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("DegradeConfig defaults", () => {
  it("an empty config is the standard ladder with safe defaults", () => {
    const cfg = DegradeConfig.parse({});
    expect(cfg.ladder).toEqual(["reduced", "cache", "history", "template", "rules", "error"]);
    expect(cfg.byClass).toEqual({});
    expect(cfg.reduced).toEqual({ maxTokens: 256, textOnly: true, outline: true });
    expect(cfg.rules).toEqual({});
    expect(cfg.message).toBe("Showing {{what}} while {{why}}.");
    expect(cfg.retryAfterSeconds).toBe(30);
  });

  it("orders the rungs from least to most loss of quality and ends with the honest error", () => {
    expect(DEFAULT_LADDER).toEqual(Rung.options);
    expect(DEFAULT_LADDER.at(-1)).toBe("error");
  });

  it("partial nested settings keep the other defaults", () => {
    const cfg = DegradeConfig.parse({ reduced: { maxTokens: 128 } });
    expect(cfg.reduced).toEqual({ maxTokens: 128, textOnly: true, outline: true });
  });
});

describe("DegradeConfig validation messages", () => {
  it("a ladder must end with error", () => {
    expect(errors({ ladder: ["cache", "template"] })).toEqual([
      'ladder: the ladder must end with "error", so a request nothing can answer still gets an honest 503',
    ]);
  });

  it("error anywhere but last is refused", () => {
    expect(errors({ ladder: ["error", "cache"] })).toContain(
      'ladder: the ladder must end with "error", so a request nothing can answer still gets an honest 503',
    );
  });

  it("a rung may appear only once", () => {
    expect(errors({ ladder: ["cache", "rules", "cache", "error"] })).toEqual([
      'ladder.2: "cache" appears twice in the ladder; each rung runs at most once',
    ]);
    expect(errors({ ladder: ["cache", "error", "error"] })).toEqual([
      'ladder.2: "error" appears twice in the ladder; each rung runs at most once',
    ]);
  });

  it("an empty ladder is refused", () => {
    expect(errors({ ladder: [] })[0]).toBe('ladder: the ladder needs at least the "error" rung');
  });

  it("unknown rungs name the valid ones", () => {
    expect(errors({ ladder: ["retry", "error"] })).toEqual([
      'ladder.0: unknown rung; use "reduced", "cache", "history", "template", "rules" or "error"',
    ]);
  });

  it("per-class ladders follow the same rules and only known classes are accepted", () => {
    expect(errors({ byClass: { chat: ["cache"] } })).toEqual([
      'byClass.chat: the ladder must end with "error", so a request nothing can answer still gets an honest 503',
    ]);
    expect(errors({ byClass: { faq: ["error"] } })[0]).toMatch(/Unrecognized key.*faq/);
  });

  it("rule labels need evidence, unique names and safe patterns", () => {
    expect(errors({ rules: { labels: [{ name: "billing" }] } })).toEqual([
      'rules.labels.0.keywords: label "billing" needs at least one keyword or pattern',
    ]);
    expect(
      errors({ rules: { labels: [{ name: "a", keywords: ["x"] }, { name: "a", keywords: ["y"] }] } }),
    ).toEqual(['rules.labels.1.name: duplicate label "a"']);
    expect(errors({ rules: { labels: [{ name: "a", keywords: [], patterns: ["(unclosed"] }] } })[0]).toMatch(
      /^rules\.labels\.0\.patterns\.0: label "a": pattern "\(unclosed" does not compile/,
    );
    // Nested repetition is safe on the linear-time engine; what it cannot run (lookaround) is refused by name.
    expect(errors({ rules: { labels: [{ name: "a", keywords: [], patterns: ["(a+)+$"] }] } })).toEqual([]);
    expect(errors({ rules: { labels: [{ name: "a", keywords: [], patterns: ["(?<=x)a"] }] } })[0]).toMatch(
      /^rules\.labels\.0\.patterns\.0: label "a": pattern "\(\?<=x\)a" uses lookbehind/,
    );
    expect(errors({ rules: { labels: [{ name: "a", keywords: [], patterns: ["x".repeat(201)] }] } })[0]).toMatch(
      /201 characters; the limit is 200/,
    );
  });

  it("the banner template may only use its placeholders", () => {
    expect(errors({ message: "Heads up: {{what}} ({{provider}})" })).toEqual([
      "message: unknown placeholder {{provider}} in message; use {{what}}, {{why}} or {{age}}",
    ]);
    expect(errors({ message: "Heads up: {{ what }}, {{age}}" })).toEqual([]);
  });

  it("unknown fields and bad numbers are refused", () => {
    expect(errors({ ladders: DEFAULT_LADDER })[0]).toMatch(/Unrecognized key.*ladders/);
    expect(errors({ retryAfterSeconds: 0 })).toHaveLength(1);
    expect(errors({ reduced: { maxTokens: -1 } })).toHaveLength(1);
  });
});

describe("ladderFor", () => {
  const cfg = DegradeConfig.parse({
    ladder: ["cache", "reduced", "error"],
    byClass: { classification: ["rules", "cache", "error"], chat: ["reduced", "template", "error"] },
  });

  it("uses the class override when there is one", () => {
    expect(ladderFor(cfg, "classification")).toEqual(["rules", "cache", "error"]);
    expect(ladderFor(cfg, "chat")).toEqual(["reduced", "template", "error"]);
  });

  it("falls back to the route ladder for other classes and for no class", () => {
    expect(ladderFor(cfg, "code")).toEqual(["cache", "reduced", "error"]);
    expect(ladderFor(cfg)).toEqual(["cache", "reduced", "error"]);
  });

  it("the default config gives every class the default ladder", () => {
    const d = DegradeConfig.parse({});
    for (const c of ["classification", "extraction", "rewrite", "summarization", "chat", "code", "reasoning"] as const) {
      expect(ladderFor(d, c)).toEqual(DEFAULT_LADDER);
    }
  });

  it("returns a copy, so a caller cannot reorder the config", () => {
    const l = ladderFor(cfg, "code");
    l.reverse();
    expect(cfg.ladder).toEqual(["cache", "reduced", "error"]);
  });

  it("every ladder the config accepts ends with error and has no duplicates", () => {
    for (const l of [ladderFor(cfg), ladderFor(cfg, "classification"), ladderFor(cfg, "chat")]) {
      expect(l.at(-1)).toBe("error");
      expect(new Set(l).size).toBe(l.length);
    }
  });
});

describe("banner", () => {
  it("labels a cached answer with its age", () => {
    expect(banner("cache", "providers_down", 12 * 60)).toBe(
      "Showing a saved answer from 12 minutes ago while our AI provider is unavailable.",
    );
    expect(banner("cache", "providers_down")).toBe("Showing a saved answer while our AI provider is unavailable.");
  });

  it("has a sentence for every rung", () => {
    expect(banner("reduced", "rate_limited")).toBe("Showing a shorter answer while our AI provider is at capacity.");
    expect(banner("template", "timeout")).toBe("Showing a standard reply while our AI provider is responding too slowly.");
    expect(banner("rules", "breaker_open")).toBe(
      "Showing an automatic keyword-based result while our AI provider is recovering from errors.",
    );
    expect(banner("error", "budget")).toBe(
      "We can't answer right now because the usage budget for this service has been reached. Please try again shortly.",
    );
  });

  it("uses the route's message template", () => {
    expect(banner("cache", "providers_down", 7200, "{{what}} — saved {{age}} because {{why}}")).toBe(
      "A saved answer from 2 hours ago — saved 2 hours ago because our AI provider is unavailable",
    );
  });

  it("plain-language reasons pass through; unknown codes read as unavailable", () => {
    expect(reasonPhrase("the provider is under maintenance")).toBe("the provider is under maintenance");
    expect(reasonPhrase("E_WEIRD")).toBe("our AI provider is unavailable");
    expect(reasonPhrase("constructor")).toBe("our AI provider is unavailable");
  });

  it.each([
    [3, "a few seconds ago"],
    [45, "45 seconds ago"],
    [60, "1 minute ago"],
    [12 * 60 + 20, "12 minutes ago"],
    [3600, "1 hour ago"],
    [3 * 86_400, "3 days ago"],
  ])("formatAge(%d) = %s", (s, text) => {
    expect(formatAge(s)).toBe(text);
  });
});

describe("honestError", () => {
  it("says what happened, that nothing could answer, when to retry and what still works", () => {
    const { message } = honestError({
      route: "support",
      reason: "providers_down",
      retryAfterSeconds: 30,
      stillWorks: [STILL_WORKS.cache, STILL_WORKS.rules],
    });
    expect(message).toBe(
      'We couldn\'t answer this request on route "support" because our AI provider is unavailable, and no saved answer, ' +
        "standard reply or rule could stand in for it. Please try again in 30 seconds. What still works: cached answers " +
        "for common questions and classification and extraction by keyword rules.",
    );
  });

  it("says so when nothing else works, and rounds long waits", () => {
    const { message } = honestError({ route: "draft", reason: "budget", retryAfterSeconds: 600, stillWorks: [] });
    expect(message).toContain("because the usage budget for this service has been reached");
    expect(message).toContain("Please try again in about 10 minutes.");
    expect(message).toContain("Nothing else on this route can answer until the provider recovers.");
  });

  it("lists three or more capabilities with commas", () => {
    const { message } = honestError({ route: "r", reason: "timeout", retryAfterSeconds: 1, stillWorks: ["a", "b", "c"] });
    expect(message).toContain("Please try again in 1 second.");
    expect(message).toContain("What still works: a, b and c.");
  });
});
