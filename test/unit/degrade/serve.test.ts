import { describe, expect, it } from "vitest";
import type { CanonicalRequest, CanonicalResponse } from "../../../src/canonical";
import type { CacheHit } from "../../../src/cache/intent-cache";
import { MemoryStore, type KeyValueStore } from "../../../src/cache/store";
import { ModelConfig, ProviderConfig } from "../../../src/config/schema";
import { DegradeConfig, type Rung } from "../../../src/degrade/ladder";
import { capacityLimited, degrade, failureMayDegrade, reasonOf, reduceRequest, templateKey, type DegradeInput } from "../../../src/degrade/serve";
import { UpstreamError, type ErrorClass } from "../../../src/engine/errors";
import type { Failure } from "../../../src/engine/execute";
import type { Target } from "../../../src/providers/types";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

function target(id: string): Target {
  return {
    provider: ProviderConfig.parse({ id, kind: "openai", baseUrl: "https://example.test/v1", models: [{ id: "m" }] }),
    model: ModelConfig.parse({ id: "m" }),
  };
}

function req(text: string, extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: text }], stream: false, includeUsage: false, ...extra };
}

function answer(content: string): CanonicalResponse {
  return { model: "m", content, toolCalls: [], finishReason: "stop" };
}

/** Every target failed with these error classes (and `skipped` more were refused by their breakers). */
function exhausted(classes: ErrorClass[], skipped = 0): Failure {
  return {
    kind: "exhausted",
    errors: classes.map((c, i) => ({ target: target(`p${i}`), error: new UpstreamError(c, `p${i}: ${c}`) })),
    skipped: Array.from({ length: skipped }, (_, i) => ({ target: target(`s${i}`), reason: "open" })),
  };
}

const rateLimited = exhausted(["rate_limited"]);
const serverDown = exhausted(["server_error"]);

function hit(content: string, ageSeconds: number): CacheHit {
  return {
    entry: {
      v: 1,
      response: answer(content),
      provider: "alpha",
      model: "m",
      createdAt: NOW - ageSeconds * 1000,
      freshUntil: NOW - 1,
      staleUntil: NOW + 86_400_000,
      taskClass: "classification",
      route: "support",
      exactHash: "cache:x",
    },
    key: "cache:k",
    match: "exact",
    state: "stale",
    ageSeconds,
  };
}

/**
 * A degrade() input where every rung can answer unless told otherwise, recording which rungs were consulted:
 * `reduced` and `cached` callbacks, and a KV that logs its reads.
 */
function setup(o: {
  cfg?: unknown;
  failure?: Failure;
  taskClass?: DegradeInput["taskClass"];
  intent?: string;
  req?: CanonicalRequest;
  reduced?: string | null;
  cached?: CacheHit | null;
  templates?: Record<string, unknown>;
  kv?: KeyValueStore | null;
}) {
  const calls: string[] = [];
  const reducedRequests: CanonicalRequest[] = [];
  const kv = new MemoryStore(() => NOW);
  const logged: KeyValueStore = {
    get: async <T>(key: string) => (calls.push(`kv:${key}`), kv.get<T>(key)),
    put: (k, v, opts) => kv.put(k, v, opts),
    delete: (k) => kv.delete(k),
    list: (p) => kv.list(p),
  };
  const input: DegradeInput = {
    req: o.req ?? req("My invoice is wrong, ticket #4521"),
    route: "support",
    taskClass: o.taskClass ?? "classification",
    ...(o.intent ? { intent: o.intent } : {}),
    cfg: DegradeConfig.parse(o.cfg ?? { rules: { labels: [{ name: "billing", keywords: ["invoice"] }] } }),
    failure: o.failure ?? rateLimited,
    now: NOW,
    ...(o.kv === null ? {} : { kv: o.kv ?? logged }),
    cached: async () => {
      calls.push("cache");
      return o.cached === null ? undefined : (o.cached ?? hit("saved answer", 720));
    },
    reduced: async (r) => {
      calls.push("reduced");
      reducedRequests.push(r);
      return o.reduced === null ? undefined : { response: answer(o.reduced ?? "short answer"), target: target("backup") };
    },
    notes: [],
  };
  const ready = (async () => {
    for (const [key, value] of Object.entries(o.templates ?? {})) await kv.put(templateKey("support", key), value);
  })();
  return { input, calls, reducedRequests, run: async () => (await ready, degrade(input)) };
}

const TICKET_TEMPLATE = { text: "We are busy; ticket {{ticket}} is noted.", variables: { ticket: { from: "regex", pattern: "#(\\d+)" } } };

describe("degrade: the ladder in order", () => {
  it("reduced answers first when capacity was the problem, and nothing after it is consulted", async () => {
    const s = setup({ failure: rateLimited });
    const d = await s.run();
    expect(d).toMatchObject({ rung: "reduced", mode: "degraded", response: { content: "short answer" }, target: { provider: { id: "backup" } } });
    if (d.rung === "error") throw new Error("unreachable");
    expect(d.body).toEqual({
      mode: "degraded",
      rung: "reduced",
      reason: "rate_limited",
      message: "Showing a shorter answer while our AI provider is at capacity.",
      retry_after: 30,
    });
    expect(s.calls).toEqual(["reduced"]);
  });

  it("the reduced request is capped, text-only and asks for an outline", async () => {
    const s = setup({ req: req("Write me a long essay", { maxTokens: 4000 }) });
    await s.run();
    expect(s.reducedRequests).toHaveLength(1);
    expect(s.reducedRequests[0]!.maxTokens).toBe(256);
    expect(s.reducedRequests[0]!.messages[0]).toMatchObject({ role: "system", content: expect.stringMatching(/outline/) });
  });

  it.each<[string, Failure]>([
    ["a timeout", exhausted(["timeout"])],
    ["a stall", exhausted(["stall"])],
    ["one 429 among server errors", exhausted(["server_error", "rate_limited"])],
  ])("reduced is tried after %s", async (_why, failure) => {
    const s = setup({ failure });
    expect((await s.run()).rung).toBe("reduced");
  });

  it.each<[string, Failure]>([
    ["server errors", serverDown],
    ["network errors", exhausted(["network", "malformed"])],
    ["every breaker open", exhausted([], 2)],
    ["the request deadline", { kind: "deadline" }],
  ])("reduced is skipped after %s (a smaller request would only fail again)", async (_why, failure) => {
    const s = setup({ failure });
    const d = await s.run();
    expect(d.rung).toBe("cache");
    expect(s.calls).toEqual(["cache"]);
  });

  it("reduced finding no capacity moves on to the cache", async () => {
    const s = setup({ reduced: null });
    expect((await s.run()).rung).toBe("cache");
    expect(s.calls).toEqual(["reduced", "cache"]);
  });

  it("reduced is skipped when narrowing would change the request (a required tool call)", async () => {
    const tools = [{ name: "refund", parameters: { type: "object" } }];
    const s = setup({ req: req("refund order 1", { tools, toolChoice: "required" }) });
    expect((await s.run()).rung).toBe("cache");
    expect(s.calls).toEqual(["cache"]);
  });

  it("the cache rung serves the saved answer as stale, with its age and similarity in the banner", async () => {
    const s = setup({ failure: serverDown, cached: hit("saved answer", 720) });
    const d = await s.run();
    expect(d).toMatchObject({ rung: "cache", mode: "stale", ageSeconds: 720, response: { content: "saved answer" } });
    if (d.rung === "error") throw new Error("unreachable");
    expect(d.body).toEqual({
      mode: "stale",
      rung: "cache",
      reason: "providers_down",
      message: "Showing a saved answer from 12 minutes ago while our AI provider is unavailable. It answers the same question (similarity 1.00).",
      retry_after: 30,
    });
    expect(s.calls).toEqual(["cache"]);
  });

  it("the cache rung uses the route's banner template", async () => {
    const s = setup({ failure: serverDown, cfg: { message: "Saved {{age}}: {{why}}." } });
    const d = await s.run();
    if (d.rung === "error") throw new Error("unreachable");
    expect(d.body.message).toBe("Saved 12 minutes ago: our AI provider is unavailable. It answers the same question (similarity 1.00).");
  });

  it("the template rung reads template:<route>:<intent> before template:<route>:<class>", async () => {
    const s = setup({
      failure: serverDown,
      cached: null,
      intent: "faq:refunds",
      templates: { "faq:refunds": TICKET_TEMPLATE, classification: { text: "class template" } },
    });
    const d = await s.run();
    expect(d).toMatchObject({ rung: "template", mode: "degraded", response: { model: "detour/degraded", content: "We are busy; ticket 4521 is noted.", toolCalls: [], finishReason: "stop" } });
    expect(s.calls).toEqual(["cache", "kv:template:support:faq:refunds"]);
    if (d.rung === "error") throw new Error("unreachable");
    expect(d.body.message).toBe("Showing a standard reply while our AI provider is unavailable.");
  });

  it("without an intent template, the class template answers", async () => {
    const s = setup({ failure: serverDown, cached: null, intent: "faq:refunds", templates: { classification: { text: "class template" } } });
    expect(await s.run()).toMatchObject({ rung: "template", response: { content: "class template" } });
    expect(s.calls).toEqual(["cache", "kv:template:support:faq:refunds", "kv:template:support:classification"]);
  });

  it("an invalid stored template is skipped with a note, and the next key is tried", async () => {
    const s = setup({
      failure: serverDown,
      cached: null,
      intent: "faq:refunds",
      templates: { "faq:refunds": { text: "Hi {{name}}" }, classification: { text: "class template" } },
    });
    expect(await s.run()).toMatchObject({ rung: "template", response: { content: "class template" } });
    expect(s.input.notes).toEqual([expect.stringMatching(/^template template:support:faq:refunds is invalid: text: \{\{name\}\} is not declared/)]);
  });

  it("templates of another route are not used", async () => {
    const s = setup({ failure: serverDown, cached: null });
    const kv = new MemoryStore(() => NOW);
    await kv.put(templateKey("billing", "classification"), { text: "billing template" });
    s.input.kv = kv;
    expect((await s.run()).rung).toBe("rules");
  });

  it("without a KV the template rung is skipped", async () => {
    const s = setup({ failure: serverDown, cached: null, kv: null, templates: {} });
    expect((await s.run()).rung).toBe("rules");
  });

  it("the rules rung answers a classification with a configured label", async () => {
    const s = setup({ failure: serverDown, cached: null });
    const d = await s.run();
    expect(d).toMatchObject({ rung: "rules", mode: "degraded", response: { model: "detour/degraded", content: "billing" } });
    if (d.rung === "error") throw new Error("unreachable");
    expect(d.body.message).toBe('Showing an automatic keyword-based result while our AI provider is unavailable. Confidence 1.00: keyword "invoice" in the text.');
    expect(s.calls).toEqual(["cache", "kv:template:support:classification"]);
  });

  it("when nothing answers, the honest error says why, when to retry and what still works", async () => {
    const s = setup({ failure: serverDown, cached: null, taskClass: "chat", cfg: { retryAfterSeconds: 120 } });
    const d = await s.run();
    expect(d).toEqual({
      rung: "error",
      reason: "providers_down",
      retryAfterSeconds: 120,
      message:
        'We couldn\'t answer this request on route "support" because our AI provider is unavailable, and no saved answer, ' +
        "standard reply or rule could stand in for it. Please try again in about 2 minutes. What still works: cached " +
        "answers for common questions, classification and extraction from similar past requests, standard replies for common " +
        "requests and classification and extraction by keyword rules.",
    });
    expect(s.input.notes).toEqual([]);
  });
});

describe("degrade: the error rung's reason codes", () => {
  it.each<[string, Failure, string]>([
    ["every target 5xx", serverDown, "providers_down"],
    ["mixed errors", exhausted(["server_error", "rate_limited"]), "providers_down"],
    ["every breaker open (all skipped)", exhausted([], 3), "breaker_open"],
    ["every target 429", exhausted(["rate_limited", "rate_limited"]), "rate_limited"],
    ["every target timed out or stalled", exhausted(["timeout", "stall"]), "timeout"],
    ["the request deadline", { kind: "deadline" }, "timeout"],
  ])("%s → %s", async (_why, failure, reason) => {
    const s = setup({ failure, cfg: { ladder: ["error"] } });
    const d = await s.run();
    expect(d).toMatchObject({ rung: "error", reason });
    if (d.rung !== "error") throw new Error("unreachable");
    expect(d.message).toContain(reason === "breaker_open" ? "recovering from errors" : reason === "rate_limited" ? "at capacity" : reason === "timeout" ? "too slowly" : "unavailable");
    expect(d.message).toContain("Nothing else on this route can answer until the provider recovers.");
    expect(s.calls).toEqual([]);
  });
});

describe("degrade: a broken rung is skipped, not fatal", () => {
  it("a KV whose get throws skips the template rung with a note; rules still answer", async () => {
    const s = setup({ failure: serverDown, cached: null });
    s.input.kv = {
      get: async () => Promise.reject(new Error("KV unavailable")),
      put: async () => {},
      delete: async () => {},
      list: async () => [],
    };
    expect(await s.run()).toMatchObject({ rung: "rules", response: { content: "billing" } });
    expect(s.input.notes).toEqual(["degrade rung template failed: KV unavailable"]);
  });

  it("a cache lookup that throws skips the cache rung with a note", async () => {
    const s = setup({ failure: serverDown, templates: { classification: { text: "class template" } } });
    s.input.cached = async () => {
      throw new Error("cache exploded");
    };
    expect(await s.run()).toMatchObject({ rung: "template" });
    expect(s.input.notes).toEqual(["degrade rung cache failed: cache exploded"]);
  });

  it("a reduced call that throws skips the reduced rung with a note", async () => {
    const s = setup({ failure: rateLimited });
    s.input.reduced = async () => {
      throw new Error("backup down");
    };
    expect(await s.run()).toMatchObject({ rung: "cache" });
    expect(s.input.notes).toEqual(["degrade rung reduced failed: backup down"]);
  });

  it("every rung breaking still ends in the honest error", async () => {
    const s = setup({ failure: rateLimited, taskClass: "chat" });
    const boom = async () => Promise.reject(new Error("down"));
    s.input.reduced = boom;
    s.input.cached = boom;
    s.input.kv = { get: boom, put: boom, delete: boom, list: boom };
    expect(await s.run()).toMatchObject({ rung: "error", reason: "rate_limited" });
    expect(s.input.notes).toHaveLength(3);
  });
});

describe("degrade: per-class ladders", () => {
  it.each<[string, Rung[], string, string[]]>([
    ["a class ladder without cache never looks up the cache", ["template", "error"], "template", ["kv:template:support:chat"]],
    ["a class ladder may try rules before the cache", ["rules", "cache", "error"], "cache", ["cache"]],
    ["a class ladder of just the error goes straight to it", ["error"], "error", []],
  ])("%s", async (_why, ladder, rung, calls) => {
    const s = setup({
      failure: rateLimited,
      taskClass: "chat",
      templates: { chat: { text: "chat template" } },
      cfg: { byClass: { chat: ladder } },
    });
    expect((await s.run()).rung).toBe(rung);
    expect(s.calls).toEqual(calls);
  });

  it("the override replaces the route ladder only for its class", async () => {
    const cfg = { byClass: { chat: ["error"] }, rules: { labels: [{ name: "billing", keywords: ["invoice"] }] } };
    expect((await setup({ failure: serverDown, cached: null, taskClass: "classification", cfg }).run()).rung).toBe("rules");
    expect((await setup({ failure: serverDown, cached: null, taskClass: "chat", cfg }).run()).rung).toBe("error");
  });

  it("the route ladder's order is followed (rules before cache)", async () => {
    const s = setup({ failure: serverDown, cfg: { ladder: ["rules", "cache", "error"], rules: { labels: [{ name: "billing", keywords: ["invoice"] }] } } });
    expect((await s.run()).rung).toBe("rules");
    expect(s.calls).toEqual([]);
  });

  it("what still works lists only the rungs of the ladder used, never reduced", async () => {
    const s = setup({ failure: serverDown, cached: null, taskClass: "chat", cfg: { byClass: { chat: ["reduced", "cache", "error"] } } });
    const d = await s.run();
    if (d.rung !== "error") throw new Error(`expected error, got ${d.rung}`);
    expect(d.message).toMatch(/What still works: cached answers for common questions\.$/);
  });
});

describe("reduceRequest", () => {
  const cfg = DegradeConfig.parse({});
  const tools = [{ name: "lookup", parameters: { type: "object" } }];

  it.each<[string, number | undefined, number, number]>([
    ["unset max_tokens gets the cap", undefined, 256, 256],
    ["a larger max_tokens is capped", 4000, 256, 256],
    ["a smaller max_tokens is kept", 100, 256, 100],
    ["a configured cap", 4000, 64, 64],
  ])("%s", (_why, maxTokens, cap, expected) => {
    const c = DegradeConfig.parse({ reduced: { maxTokens: cap } });
    expect(reduceRequest(req("hi", maxTokens === undefined ? {} : { maxTokens }), c)?.maxTokens).toBe(expected);
  });

  it("textOnly drops tools, toolChoice and images, keeping the text", () => {
    const r = reduceRequest(
      req("", {
        messages: [{ role: "user", content: [{ type: "text", text: "What is in this picture?" }, { type: "image", url: "https://x/y.png" }] }],
        tools,
        toolChoice: "auto",
        temperature: 0.2,
      }),
      cfg,
    )!;
    expect(r.tools).toBeUndefined();
    expect(r.toolChoice).toBeUndefined();
    expect(r.temperature).toBe(0.2);
    expect(r.messages.at(-1)).toEqual({ role: "user", content: [{ type: "text", text: "What is in this picture?" }, { type: "text", text: "[image omitted]" }] });
    expect(JSON.stringify(r)).not.toContain("https://x/y.png");
  });

  it("without textOnly, tools and images stay", () => {
    const c = DegradeConfig.parse({ reduced: { textOnly: false } });
    const image = { role: "user" as const, content: [{ type: "image" as const, url: "https://x/y.png" }] };
    const r = reduceRequest(req("", { messages: [image], tools, toolChoice: "auto" }), c)!;
    expect(r.tools).toEqual(tools);
    expect(r.toolChoice).toBe("auto");
    expect(r.messages.at(-1)).toEqual(image);
  });

  it("outline puts a brief-answer system message first", () => {
    const r = reduceRequest(req("", { messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Explain TCP" }] }), cfg)!;
    expect(r.messages).toEqual([
      { role: "system", content: "Service is degraded: answer briefly, as an outline of at most 256 tokens." },
      { role: "system", content: "Be kind." },
      { role: "user", content: "Explain TCP" },
    ]);
  });

  it("without outline no message is added", () => {
    const r = reduceRequest(req("Explain TCP"), DegradeConfig.parse({ reduced: { outline: false } }))!;
    expect(r.messages).toEqual([{ role: "user", content: "Explain TCP" }]);
  });

  it.each<[string, CanonicalRequest["toolChoice"]]>([
    ["required", "required"],
    ["a named tool", { name: "lookup" }],
  ])("a %s tool call cannot be reduced to text", (_why, toolChoice) => {
    expect(reduceRequest(req("look it up", { tools, toolChoice }), cfg)).toBeUndefined();
  });

  it("a required tool call is kept as is when textOnly is off", () => {
    const r = reduceRequest(req("look it up", { tools, toolChoice: "required" }), DegradeConfig.parse({ reduced: { textOnly: false } }));
    expect(r).toMatchObject({ tools, toolChoice: "required", maxTokens: 256 });
  });

  it("does not change the caller's request", () => {
    const original = req("", { messages: [{ role: "user", content: [{ type: "image", url: "https://x/y.png" }] }], tools, maxTokens: 999 });
    const copy = structuredClone(original);
    reduceRequest(original, cfg);
    expect(original).toEqual(copy);
  });
});

describe("capacityLimited", () => {
  it.each<[string, Failure, boolean]>([
    ["a 429", exhausted(["rate_limited"]), true],
    ["a timeout", exhausted(["timeout"]), true],
    ["a stall", exhausted(["stall"]), true],
    ["a 429 among 5xx", exhausted(["server_error", "rate_limited"]), true],
    ["5xx only", exhausted(["server_error", "server_error"]), false],
    ["network, malformed, empty, cut", exhausted(["network", "malformed", "empty", "stream_cut"]), false],
    ["every breaker open", exhausted([], 2), false],
    ["the request deadline", { kind: "deadline" }, false],
    ["the client went away", { kind: "aborted" }, false],
    ["a caller error", { kind: "caller", error: new UpstreamError("bad_request", "bad") }, false],
  ])("%s → %s", (_why, failure, expected) => {
    expect(capacityLimited(failure)).toBe(expected);
  });
});

describe("reasonOf", () => {
  it.each<[string, Failure, string]>([
    ["the request deadline", { kind: "deadline" }, "timeout"],
    ["the client went away", { kind: "aborted" }, "providers_down"],
    ["every breaker open", exhausted([], 2), "breaker_open"],
    ["breakers open and one 429", exhausted(["rate_limited"], 2), "rate_limited"],
    ["every target 429", exhausted(["rate_limited", "rate_limited"]), "rate_limited"],
    ["every target timed out", exhausted(["timeout"]), "timeout"],
    ["timeouts and stalls", exhausted(["timeout", "stall"]), "timeout"],
    ["a 429 and a timeout", exhausted(["rate_limited", "timeout"]), "providers_down"],
    ["5xx", exhausted(["server_error"]), "providers_down"],
    ["nothing tried, nothing skipped", exhausted([]), "providers_down"],
  ])("%s → %s", (_why, failure, reason) => {
    expect(reasonOf(failure)).toBe(reason);
  });
});

describe("failureMayDegrade", () => {
  it.each<[string, Failure, boolean]>([
    ["the request deadline", { kind: "deadline" }, true],
    ["the client went away", { kind: "aborted" }, false],
    ["an invalid request", { kind: "caller", error: new UpstreamError("bad_request", "bad") }, false],
    ["every breaker open", exhausted([], 2), true],
    ["every target 5xx", exhausted(["server_error", "network"]), true],
    ["a wrong key and a missing model", exhausted(["upstream_auth", "model_not_found"]), true],
    ["the prompt too long for every model", exhausted(["context_length", "context_length"]), false],
    ["too long for one, 5xx from another", exhausted(["context_length", "server_error"]), true],
  ])("%s → %s", (_why, failure, expected) => {
    expect(failureMayDegrade(failure)).toBe(expected);
  });
});
