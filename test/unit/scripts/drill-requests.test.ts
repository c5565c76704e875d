/**
 * The drill's client side, without sockets: how an answer is read (a stream's end decides served or silent
 * truncation), what a request's record keeps, and the seeded request plan (same scenario, same requests).
 */
import { describe, expect, it } from "vitest";
import { readAnswer } from "../../../scripts/drill/client.mjs";
import { recordOf } from "../../../scripts/drill/record.mjs";
import { abusiveRequest, DEEP_SCHEMA_LEVELS, planner, REPLY_FIRST_WORD } from "../../../scripts/drill/requests.mjs";

const SSE = { "content-type": "text/event-stream" };
const sse = (...events: unknown[]) => events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join("");
const chunk = (content: string) => ({ model: "alpha/gpt-4o-mini", choices: [{ delta: { content } }] });
const opts = { latencyMs: 120, ttfbMs: 30, stream: true, aborted: false };
const streamReq = { cls: "chat" as const, stream: true, repeat: false };

describe("readAnswer", () => {
  it("reads a stream that ended with [DONE], with Detour's headers, usage and trace", () => {
    const text = sse(chunk("Hel"), chunk("lo"), { usage: { prompt_tokens: 5, completion_tokens: 2 }, detour: { attempts: [] } }, "[DONE]");
    const a = readAnswer({ statusCode: 200, headers: { ...SSE, "x-detour-mode": "failover", "x-detour-provider": "beta", "x-detour-cost-usd": "0.002" } }, text, opts);
    expect(a).toMatchObject({ status: 200, mode: "failover", provider: "beta", costHeader: 0.002, streamEnd: "done", contentChars: 5, usage: { in: 5, out: 2 }, bodyModel: "alpha/gpt-4o-mini" });
    expect(recordOf(0, 0, "p", streamReq, 1, a).served).toBe(true);
  });

  it("tells an explicit error event from a stream that just stops (a silent truncation)", () => {
    const errored = readAnswer({ statusCode: 200, headers: SSE }, sse(chunk("Hi"), { error: { code: "upstream_stream_cut" } }), opts);
    expect(errored).toMatchObject({ streamEnd: "error_event", streamError: "upstream_stream_cut" });
    const silent = readAnswer({ statusCode: 200, headers: SSE }, sse(chunk("Hi")), opts);
    expect(silent.streamEnd).toBe("none");
    const cut = readAnswer({ statusCode: 200, headers: SSE }, sse(chunk("Hi")), { ...opts, aborted: true });
    expect(cut.streamEnd).toBe("aborted");
    for (const a of [errored, silent, cut]) expect(recordOf(0, 0, "p", streamReq, 1, a)).toMatchObject({ served: false, mode: "error" });
  });

  it("counts events that are not JSON and events after [DONE]", () => {
    const a = readAnswer({ statusCode: 200, headers: SSE }, sse(chunk("Hi"), "{oops", "[DONE]", chunk("late")), opts);
    expect(a).toMatchObject({ badEvents: 1, afterDone: true, streamEnd: "done" });
  });

  it("reads a stream request answered with a JSON error before any byte", () => {
    const a = readAnswer({ statusCode: 503, headers: { "content-type": "application/json" } }, JSON.stringify({ error: { code: "all_providers_failed" } }), opts);
    expect(a).toMatchObject({ status: 503, stream: true, errorCode: "all_providers_failed" });
    expect(a.streamEnd).toBeUndefined();
  });

  it("reads a JSON answer, and refuses to call a 200 with an unreadable body served", () => {
    const json = { headers: { "content-type": "application/json", "x-detour-attempts": "2" }, statusCode: 200 };
    const body = { model: "alpha/gpt-4o-mini", choices: [{ message: { content: "billing" } }], usage: { prompt_tokens: 9, completion_tokens: 1 } };
    const ok = readAnswer(json, JSON.stringify(body), { ...opts, stream: false });
    expect(ok).toMatchObject({ attemptsHeader: 2, answer: "billing", contentChars: 7, usage: { in: 9, out: 1 } });
    const broken = readAnswer(json, "{ not json", { ...opts, stream: false });
    expect(broken.invalidBody).toBe(true);
    expect(recordOf(0, 0, "p", { cls: "classification", stream: false, repeat: false }, 1, broken)).toMatchObject({ served: false, mode: "error" });
  });
});

describe("recordOf", () => {
  const req = { cls: "classification" as const, stream: false, repeat: true, expect: "billing" };
  const trace = {
    attempts: [
      { provider: "alpha", outcome: "failed", error_class: "server_error", status: 503, ms: 12, extra: "dropped" },
      { provider: "beta", outcome: "ok", ms: 40, probe: true },
    ],
  };

  it("keeps the attempts' fields that are set, rounds times, and keeps a classification's answer", () => {
    const r = recordOf(7, 1, "outage", req, 2000.04, { status: 200, mode: "failover", latencyMs: 51.26, answer: "billing", trace });
    expect(r).toMatchObject({ i: 7, phase: "outage", phaseIndex: 1, t: 2000, latencyMs: 51.3, served: true, mode: "failover", expect: "billing", answer: "billing" });
    expect(r.attempts).toEqual([
      { provider: "alpha", outcome: "failed", error: "server_error", status: 503, ms: 12 },
      { provider: "beta", outcome: "ok", probe: true, ms: 40 },
    ]);
    expect(r.trace).toBeUndefined();
    expect(recordOf(7, 1, "outage", req, 2000, { status: 200, trace }, true).trace).toEqual(trace);
  });

  it("calls a served answer without a mode header primary, and a client error an error", () => {
    expect(recordOf(0, 0, "p", req, 0, { status: 200 }).mode).toBe("primary");
    expect(recordOf(0, 0, "p", req, 0, { status: 0, clientError: "socket hang up" })).toMatchObject({ served: false, mode: "error", clientError: "socket hang up" });
  });
});

describe("planner", () => {
  const scenario = { name: "plan-test", rate: 10, phases: [] };

  it("plans the same requests for the same scenario, and others for another seed", () => {
    const a = planner(scenario);
    const b = planner(scenario);
    const c = planner({ ...scenario, seed: 2 });
    const first = Array.from({ length: 50 }, (_, i) => a(i));
    expect(Array.from({ length: 50 }, (_, i) => b(i))).toEqual(first);
    expect(Array.from({ length: 50 }, (_, i) => c(i))).not.toEqual(first);
  });

  it("follows the mix: classes by weight, streams only for chat and summarization, repeats byte-identical", () => {
    const plan = planner({ ...scenario, mix: { classes: { classification: 1, extraction: 0, chat: 1, summarization: 0 }, stream: 1, repeat: 1 } });
    const reqs = Array.from({ length: 200 }, (_, i) => plan(i));
    expect(new Set(reqs.map((r) => r.cls))).toEqual(new Set(["classification", "chat"]));
    for (const r of reqs) {
      expect(r.stream).toBe(r.cls === "chat");
      expect(r.repeat).toBe(r.cls !== "chat");
      expect(r.body.stream === true).toBe(r.stream);
    }
    // Repeats come from a pool of six prompts, so the cache sees the same bodies again.
    const repeated = new Set(reqs.filter((r) => r.repeat).map((r) => JSON.stringify(r.body)));
    expect(repeated.size).toBeLessThanOrEqual(6);
    expect(reqs.filter((r) => r.cls === "classification").every((r) => typeof r.expect === "string")).toBe(true);
  });

  it("sends each tenant its share, cycling an abusive tenant through its kinds, without changing the normal mix", () => {
    const tenants = [
      { name: "abuser", share: 0.25, requests: ["empty-stop", "deep-schema", "huge-max-tokens"] as ["empty-stop", "deep-schema", "huge-max-tokens"] },
      { name: "good", share: 0.75 },
    ];
    const plan = planner({ ...scenario, tenants });
    const single = planner(scenario);
    const reqs = Array.from({ length: 400 }, (_, i) => plan(i));
    const singles = Array.from({ length: 400 }, (_, i) => single(i));
    const abusive = reqs.filter((r) => r.tenant === "abuser");
    expect(abusive.length).toBeGreaterThan(70);
    expect(abusive.length).toBeLessThan(130);
    expect(abusive.slice(0, 4).map((r) => r.kind)).toEqual(["empty-stop", "deep-schema", "huge-max-tokens", "empty-stop"]);
    // A good tenant's request i is the one a single-tenant scenario sends as request i.
    reqs.forEach((r, i) => {
      if (r.tenant === "good") expect({ ...r, tenant: undefined }).toEqual({ ...singles[i], tenant: undefined });
    });
  });
});

describe("abusive requests", () => {
  it("empty-stop stops at the mock's first word; huge-max-tokens asks for a million tokens", () => {
    expect(abusiveRequest("empty-stop", 1).body.stop).toEqual([REPLY_FIRST_WORD]);
    expect(abusiveRequest("huge-max-tokens", 1).body.max_tokens).toBe(1_000_000);
  });

  it("deep-schema sends a schema nested DEEP_SCHEMA_LEVELS deep, as text Node's own JSON.stringify could not make", () => {
    const r = abusiveRequest("deep-schema", 5);
    const sent = JSON.parse(r.bodyText!);
    expect(sent.messages).toEqual(r.body.messages);
    let levels = 0;
    for (let s = sent.response_format.json_schema.schema; s.type === "object"; s = s.properties.next) levels++;
    expect(levels).toBe(DEEP_SCHEMA_LEVELS);
    expect(() => JSON.stringify(sent)).toThrow(RangeError);
  });
});
