/**
 * scripts/mock-vendors.mjs over real loopback sockets: each vendor's JSON and SSE answers, every fault kind, the control
 * API (validation, expiry on an injected clock, rate rolls on an injected random), and Detour's own adapters talking
 * to the mock through Node's fetch. Nothing here sleeps except the few tests that measure a configured delay (≤ 20 ms).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CanonicalRequest, StreamEvent } from "../../../src/canonical";
import { ProviderConfig } from "../../../src/config/schema";
import { UpstreamError } from "../../../src/engine/errors";
import { anthropicAdapter } from "../../../src/providers/anthropic";
import { geminiAdapter } from "../../../src/providers/gemini";
import { httpProvider } from "../../../src/providers/http";
import { checksFor, validate } from "../../../src/validate/builtin";
import { openaiAdapter } from "../../../src/providers/openai";
import type { CallContext, HttpAdapter, Target } from "../../../src/providers/types";
import {
  cutAtStop,
  DEFAULT_REPLIES,
  parseFault,
  startMockVendors,
  type FaultInput,
  type MockStats,
  type MockVendor,
  type MockVendors,
} from "../../../scripts/mock-vendors.mjs";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

let mock: MockVendors;
let clock = 1_000_000;
let roll = 0.5;

beforeAll(async () => {
  mock = await startMockVendors({ port: 0, replies: { gemini: "Hi from Gemini, briefly." }, now: () => clock, random: () => roll });
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  clock = 1_000_000;
  roll = 0.5;
  await fetch(`${mock.url}/__control/faults`, { method: "DELETE" });
  await fetch(`${mock.url}/__control/stats/reset`, { method: "POST" });
});

const REPLY: Record<MockVendor, string> = { ...DEFAULT_REPLIES, gemini: "Hi from Gemini, briefly." };

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

function post(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${mock.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), ...init });
}

async function addFault(f: FaultInput): Promise<string> {
  const res = await post("/__control/faults", f);
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function stats(): Promise<MockStats> {
  return (await (await fetch(`${mock.url}/__control/stats`)).json()) as MockStats;
}

async function listFaults(): Promise<J[]> {
  return ((await (await fetch(`${mock.url}/__control/faults`)).json()) as { faults: J[] }).faults;
}

/** Poll the stats endpoint (I/O only, no timers) until `ok` holds. */
async function until(ok: (s: MockStats) => boolean): Promise<MockStats> {
  for (let i = 0; i < 500; i++) {
    const s = await stats();
    if (ok(s)) return s;
  }
  throw new Error(`condition never held: ${JSON.stringify(await stats())}`);
}

/** Read a body to its end, keeping what arrived before an error (a cut). */
async function readAll(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: undefined };
      text += dec.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Per-vendor wire knowledge
// ---------------------------------------------------------------------------------------------------------------

interface VendorCase {
  vendor: MockVendor;
  path(stream: boolean): string;
  body(stream: boolean, tools?: "forced" | "auto"): Record<string, unknown>;
  /** Event separator on the wire. */
  sep: string;
  /** The `data:` payloads of an SSE text, in order. */
  datas(text: string): string[];
  /** The stream's terminal event is present. */
  terminal(datas: string[]): boolean;
  sseText(datas: string[]): string;
  sseUsage(datas: string[]): number;
  jsonText(json: J): string;
  jsonTool(json: J): { name: string; args: unknown } | undefined;
  jsonUsage(json: J): number;
  errorOf(json: J): { status?: unknown; message: unknown };
}

function dataLines(text: string, sep: string): string[] {
  return text
    .split(sep)
    .filter((b) => b.trim() !== "")
    .map((block) =>
      block
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n"),
    );
}

const tryJson = (s: string): J => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

const CASES: VendorCase[] = [
  {
    vendor: "openai",
    path: () => "/openai/v1/chat/completions",
    body: (stream, tools) => ({
      model: "gpt-mock",
      messages: [{ role: "user", content: "Say hi" }],
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      ...(tools
        ? {
            tools: [
              { type: "function", function: { name: "lookup", parameters: { type: "object" } } },
              { type: "function", function: { name: "other", parameters: { type: "object" } } },
            ],
            tool_choice: tools === "forced" ? "required" : "auto",
          }
        : {}),
    }),
    sep: "\n\n",
    datas: (t) => dataLines(t, "\n\n"),
    terminal: (d) => d[d.length - 1] === "[DONE]",
    sseText: (d) => d.map(tryJson).map((c: J) => c?.choices?.[0]?.delta?.content ?? "").join(""),
    sseUsage: (d) => d.map(tryJson).find((c: J) => c?.usage)?.usage.total_tokens ?? 0,
    jsonText: (j) => j.choices[0].message.content,
    jsonTool: (j) => {
      const c = j.choices[0].message.tool_calls?.[0];
      return c && { name: c.function.name, args: JSON.parse(c.function.arguments) };
    },
    jsonUsage: (j) => j.usage.total_tokens,
    errorOf: (j) => ({ message: j.error.message, status: j.error.type }),
  },
  {
    vendor: "anthropic",
    path: () => "/anthropic/v1/messages",
    body: (stream, tools) => ({
      model: "claude-mock",
      max_tokens: 100,
      messages: [{ role: "user", content: "Say hi" }],
      ...(stream ? { stream: true } : {}),
      ...(tools
        ? {
            tools: [
              { name: "lookup", input_schema: { type: "object" } },
              { name: "other", input_schema: { type: "object" } },
            ],
            tool_choice: { type: tools === "forced" ? "any" : "auto" },
          }
        : {}),
    }),
    sep: "\n\n",
    datas: (t) => dataLines(t, "\n\n"),
    terminal: (d) => d.some((x) => tryJson(x)?.type === "message_stop"),
    sseText: (d) =>
      d
        .map(tryJson)
        .map((e: J) => (e?.type === "content_block_delta" && e.delta.type === "text_delta" ? e.delta.text : ""))
        .join(""),
    sseUsage: (d) => d.map(tryJson).find((e: J) => e?.type === "message_delta")?.usage.output_tokens ?? 0,
    jsonText: (j) => j.content.map((b: J) => b.text ?? "").join(""),
    jsonTool: (j) => {
      const b = j.content.find((x: J) => x.type === "tool_use");
      return b && { name: b.name, args: b.input };
    },
    jsonUsage: (j) => j.usage.input_tokens + j.usage.output_tokens,
    errorOf: (j) => {
      expect(j.type).toBe("error");
      return { message: j.error.message, status: j.error.type };
    },
  },
  {
    vendor: "gemini",
    path: (stream) => (stream ? "/gemini/v1beta/models/gemini-mock:streamGenerateContent?alt=sse" : "/gemini/v1beta/models/gemini-mock:generateContent"),
    body: (_stream, tools) => ({
      contents: [{ role: "user", parts: [{ text: "Say hi" }] }],
      ...(tools
        ? {
            tools: [{ functionDeclarations: [{ name: "lookup" }, { name: "other" }] }],
            toolConfig: { functionCallingConfig: { mode: tools === "forced" ? "ANY" : "AUTO" } },
          }
        : {}),
    }),
    sep: "\r\n\r\n",
    datas: (t) => dataLines(t, "\r\n\r\n"),
    terminal: (d) => d.some((x) => tryJson(x)?.candidates?.[0]?.finishReason !== undefined),
    sseText: (d) =>
      d
        .map(tryJson)
        .map((c: J) => (c?.candidates?.[0]?.content?.parts ?? []).map((p: J) => p.text ?? "").join(""))
        .join(""),
    sseUsage: (d) => d.map(tryJson).find((c: J) => c?.candidates?.[0]?.finishReason)?.usageMetadata.totalTokenCount ?? 0,
    jsonText: (j) => (j.candidates[0].content?.parts ?? []).map((p: J) => p.text ?? "").join(""),
    jsonTool: (j) => {
      const p = j.candidates[0].content.parts.find((x: J) => x.functionCall);
      return p && { name: p.functionCall.name, args: p.functionCall.args };
    },
    jsonUsage: (j) => j.usageMetadata.totalTokenCount,
    errorOf: (j) => ({ message: j.error.message, status: j.error.status }),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Per-vendor: answers and every fault
// ---------------------------------------------------------------------------------------------------------------

describe.each(CASES)("$vendor", (c) => {
  const { vendor } = c;
  const json = (init?: RequestInit) => post(c.path(false), c.body(false), init);
  const sse = (init?: RequestInit) => post(c.path(true), c.body(true), init);

  it("answers JSON with the configured reply and usage", async () => {
    const res = await json();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json();
    expect(c.jsonText(body)).toBe(REPLY[vendor]);
    expect(c.jsonTool(body)).toBeUndefined();
    expect(c.jsonUsage(body)).toBeGreaterThan(0);
    expect((await stats()).vendors[vendor]).toMatchObject({ requests: 1, outcomes: { ok: 1 }, statuses: { "200": 1 } });
  });

  it("streams SSE events in pieces, with usage and the terminal event", async () => {
    const res = await sse();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    expect(text.endsWith(c.sep)).toBe(true);
    const d = c.datas(text);
    expect(d.length).toBeGreaterThan(3);
    expect(d.filter((x) => x !== "[DONE]").every((x) => tryJson(x) !== undefined)).toBe(true);
    expect(c.terminal(d)).toBe(true);
    expect(c.sseText(d)).toBe(REPLY[vendor]);
    expect(c.sseUsage(d)).toBeGreaterThan(0);
  });

  it("calls the first tool with {} when the request forces a tool call, and answers text otherwise", async () => {
    const forced = await (await post(c.path(false), c.body(false, "forced"))).json();
    expect(c.jsonTool(forced)).toEqual({ name: "lookup", args: {} });
    const auto = await (await post(c.path(false), c.body(false, "auto"))).json();
    expect(c.jsonTool(auto)).toBeUndefined();
    expect(c.jsonText(auto)).toBe(REPLY[vendor]);
    const streamed = await (await post(c.path(true), c.body(true, "forced"))).text();
    expect(streamed).toContain('"lookup"');
    expect(c.terminal(c.datas(streamed))).toBe(true);
  });

  it("honours the request's stop sequence: the reply is cut before it, and the reply's first word gives an empty answer", async () => {
    const firstWord = REPLY[vendor].split(" ")[0]!;
    const lastWord = REPLY[vendor].split(" ").at(-1)!;
    const withStop = (stream: boolean, stop: string) => {
      const b = c.body(stream);
      if (vendor === "openai") return { ...b, stop: [stop] };
      if (vendor === "anthropic") return { ...b, stop_sequences: [stop] };
      return { ...b, generationConfig: { stopSequences: [stop] } };
    };
    const empty: J = await (await post(c.path(false), withStop(false, firstWord))).json();
    expect(c.jsonText(empty)).toBe("");
    if (vendor === "anthropic") expect(empty.stop_reason).toBe("stop_sequence");
    const cut = await (await post(c.path(false), withStop(false, lastWord))).json();
    expect(c.jsonText(cut)).toBe(REPLY[vendor].slice(0, REPLY[vendor].indexOf(lastWord)));
    const streamed = c.datas(await (await post(c.path(true), withStop(true, firstWord))).text());
    expect(c.terminal(streamed)).toBe(true);
    expect(c.sseText(streamed)).toBe("");
    const unmatched = await (await post(c.path(false), withStop(false, "no-such-word"))).json();
    expect(c.jsonText(unmatched)).toBe(REPLY[vendor]);
  });

  it("rejects a request the vendor would reject with its own 4xx shape, and no fault applies to it", async () => {
    await addFault({ vendor, kind: "reset", ttlMs: 60_000 });
    const res = await post(c.path(false), { nothing: true });
    expect(res.status).toBe(400);
    expect(c.errorOf(await res.json()).message).toEqual(expect.any(String));
    expect((await stats()).vendors[vendor].outcomes).toEqual({ invalid: 1 });
  });

  it("status: answers the status in the vendor's error shape, with Retry-After", async () => {
    await addFault({ vendor, kind: "status", status: 503, retryAfter: 2, ttlMs: 60_000 });
    const res = await json();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    const err = c.errorOf(await res.json());
    expect(err.message).toEqual(expect.any(String));
    expect(err.status).toEqual(expect.any(String));
    const res429 = await (async () => {
      await addFault({ vendor, kind: "status", status: 429, ttlMs: 60_000 });
      return sse();
    })();
    expect(res429.status).toBe(429);
    expect(res429.headers.get("retry-after")).toBeNull();
    await res429.text();
    expect((await stats()).vendors[vendor]).toMatchObject({ requests: 2, outcomes: { status: 2 }, statuses: { "503": 1, "429": 1 } });
  });

  it("reset: the connection is reset without a response, so fetch rejects", async () => {
    await addFault({ vendor, kind: "reset", ttlMs: 60_000 });
    expect(await rejection(json())).toBeInstanceOf(Error);
    expect(await rejection(sse())).toBeInstanceOf(Error);
    expect((await stats()).vendors[vendor].outcomes).toEqual({ reset: 2 });
  });

  it("hang: no headers ever arrive; the held request is counted, and released when the client aborts", async () => {
    await addFault({ vendor, kind: "hang", ttlMs: 60_000 });
    const ac = new AbortController();
    const pending = json({ signal: ac.signal }).then(
      () => "answered" as const,
      (e: unknown) => e,
    );
    // The mock has decided (and counted) the hang and holds the socket…
    await until((s) => s.vendors[vendor].outcomes.hang === 1 && s.vendors[vendor].open === 1);
    // …and one more round trip later, still no headers.
    expect(await Promise.race([pending, Promise.resolve("pending")])).toBe("pending");
    ac.abort();
    expect(await pending).toMatchObject({ name: "AbortError" });
    await until((s) => s.vendors[vendor].open === 0);
  });

  it("cut: the SSE stream ends after afterEvents events without the terminal event (socket closed)", async () => {
    await addFault({ vendor, kind: "cut", afterEvents: 2, ttlMs: 60_000 });
    const res = await sse();
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(error).toBeInstanceOf(Error);
    const d = c.datas(text);
    expect(d).toHaveLength(2);
    expect(c.terminal(d)).toBe(false);
  });

  it("cut (clean): the HTTP response ends properly, still without the terminal event", async () => {
    await addFault({ vendor, kind: "cut", afterEvents: 3, variant: "clean", ttlMs: 60_000 });
    const { text, error } = await readAll(await sse());
    expect(error).toBeUndefined();
    expect(c.datas(text)).toHaveLength(3);
    expect(c.terminal(c.datas(text))).toBe(false);
  });

  it("cut (JSON): the socket closes mid-body", async () => {
    await addFault({ vendor, kind: "cut", ttlMs: 60_000 });
    const res = await json();
    expect(res.status).toBe(200);
    expect(await rejection(res.text())).toBeInstanceOf(Error);
  });

  it("stall: the stream goes silent after afterEvents events and stays open until the client aborts", async () => {
    await addFault({ vendor, kind: "stall", afterEvents: 2, ttlMs: 60_000 });
    const ac = new AbortController();
    const res = await sse({ signal: ac.signal });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    while (text.split(c.sep).length - 1 < 2) text += dec.decode((await reader.read()).value, { stream: true });
    expect(c.datas(text)).toHaveLength(2);
    const next = reader.read().then(
      () => "data" as const,
      (e: unknown) => e,
    );
    await until((s) => s.vendors[vendor].outcomes.stall === 1 && s.vendors[vendor].open === 1);
    expect(await Promise.race([next, Promise.resolve("pending")])).toBe("pending");
    ac.abort();
    expect(await next).toMatchObject({ name: "AbortError" });
    await until((s) => s.vendors[vendor].open === 0);
  });

  it("stall with ms: the socket is closed after ms of silence", async () => {
    await addFault({ vendor, kind: "stall", afterEvents: 1, ms: 5, ttlMs: 60_000 });
    const { text, error } = await readAll(await sse());
    expect(error).toBeInstanceOf(Error);
    expect(c.datas(text)).toHaveLength(1);
  });

  it("malformed: a 200 JSON body that is not JSON, or (shape) JSON that is not the vendor's", async () => {
    await addFault({ vendor, kind: "malformed", ttlMs: 60_000 });
    const res = await json();
    expect(res.status).toBe(200);
    expect(tryJson(await res.text())).toBeUndefined();
    await fetch(`${mock.url}/__control/faults`, { method: "DELETE" });
    await addFault({ vendor, kind: "malformed", variant: "shape", ttlMs: 60_000 });
    const shaped = await (await json()).json();
    expect(() => c.jsonText(shaped)).toThrow();
  });

  it("malformed: an SSE event that is not JSON, after afterEvents good ones", async () => {
    await addFault({ vendor, kind: "malformed", afterEvents: 1, ttlMs: 60_000 });
    const d = c.datas(await (await sse()).text());
    expect(tryJson(d[0]!)).toBeDefined();
    expect(tryJson(d[1]!)).toBeUndefined();
    expect(d.filter((x) => x !== "[DONE]" && tryJson(x) === undefined)).toHaveLength(1);
  });

  it("slow_ttfb: the headers wait ms, then the answer is whole", async () => {
    await addFault({ vendor, kind: "slow_ttfb", ms: 20, ttlMs: 60_000 });
    const t0 = Date.now();
    const res = await json();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    expect(c.jsonText(await res.json())).toBe(REPLY[vendor]);
    expect((await stats()).vendors[vendor].outcomes).toEqual({ slow_ttfb: 1 });
  });

  it("latency: a stream's events are spread over ms and the answer is whole", async () => {
    await addFault({ vendor, kind: "latency", ms: 20, ttlMs: 60_000 });
    const t0 = Date.now();
    const d = c.datas(await (await sse()).text());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    expect(c.terminal(d)).toBe(true);
    expect(c.sseText(d)).toBe(REPLY[vendor]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Control API
// ---------------------------------------------------------------------------------------------------------------

describe("cutAtStop", () => {
  it("cuts at the earliest of several stop sequences and ignores the rest", () => {
    expect(cutAtStop("one two three", ["three", "two"])).toEqual({ reply: "one ", stopped: true });
    expect(cutAtStop("one two", [])).toEqual({ reply: "one two", stopped: false });
    expect(cutAtStop("one two", undefined)).toEqual({ reply: "one two", stopped: false });
    expect(cutAtStop("one two", ["one"])).toEqual({ reply: "", stopped: true });
  });
});

describe("control API", () => {
  const openaiJson = () => post("/openai/v1/chat/completions", CASES[0]!.body(false));

  it("a fault expires after ttlMs on the injected clock, and leaves the list", async () => {
    await addFault({ vendor: "openai", kind: "status", status: 500, ttlMs: 1_000 });
    expect((await openaiJson()).status).toBe(500);
    clock += 999;
    expect((await openaiJson()).status).toBe(500);
    expect(await listFaults()).toEqual([expect.objectContaining({ vendor: "openai", kind: "status", status: 500, hits: 2, remainingMs: 1 })]);
    clock += 1;
    expect((await openaiJson()).status).toBe(200);
    expect(await listFaults()).toEqual([]);
  });

  it("rate 0 never applies; a partial rate applies when the roll is below it", async () => {
    await addFault({ vendor: "*", kind: "status", rate: 0, ttlMs: 60_000 });
    roll = 0;
    for (let i = 0; i < 3; i++) expect((await openaiJson()).status).toBe(200);
    await addFault({ vendor: "*", kind: "status", status: 502, rate: 0.3, ttlMs: 60_000 });
    roll = 0.29;
    expect((await openaiJson()).status).toBe(502);
    roll = 0.3;
    expect((await openaiJson()).status).toBe(200);
    expect((await stats()).vendors.openai.outcomes).toEqual({ ok: 4, status: 1 });
  });

  it("faults are scoped by vendor, '*' hits all, and the newest live fault wins", async () => {
    await addFault({ vendor: "anthropic", kind: "status", status: 529, ttlMs: 60_000 });
    expect((await openaiJson()).status).toBe(200);
    expect((await post("/anthropic/v1/messages", CASES[1]!.body(false))).status).toBe(529);
    await addFault({ vendor: "*", kind: "status", status: 503, ttlMs: 60_000 });
    expect((await openaiJson()).status).toBe(503);
    expect((await post("/anthropic/v1/messages", CASES[1]!.body(false))).status).toBe(503);
    expect((await post("/gemini/v1beta/models/g:generateContent", CASES[2]!.body(false))).status).toBe(503);
  });

  it("lists, deletes one, clears all, and resets stats", async () => {
    const a = await addFault({ vendor: "openai", kind: "hang", ttlMs: 60_000 });
    const b = await addFault({ vendor: "gemini", kind: "latency", ms: 5, ttlMs: 60_000 });
    const list = async () => (await listFaults()).map((f) => f.id);
    expect(await list()).toEqual([a, b]);
    expect((await fetch(`${mock.url}/__control/faults/${a}`, { method: "DELETE" })).status).toBe(200);
    expect((await fetch(`${mock.url}/__control/faults/${a}`, { method: "DELETE" })).status).toBe(404);
    expect(await list()).toEqual([b]);
    expect(await (await fetch(`${mock.url}/__control/faults`, { method: "DELETE" })).json()).toEqual({ cleared: 1 });
    expect(await list()).toEqual([]);
    await openaiJson();
    clock += 5;
    expect((await stats()).vendors.openai.requests).toBe(1);
    await post("/__control/stats/reset", {});
    const s = await stats();
    expect(s.since).toBe(clock);
    expect(s.vendors.openai).toEqual({ requests: 0, open: 0, outcomes: {}, statuses: {} });
  });

  it("refuses faults without ttlMs, with unknown or inapplicable fields, or out of range", async () => {
    const bad = async (f: unknown) => {
      const res = await post("/__control/faults", f);
      expect(res.status).toBe(400);
      return ((await res.json()) as { error: string }).error;
    };
    expect(await bad({ vendor: "openai", kind: "reset" })).toMatch(/ttlMs/);
    expect(await bad({ vendor: "azure", kind: "reset", ttlMs: 1 })).toMatch(/vendor/);
    expect(await bad({ vendor: "openai", kind: "explode", ttlMs: 1 })).toMatch(/kind/);
    expect(await bad({ vendor: "openai", kind: "reset", ttl: 1, ttlMs: 1 })).toMatch(/'ttl'/);
    expect(await bad({ vendor: "openai", kind: "cut", status: 500, ttlMs: 1 })).toMatch(/'status'/);
    expect(await bad({ vendor: "openai", kind: "status", rate: 1.5, ttlMs: 1 })).toMatch(/rate/);
    expect(await bad({ vendor: "openai", kind: "cut", variant: "shape", ttlMs: 1 })).toMatch(/variant/);
    expect(await bad({ vendor: "openai", kind: "status", ttlMs: 0 })).toMatch(/ttlMs/);
    expect((await fetch(`${mock.url}/__control/faults`)).ok).toBe(true);
    expect(await listFaults()).toEqual([]);
  });

  it("fills in defaults", () => {
    expect(parseFault({ vendor: "*", kind: "status", ttlMs: 10 }, 100).fault).toMatchObject({ rate: 1, status: 503, createdAt: 100, expiresAt: 110 });
    expect(parseFault({ vendor: "*", kind: "cut", ttlMs: 10 }, 0).fault).toMatchObject({ afterEvents: 2, variant: "close" });
    expect(parseFault({ vendor: "*", kind: "stall", ttlMs: 10 }, 0).fault).not.toHaveProperty("ms");
    expect(parseFault({ vendor: "*", kind: "slow_ttfb", ttlMs: 10 }, 0).fault).toMatchObject({ ms: 200 });
    expect(parseFault({ vendor: "*", kind: "malformed", ttlMs: 10 }, 0).fault).toMatchObject({ afterEvents: 0, variant: "syntax" });
  });

  it("answers 404 off the vendor paths, and on vendor paths in the vendor's shape", async () => {
    expect((await fetch(`${mock.url}/nope`)).status).toBe(404);
    const res = await post("/openai/v1/embeddings", {});
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    expect(await (await fetch(`${mock.url}/`)).json()).toEqual({ url: mock.url, baseUrls: mock.baseUrls, control: `${mock.url}/__control` });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Detour's own adapters against the mock
// ---------------------------------------------------------------------------------------------------------------

describe("Detour's adapters speak to the mock", () => {
  const ADAPTERS: Record<MockVendor, HttpAdapter> = { openai: openaiAdapter, anthropic: anthropicAdapter, gemini: geminiAdapter };

  function setup(vendor: MockVendor) {
    const p = ProviderConfig.parse({ id: `mock-${vendor}`, kind: vendor, baseUrl: mock.baseUrls[vendor], models: [{ id: `${vendor}-model`, tools: true }] });
    const target: Target = { provider: p, model: p.models[0]! };
    const ctx: CallContext = { fetch, signal: new AbortController().signal, apiKey: "k", now: () => Date.now() };
    return { provider: httpProvider(ADAPTERS[vendor]), target, ctx };
  }
  const req = (over: Partial<CanonicalRequest> = {}): CanonicalRequest => ({
    messages: [{ role: "user", content: "Say hi" }],
    stream: false,
    includeUsage: true,
    maxTokens: 50,
    ...over,
  });
  async function failure(p: Promise<unknown>): Promise<UpstreamError> {
    const e = await rejection(p);
    expect(e).toBeInstanceOf(UpstreamError);
    return e as UpstreamError;
  }

  it.each(["openai", "anthropic", "gemini"] as const)("%s: answers json_schema and json_object with JSON that passes Detour's checks", async (vendor) => {
    const { provider, target, ctx } = setup(vendor);
    const schema = {
      type: "object",
      properties: { category: { type: "string", enum: ["billing", "other"] }, meta: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } },
      required: ["category", "meta"],
      additionalProperties: false,
    };
    const asks: CanonicalRequest[] = [
      req({ responseFormat: { type: "json_schema", name: "cat", schema, strict: true } }),
      req({ responseFormat: { type: "json_object" } }),
    ];
    for (const r of asks) {
      const res = await provider.complete(r, target, ctx);
      expect(validate(r, res, checksFor(r))).toBeUndefined();
    }
    expect(JSON.parse((await provider.complete(asks[0]!, target, ctx)).content!)).toEqual({ category: "billing", meta: { n: 0 } });
  });

  it.each(["openai", "anthropic", "gemini"] as const)("%s: JSON, stream, forced tool call and faults classify as Detour expects", async (vendor) => {
    const { provider, target, ctx } = setup(vendor);
    const res = await provider.complete(req(), target, ctx);
    expect(res).toMatchObject({ content: REPLY[vendor], finishReason: "stop", toolCalls: [] });
    expect(res.usage?.outputTokens).toBeGreaterThan(0);

    const events: StreamEvent[] = [];
    for await (const e of await provider.stream(req({ stream: true }), target, ctx)) events.push(e);
    expect(events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text).join("")).toBe(REPLY[vendor]);
    expect(events).toContainEqual({ type: "finish", finishReason: "stop" });

    const tool = await provider.complete(
      req({ tools: [{ name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } }], toolChoice: "required" }),
      target,
      ctx,
    );
    expect(tool.toolCalls).toEqual([expect.objectContaining({ name: "lookup", arguments: "{}" })]);
    expect(tool.finishReason).toBe("tool_calls");

    await addFault({ vendor, kind: "status", status: 429, retryAfter: 2, ttlMs: 60_000 });
    const limited = await failure(provider.complete(req(), target, ctx));
    expect(limited.errorClass).toBe("rate_limited");
    expect(limited.retryAfterMs).toBe(2_000);
    await addFault({ vendor, kind: "malformed", ttlMs: 60_000 });
    expect((await failure(provider.complete(req(), target, ctx))).errorClass).toBe("malformed");
    await addFault({ vendor, kind: "reset", ttlMs: 60_000 });
    expect((await failure(provider.complete(req(), target, ctx))).errorClass).toBe("network");
  });
});
