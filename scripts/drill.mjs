#!/usr/bin/env node
/**
 * `npm run drill`: chaos drills against the real worker, with numbers.
 *
 * Starts, all on 127.0.0.1 and with no network: the mock vendors (scripts/mock-vendors.mjs: OpenAI, Anthropic and
 * Gemini wire formats, with network faults), and for each scenario a fresh Detour — bundled as `wrangler deploy
 * --dry-run` does, on workerd through Miniflare's API, with wrangler.toml's local bindings (Durable Objects, KV; in
 * memory, so every scenario starts with closed breakers and an empty cache) — configured with three providers on the
 * mock: `alpha` (openai), `beta` (anthropic), `gamma` (gemini), route `auto: [alpha, beta, gamma]`.
 *
 * Each scenario (scripts/drills/*.json, one small declarative file each; add your own) is a list of phases. At a
 * phase's start its faults are set — `"where": "network"` on the mock vendors (`/__control/faults`), `"where":
 * "detour"` through Detour's own admin API (`/admin/faults`) — and at its end they are cleared. Meanwhile a bounded,
 * fixed-rate, open-loop load (a mix of classification, extraction, chat and summarization, some streamed) runs with
 * `x-detour-trace: 1`, and every answer is recorded: status, x-detour-mode/-provider/-cache/-degraded, latency,
 * usage, and how each stream ended ([DONE], an explicit error event, or neither: a silent truncation).
 *
 * Writes <out>/report.md (headline table first), report.json, requests.jsonl and timeline.svg. Exits 1 when a scenario
 * misses a threshold it declares (each miss is printed), 2 when the drill could not run.
 *
 *   npm run drill                       every scenario
 *   npm run drill -- --quick            the quick subset (`"quick": true`), what CI runs
 *   npm run drill -- --scenario 5xx-storm [--scenario …]   by name (comma-separated works too)
 *   npm run drill -- --out reports/drills/mine             output directory (default reports/drills/<timestamp>)
 *   npm run drill -- --list             the scenarios and their phases
 *   npm run drill -- --traces           keep each answer's full `detour` trace in requests.jsonl
 *   DRILL_MOCK_MODULE=path/to/mock.mjs   another module exporting startMockVendors({ port }) with the same contract
 *
 * Scenario file: { name, description, quick, rate (req/s), seed?, mix?: { classes: {classification, extraction, chat,
 * summarization: weight}, stream: share of chat/summarization streamed, repeat: share of cacheable requests repeating
 * an earlier prompt }, setup?: { templates: [{ route, key, text, variables? }] }, config?: (deep-merged into the
 * drill's DETOUR_CONFIG), phases: [{ name, durationMs, faults: [{ where, …fault }], thresholds? }], thresholds? }.
 * Thresholds (scenario-wide, or per phase): servedPct, servedPctByClass {class: pct}, silentTruncations, p95Ms, p99Ms,
 * timeToDetectMs, timeToRecoverMs. See scripts/drills/README.md.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bundleDetour, HOST, readPkgVersion, ROOT, startBundledDetour, workerSettings } from "./lib/worker.mjs";

const DRILLS_DIR = path.join(ROOT, "scripts/drills");
const ADMIN_TOKEN = `drill-admin-${randomBytes(12).toString("hex")}`;
const GATEWAY_KEY = `drill-key-${randomBytes(12).toString("hex")}`;
const MODES = ["primary", "failover", "cache", "stale", "degraded", "error"];
const CLASSES = ["classification", "extraction", "chat", "summarization"];
const CLIENT_TIMEOUT_MS = 25_000;
const MAX_IN_FLIGHT = 400;
const MAX_RATE = 200;
const MAX_SCENARIO_MS = 5 * 60_000;
const STATUS_POLL_MS = 500;
const BUCKET_MS = 500;
const VENDOR_OF_KIND = { openai: "openai", anthropic: "anthropic", gemini: "gemini" };
/** A skip because the breaker is open: the engine's admission ("breaker_open") or the routing plan ("breaker OPEN"). */
const BREAKER_OPEN = /^breaker_open$|breaker OPEN/;
const THRESHOLD_KEYS = ["servedPct", "servedPctByClass", "silentTruncations", "p95Ms", "p99Ms", "timeToDetectMs", "timeToRecoverMs"];

const log = (...a) => console.error("[drill]", ...a);
/** A mistake in the command line or a scenario file: reported as its message alone. */
class UsageError extends Error {}
let KEEP_TRACES = false;

// ---------------------------------------------------------------------------------------------------------------
// Arguments and scenarios
// ---------------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { quick: false, scenarios: [], out: undefined, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") args.quick = true;
    else if (a === "--list") args.list = true;
    else if (a === "--traces") args.traces = true;
    else if (a === "--scenario" || a.startsWith("--scenario=")) args.scenarios.push(...value().split(",").filter(Boolean));
    else if (a === "--out" || a.startsWith("--out=")) args.out = value();
    else if (a === "--help" || a === "-h") args.help = true;
    else throw new UsageError(`unknown argument ${a} (try --help)`);
  }
  return args;
}

const isObj = (x) => x !== null && typeof x === "object" && !Array.isArray(x);

/** Loads and checks every scenario file; a mistake names the file and the field, so operators can fix their own. */
function loadScenarios() {
  const files = readdirSync(DRILLS_DIR).filter((f) => f.endsWith(".json")).sort();
  const out = [];
  for (const f of files) {
    const where = `scripts/drills/${f}`;
    let s;
    try {
      s = JSON.parse(readFileSync(path.join(DRILLS_DIR, f), "utf8"));
    } catch (err) {
      throw new UsageError(`${where}: not valid JSON (${err.message})`);
    }
    const problems = checkScenario(s);
    if (problems.length) throw new UsageError(`${where}: ${problems.join("; ")}`);
    out.push({ ...s, file: where });
  }
  const names = new Set();
  for (const s of out) {
    if (names.has(s.name)) throw new UsageError(`${s.file}: a second scenario named "${s.name}"`);
    names.add(s.name);
  }
  return out;
}

function checkThresholds(t, at, problems) {
  if (t === undefined) return;
  if (!isObj(t)) return problems.push(`${at} must be an object`);
  for (const [k, v] of Object.entries(t)) {
    if (!THRESHOLD_KEYS.includes(k)) problems.push(`${at}.${k}: unknown threshold (use ${THRESHOLD_KEYS.join(", ")})`);
    else if (k === "servedPctByClass") {
      if (!isObj(v)) problems.push(`${at}.servedPctByClass must map task classes to percentages`);
      else for (const [c, p] of Object.entries(v)) {
        if (!CLASSES.includes(c)) problems.push(`${at}.servedPctByClass.${c}: unknown class (use ${CLASSES.join(", ")})`);
        if (typeof p !== "number" || p < 0 || p > 100) problems.push(`${at}.servedPctByClass.${c} must be 0..100`);
      }
    } else if (typeof v !== "number" || v < 0) problems.push(`${at}.${k} must be a non-negative number`);
  }
}

function checkScenario(s) {
  const p = [];
  if (!isObj(s)) return ["must be a JSON object"];
  if (typeof s.name !== "string" || !/^[a-z0-9][a-z0-9_.-]*$/i.test(s.name)) p.push("name: letters, digits, '.', '_' or '-'");
  if (typeof s.rate !== "number" || s.rate <= 0 || s.rate > MAX_RATE) p.push(`rate: requests per second, 0 < rate ≤ ${MAX_RATE}`);
  if (!Array.isArray(s.phases) || s.phases.length === 0) p.push("phases: a non-empty list");
  let total = 0;
  (s.phases ?? []).forEach((ph, i) => {
    const at = `phases[${i}]`;
    if (!isObj(ph)) return p.push(`${at} must be an object`);
    if (typeof ph.name !== "string" || !ph.name) p.push(`${at}.name is required`);
    if (!Number.isInteger(ph.durationMs) || ph.durationMs < 500) p.push(`${at}.durationMs: an integer ≥ 500`);
    total += ph.durationMs ?? 0;
    if (ph.faults !== undefined && !Array.isArray(ph.faults)) p.push(`${at}.faults must be a list`);
    (ph.faults ?? []).forEach((f, j) => {
      const fa = `${at}.faults[${j}]`;
      if (!isObj(f)) return p.push(`${fa} must be an object`);
      if (f.where === "network") {
        if (!["openai", "anthropic", "gemini", "*"].includes(f.vendor)) p.push(`${fa}.vendor: "openai", "anthropic", "gemini" or "*"`);
        if (!["reset", "hang", "status", "slow_ttfb", "cut", "stall", "malformed", "latency"].includes(f.kind)) p.push(`${fa}.kind: not a network fault`);
      } else if (f.where === "detour") {
        if (typeof f.provider !== "string") p.push(`${fa}.provider: a provider id or "*"`);
        if (typeof f.kind !== "string") p.push(`${fa}.kind is required`);
      } else p.push(`${fa}.where: "network" or "detour"`);
      if (f.rate !== undefined && (typeof f.rate !== "number" || f.rate < 0 || f.rate > 1)) p.push(`${fa}.rate: 0..1`);
    });
    checkThresholds(ph.thresholds, `${at}.thresholds`, p);
  });
  if (total > MAX_SCENARIO_MS) p.push(`phases last ${total} ms in all; a drill scenario is bounded to ${MAX_SCENARIO_MS} ms`);
  checkThresholds(s.thresholds, "thresholds", p);
  if (s.mix !== undefined) {
    if (!isObj(s.mix)) p.push("mix must be an object");
    else {
      for (const [c, w] of Object.entries(s.mix.classes ?? {})) {
        if (!CLASSES.includes(c)) p.push(`mix.classes.${c}: unknown class (use ${CLASSES.join(", ")})`);
        if (typeof w !== "number" || w < 0) p.push(`mix.classes.${c}: a non-negative weight`);
      }
      for (const k of ["stream", "repeat"]) {
        if (s.mix[k] !== undefined && (typeof s.mix[k] !== "number" || s.mix[k] < 0 || s.mix[k] > 1)) p.push(`mix.${k}: 0..1`);
      }
    }
  }
  if (s.tier !== undefined && !TIERS.includes(s.tier)) p.push(`tier: ${TIERS.join(", ")}`);
  if (s.config !== undefined && !isObj(s.config)) p.push("config must be an object (merged into the drill's DETOUR_CONFIG)");
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// Detour's configuration for drills
// ---------------------------------------------------------------------------------------------------------------

const PROVIDERS = [
  { id: "alpha", kind: "openai", model: "gpt-4o-mini", price: { input: 0.15, output: 0.6 }, secret: "MOCK_OPENAI_KEY" },
  { id: "beta", kind: "anthropic", model: "claude-3-5-haiku-latest", price: { input: 0.8, output: 4 }, secret: "MOCK_ANTHROPIC_KEY" },
  { id: "gamma", kind: "gemini", model: "gemini-1.5-pro", price: { input: 1.25, output: 5 }, secret: "MOCK_GEMINI_KEY" },
];
// Prices rise along the route, so a cheapest-first routing strategy and the route's own order agree: alpha is the
// primary for every task class the drill sends.
const TIERS = ["premium", "standard", "free"];
const LABELS = ["billing", "technical", "account", "other"];

function baseConfig(mockUrl) {
  const baseUrl = { openai: `${mockUrl}/openai/v1`, anthropic: `${mockUrl}/anthropic`, gemini: `${mockUrl}/gemini/v1beta` };
  return {
    providers: PROVIDERS.map((p) => ({
      id: p.id,
      kind: p.kind,
      baseUrl: baseUrl[p.kind],
      apiKeySecret: p.secret,
      models: [{ id: p.model, contextWindow: 128_000, maxOutputTokens: 4096, tools: true, json: true, price: p.price }],
    })),
    routes: {
      auto: {
        description: "drill route: alpha, failing over to beta then gamma",
        targets: PROVIDERS.map((p) => `${p.id}/${p.model}`),
        // Short enough that a hang or a stall shows up within a drill's phase, long enough for a loaded 2-core box.
        retry: { maxRetries: 1, baseDelayMs: 50, maxDelayMs: 400, retryAfterCapMs: 2000 },
        timeouts: { firstByteMs: 2500, stallMs: 1500, deadlineMs: 15_000 },
      },
    },
    degrade: {
      rules: {
        labels: [
          { name: "billing", keywords: ["charged", "refund", "invoice", "billing", "payment", "subscription"] },
          { name: "technical", keywords: ["crash", "crashes", "freezes", "slow", "broken", "update", "sync"] },
          { name: "account", keywords: ["password", "login", "account", "username", "two-factor"] },
        ],
        fallbackLabel: "other",
      },
      retryAfterSeconds: 5,
    },
    resilience: {
      // Fast enough to trip, probe and close within a drill's phases.
      breaker: { consecutiveFailures: 3, minimumCalls: 5, failureRateThreshold: 0.5, openMs: 2000, maxOpenMs: 4000, probes: 1, probeSuccesses: 1, probeTimeoutMs: 5000 },
      // A 5 s health window (production: 15 min), so a provider's score recovers within a drill's recovery phase.
      health: { bucketMs: 1000, buckets: 5 },
      reportFlushMs: 200,
      snapshotTtlMs: 250,
    },
  };
}

/** Objects merge key by key; anything else (arrays included) replaces. */
function deepMerge(a, b) {
  if (!isObj(a) || !isObj(b)) return b === undefined ? a : b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The load: seeded, so a scenario sends the same requests every run
// ---------------------------------------------------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hashString = (s) => [...s].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
const pick = (rnd, xs) => xs[Math.floor(rnd() * xs.length)];

const TICKETS = {
  billing: [
    "I was charged twice for my subscription this month, please refund the duplicate payment on invoice {n}.",
    "My invoice {n} shows a plan I never ordered and the billing total is wrong.",
    "The refund for order {n} has not arrived on my card after two weeks.",
  ],
  technical: [
    "The app crashes on startup since the last update, on build {n}.",
    "Sync has been broken since Tuesday and the dashboard freezes on report {n}.",
    "Exports are very slow and time out for workspace {n}.",
  ],
  account: [
    "I cannot reset my password, the login link for account {n} never arrives.",
    "Please change the username on account {n}, I lost access to the old email.",
    "Two-factor codes are rejected when I sign in to account {n}.",
  ],
  other: [
    "Do you have an office near the harbour? Reference {n}.",
    "I would like to send feedback about your newsletter, reference {n}.",
  ],
};
const FIRST = ["Ana", "Bruno", "Chen", "Dara", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas"];
const TOPICS = ["a rainy weekend", "a team offsite", "a short walk", "a quiet morning", "a new hobby", "a city trip", "a picnic", "a book club"];
const DOCS = [
  "The quarterly review found that support volume rose {n} percent while median response time fell to four hours, mostly thanks to the new triage queue and two extra hires on the night shift.",
  "Release notes for version {n}: faster exports, a redesigned settings page, fixes for calendar sync and a new audit log that records every change an administrator makes.",
  "Meeting notes, item {n}: the team agreed to move the launch by one week, keep the pricing unchanged, and run a small beta with twenty customers before the public announcement.",
];

const CLASSIFY_SCHEMA = {
  type: "json_schema",
  json_schema: {
    name: "ticket_category",
    strict: true,
    schema: { type: "object", properties: { category: { type: "string", enum: LABELS } }, required: ["category"], additionalProperties: false },
  },
};
const EXTRACT_SCHEMA = {
  type: "json_schema",
  json_schema: {
    name: "contact",
    schema: {
      type: "object",
      properties: {
        name: { type: "string" },
        email: { type: "string" },
        phone: { type: "string" },
        order_id: { type: "string" },
        amount: { type: "string" },
      },
      required: ["email"],
    },
  },
};

/** One request of a class; `n` makes it unique (Detour's near-duplicate matching refuses a changed number). */
function makeRequest(cls, rnd, n, stream) {
  if (cls === "classification") {
    const label = pick(rnd, LABELS);
    const text = pick(rnd, TICKETS[label]).replace("{n}", String(n));
    return {
      body: {
        model: "auto",
        temperature: 0,
        messages: [
          { role: "system", content: "Classify the support ticket into one category." },
          { role: "user", content: text },
        ],
        response_format: CLASSIFY_SCHEMA,
      },
      expect: label,
    };
  }
  if (cls === "extraction") {
    const name = pick(rnd, FIRST);
    return {
      body: {
        model: "auto",
        temperature: 0,
        messages: [
          { role: "system", content: "Extract the contact details from the message." },
          {
            role: "user",
            content: `Hi, this is ${name}. Please reach me at ${name.toLowerCase()}.${n}@example.com or +1 555 ${String(1000 + (n % 9000))}, about order ORD-${n} for $${(n % 500) + 20}.00.`,
          },
        ],
        response_format: EXTRACT_SCHEMA,
      },
    };
  }
  if (cls === "summarization") {
    const body = {
      model: "auto",
      messages: [{ role: "user", content: `Summarize in one sentence: ${pick(rnd, DOCS).replace("{n}", String(n))}` }],
      max_tokens: 120,
    };
    if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    return { body, headers: { "x-detour-task": "summarization" } };
  }
  const body = {
    model: "auto",
    messages: [
      { role: "system", content: "You are a friendly assistant for a note-taking app." },
      { role: "user", content: `Give me one short idea for ${pick(rnd, TOPICS)}, note ${n}.` },
    ],
    max_tokens: 200,
  };
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return { body };
}

/** The scenario's request plan: deterministic from its seed; `repeat` reuses a small pool so the cache has work. */
function planner(scenario) {
  const mix = scenario.mix ?? {};
  const weights = { classification: 3, extraction: 2, chat: 4, summarization: 1, ...(mix.classes ?? {}) };
  const total = CLASSES.reduce((a, c) => a + (weights[c] ?? 0), 0) || 1;
  const streamShare = mix.stream ?? 0.3;
  const repeatShare = mix.repeat ?? 0.2;
  const rnd = mulberry32(hashString(scenario.name) ^ (scenario.seed ?? 1));
  const POOL = 6;
  return (i) => {
    let x = rnd() * total;
    let cls = CLASSES[CLASSES.length - 1];
    for (const c of CLASSES) {
      if ((x -= weights[c] ?? 0) < 0) {
        cls = c;
        break;
      }
    }
    const stream = (cls === "chat" || cls === "summarization") && rnd() < streamShare;
    const repeat = cls !== "chat" && rnd() < repeatShare;
    // Repeated prompts come from a fixed pool per class (numbers 1..POOL), built from their own generator so a repeat
    // is byte-identical to the first time it was sent.
    const n = repeat ? 1 + Math.floor(rnd() * POOL) : 10_000 + i;
    const r = makeRequest(cls, repeat ? mulberry32(hashString(cls) + n) : rnd, n, stream);
    return { cls, stream, repeat, ...r };
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT + 16, keepAliveMsecs: 30_000, noDelay: true });

/** A small JSON call (admin and control APIs); rejects on a transport error, returns status and parsed body. */
function call(method, url, body, headers = {}, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers: { ...(data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode, json, text });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * One chat completion, recorded. Reads SSE as an SDK would: `[DONE]` ends a stream, an `error` event raises, and a
 * stream that just stops is a silent truncation. A kept-alive socket the server closed just as it was reused (the
 * usual keep-alive race, before any response) is retried once on a fresh one.
 */
async function chat(url, req, extraHeaders) {
  try {
    return await chatOnce(url, req, extraHeaders);
  } catch (err) {
    if (err?.reusedSocket && !err.responded) return { ...(await chatOnce(url, req, extraHeaders).catch(asFailure)), clientRetried: true };
    return asFailure(err);
  }
}
const asFailure = (err) => ({ status: 0, clientError: String(err?.message ?? err), latencyMs: err?.latencyMs });

function chatOnce(url, req, extraHeaders) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(req.body);
    const t0 = performance.now();
    let ttfb;
    let responded = false;
    const r = http.request(
      url,
      {
        method: "POST",
        agent,
        timeout: CLIENT_TIMEOUT_MS,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(data),
          "x-detour-trace": "1",
          ...(req.headers ?? {}),
          ...extraHeaders,
        },
      },
      (res) => {
        responded = true;
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          ttfb ??= performance.now() - t0;
          text += c;
        });
        res.on("end", () => resolve(finish(res, text, performance.now() - t0, ttfb, req.body.stream === true, false)));
        // A socket that dies under a started response: the client sees it (an SDK raises), so it is no silent cut.
        res.on("error", () => resolve(finish(res, text, performance.now() - t0, ttfb, req.body.stream === true, true)));
        res.on("aborted", () => {});
      },
    );
    r.on("timeout", () => r.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS} ms`)));
    r.on("error", (err) => reject(Object.assign(err, { reusedSocket: r.reusedSocket, responded, latencyMs: performance.now() - t0 })));
    r.end(data);
  });
}

function finish(res, text, latencyMs, ttfbMs, stream, aborted) {
  const h = res.headers;
  const out = {
    status: res.statusCode,
    latencyMs,
    ttfbMs,
    mode: h["x-detour-mode"],
    provider: h["x-detour-provider"],
    model: h["x-detour-model"],
    cache: h["x-detour-cache"],
    degraded: h["x-detour-degraded"],
    attemptsHeader: h["x-detour-attempts"] !== undefined ? Number(h["x-detour-attempts"]) : undefined,
    costHeader: h["x-detour-cost-usd"] !== undefined ? Number(h["x-detour-cost-usd"]) : undefined,
    hedged: h["x-detour-hedged"] === "1" || undefined,
  };
  const isSse = String(h["content-type"] ?? "").includes("text/event-stream");
  if (stream && isSse) {
    let done = false;
    let errorEvent;
    let content = "";
    let sawAfterDone = false;
    for (const line of text.split(/\r?\n/)) {
      if (!line.startsWith("data:")) continue;
      const payload = line.slice(5).trim();
      if (done) sawAfterDone = true;
      if (payload === "[DONE]") {
        done = true;
        continue;
      }
      let obj;
      try {
        obj = JSON.parse(payload);
      } catch {
        out.badEvents = (out.badEvents ?? 0) + 1;
        continue;
      }
      if (obj.error) errorEvent = obj.error;
      if (obj.usage) out.usage = { in: obj.usage.prompt_tokens ?? 0, out: obj.usage.completion_tokens ?? 0 };
      if (obj.detour) out.trace = obj.detour;
      if (obj.model) out.bodyModel = obj.model;
      content += obj.choices?.[0]?.delta?.content ?? "";
    }
    out.stream = true;
    out.contentChars = content.length;
    out.streamEnd = errorEvent ? "error_event" : done ? "done" : aborted ? "aborted" : "none";
    if (errorEvent) out.streamError = errorEvent.code ?? errorEvent.type ?? "error";
    if (sawAfterDone) out.afterDone = true;
  } else {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      out.invalidBody = true;
    }
    if (aborted) out.aborted = true;
    if (body) {
      if (body.usage) out.usage = { in: body.usage.prompt_tokens ?? 0, out: body.usage.completion_tokens ?? 0 };
      if (body.detour) out.trace = body.detour;
      if (body.model) out.bodyModel = body.model;
      if (body.error) out.errorCode = body.error.code ?? body.error.type;
      const content = body.choices?.[0]?.message?.content;
      if (typeof content === "string") {
        out.contentChars = content.length;
        out.answer = content.slice(0, 200);
      }
    }
    if (stream) out.stream = true; // a stream request answered with JSON (an error before any byte)
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------------------------

async function applyFault(ctx, f, phase, scenario) {
  const { where, ...fault } = f;
  if (where === "network") {
    const body = { ...fault, ttlMs: fault.ttlMs ?? phase.durationMs + 10_000 };
    const r = await call("POST", `${ctx.mockUrl}/__control/faults`, body);
    if (r.status >= 300) throw new Error(`mock refused network fault ${JSON.stringify(body)}: ${r.status} ${r.text.slice(0, 300)}`);
    return { where, id: r.json?.id, spec: body };
  }
  const body = {
    ...fault,
    ttlSeconds: fault.ttlSeconds ?? Math.ceil(phase.durationMs / 1000) + 10,
    note: fault.note ?? `drill ${scenario.name} / ${phase.name}`,
  };
  const r = await call("POST", `${ctx.detourUrl}/admin/faults`, body, ctx.adminHeaders);
  if (r.status !== 201) throw new Error(`Detour refused fault ${JSON.stringify(body)}: ${r.status} ${r.text.slice(0, 300)}`);
  return { where, id: r.json?.fault?.id, spec: body };
}

async function clearFaults(ctx, applied) {
  if (applied.some((a) => a.where === "network")) {
    const r = await call("DELETE", `${ctx.mockUrl}/__control/faults`);
    if (r.status >= 300) log(`warning: could not clear network faults: ${r.status} ${r.text.slice(0, 200)}`);
  }
  for (const a of applied.filter((x) => x.where === "detour")) {
    const r = await call("DELETE", `${ctx.detourUrl}/admin/faults/${encodeURIComponent(a.id)}`, undefined, ctx.adminHeaders);
    // 404: it expired already; anything else is worth a word.
    if (r.status !== 200 && r.status !== 404) log(`warning: could not clear Detour fault ${a.id}: ${r.status} ${r.text.slice(0, 200)}`);
  }
}

/** Provider ids a phase's faults hit: network faults by vendor (every provider of that kind), Detour faults by id. */
function faultedProviders(faults) {
  const out = new Set();
  for (const f of faults ?? []) {
    for (const p of PROVIDERS) {
      if (f.where === "network" && (f.vendor === "*" || VENDOR_OF_KIND[p.kind] === f.vendor)) out.add(p.id);
      if (f.where === "detour" && (f.provider === "*" || f.provider === p.id)) out.add(p.id);
    }
  }
  return PROVIDERS.map((p) => p.id).filter((id) => out.has(id));
}

/** The mock's per-vendor request counts, whichever of the plausible shapes it reports them in. */
function vendorCounts(stats) {
  const out = {};
  for (const v of ["openai", "anthropic", "gemini"]) {
    const x = stats?.[v] ?? stats?.vendors?.[v] ?? stats?.requests?.[v] ?? stats?.byVendor?.[v];
    out[v] = typeof x === "number" ? x : typeof x?.requests === "number" ? x.requests : typeof x?.total === "number" ? x.total : 0;
  }
  return out;
}

async function mockStats(ctx) {
  try {
    const r = await call("GET", `${ctx.mockUrl}/__control/stats`);
    return vendorCounts(r.json);
  } catch {
    return { openai: 0, anthropic: 0, gemini: 0 };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running one scenario
// ---------------------------------------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function startDetour(shared, scenario) {
  const config = deepMerge(baseConfig(shared.mockUrl), scenario.config ?? {});
  const { mf, url } = await startBundledDetour(shared, {
    DETOUR_CONFIG: JSON.stringify(config),
    DETOUR_ADMIN_TOKEN: ADMIN_TOKEN,
    // One tenant; premium by default (no rate limits), so the drill measures resilience, not the tenant's quota.
    DETOUR_API_KEYS: JSON.stringify({ [GATEWAY_KEY]: { tenant: "drill", tier: scenario.tier ?? "premium" } }),
    ...Object.fromEntries(PROVIDERS.map((p) => [p.secret, `sk-drill-${p.id}`])),
  });
  return { mf, url, config };
}

async function runScenario(shared, scenario) {
  log(`── ${scenario.name}: ${scenario.description ?? ""}`);
  const detour = await startDetour(shared, scenario);
  const dispose = () => detour.mf.dispose();
  shared.cleanups.push(dispose);
  const ctx = { mockUrl: shared.mockUrl, detourUrl: detour.url, adminHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const chatUrl = `${detour.url}/v1/chat/completions`;
  const auth = { authorization: `Bearer ${GATEWAY_KEY}` };
  const result = { name: scenario.name, description: scenario.description, file: scenario.file, quick: !!scenario.quick, rate: scenario.rate, config: detour.config };
  try {
    // Detour answers and its config is valid.
    const health = await call("GET", `${detour.url}/healthz`);
    if (health.status !== 200) throw new Error(`Detour /healthz answered ${health.status}`);
    const needsDetourFaults = scenario.phases.some((p) => (p.faults ?? []).some((f) => f.where === "detour"));
    if (needsDetourFaults) {
      const probe = await call("GET", `${detour.url}/admin/faults`, undefined, ctx.adminHeaders);
      if (probe.status !== 200) {
        throw new Error(`this scenario sets faults inside Detour, but GET /admin/faults answered ${probe.status}: ${probe.text.slice(0, 200)}`);
      }
      await call("DELETE", `${detour.url}/admin/faults`, undefined, ctx.adminHeaders);
    }
    for (const t of scenario.setup?.templates ?? []) {
      const { route = "auto", key, ...tpl } = t;
      const r = await call("PUT", `${detour.url}/admin/templates/${encodeURIComponent(route)}/${encodeURIComponent(key)}`, tpl, ctx.adminHeaders);
      if (r.status >= 300) throw new Error(`template ${route}/${key} refused: ${r.status} ${r.text.slice(0, 300)}`);
    }
    await call("DELETE", `${shared.mockUrl}/__control/faults`);

    // Warm the isolate (first requests compile code paths) without touching the cache, then forget the warm-up.
    const plan = planner(scenario);
    for (let i = 0; i < 6; i++) {
      const w = makeRequest(CLASSES[i % CLASSES.length], mulberry32(i), 900 + i, i === 2);
      const r = await chat(chatUrl, w, { ...auth, "cache-control": "no-store", "x-request-id": `drill-warmup-${i}` });
      if (r.status !== 200) throw new Error(`warm-up request answered ${r.status} ${r.errorCode ?? r.clientError ?? ""}: is the config valid?`);
    }
    await sleep(400); // let the warm-up's batched outcomes flush
    await call("POST", `${shared.mockUrl}/__control/stats/reset`);

    // Breaker states over time, from /status.
    const breakerSamples = [];
    let polling = true;
    const t0 = performance.now();
    const poller = (async () => {
      while (polling) {
        const at = performance.now() - t0;
        try {
          const r = await call("GET", `${detour.url}/status`, undefined, ctx.adminHeaders, 3000);
          if (r.status === 200) {
            breakerSamples.push({
              t: at,
              states: Object.fromEntries((r.json?.providers ?? []).map((p) => [p.provider, p.state ?? "?"])),
              faults: Array.isArray(r.json?.faults) ? r.json.faults.length : undefined,
            });
          }
        } catch {}
        await sleep(STATUS_POLL_MS - ((performance.now() - t0 - at) % STATUS_POLL_MS));
      }
    })();

    const records = [];
    const inFlight = new Set();
    let dropped = 0;
    let seq = 0;
    const phases = [];
    const interval = 1000 / scenario.rate;
    for (const [pi, ph] of scenario.phases.entries()) {
      const start = performance.now() - t0;
      const statsBefore = await mockStats(ctx);
      const applied = [];
      for (const f of ph.faults ?? []) applied.push(await applyFault(ctx, f, ph, scenario));
      const appliedAt = performance.now() - t0;
      if (applied.length) log(`   ${ph.name}: ${applied.map((a) => describeFault(a.spec, a.where)).join("; ")}`);
      else log(`   ${ph.name}`);
      // Fixed-rate, open loop: the schedule does not wait for answers (a slow Detour must not slow the load down).
      let k = 0;
      while (true) {
        const due = start + k * interval;
        if (due >= start + ph.durationMs) break;
        const now = performance.now() - t0;
        if (due > now) await sleep(due - now);
        k++;
        const i = seq++;
        const req = plan(i);
        if (inFlight.size >= MAX_IN_FLIGHT) {
          dropped++;
          continue;
        }
        const sentAt = performance.now() - t0;
        const p = chat(chatUrl, req, { ...auth, "x-request-id": `drill-${scenario.name}-${i}` }).then((r) => {
          records.push(compact(i, pi, ph.name, req, sentAt, r));
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      const clearStart = performance.now() - t0;
      if (applied.length) await clearFaults(ctx, applied);
      const clearedAt = performance.now() - t0;
      const statsAfter = await mockStats(ctx);
      phases.push({
        name: ph.name,
        index: pi,
        startMs: start,
        endMs: clearStart,
        appliedAtMs: appliedAt,
        clearedAtMs: applied.length ? clearedAt : undefined,
        faults: applied.map((a) => ({ where: a.where, id: a.id, ...a.spec })),
        faultedProviders: faultedProviders(ph.faults),
        vendorRequests: Object.fromEntries(Object.keys(statsAfter).map((v) => [v, statsAfter[v] - (statsBefore[v] ?? 0)])),
        thresholds: ph.thresholds,
      });
    }
    log(`   waiting for ${inFlight.size} requests in flight…`);
    await Promise.all([...inFlight]);
    const endMs = performance.now() - t0;
    polling = false;
    await poller;
    records.sort((a, b) => a.i - b.i);
    Object.assign(result, analyse(scenario, detour.config, phases, records, breakerSamples, endMs, dropped));
    result.requests = records;
  } catch (err) {
    result.error = String(err?.message ?? err);
    log(`   could not run: ${result.error}`);
  } finally {
    await call("DELETE", `${shared.mockUrl}/__control/faults`).catch(() => {});
    shared.cleanups.splice(shared.cleanups.indexOf(dispose), 1);
    await dispose().catch((err) => log(`   could not stop Detour: ${err?.message ?? err}`));
  }
  return result;
}

function describeFault(f, where) {
  const who = where === "network" ? `network ${f.vendor}` : `detour ${f.provider}`;
  const extra = [
    f.status !== undefined ? String(f.status) : "",
    f.retryAfter !== undefined ? `retry-after ${f.retryAfter}s` : "",
    f.retryAfterSeconds !== undefined ? `retry-after ${f.retryAfterSeconds}s` : "",
    f.ms !== undefined ? `${f.ms} ms` : "",
    f.latencyMs !== undefined ? `${f.latencyMs} ms` : "",
    f.afterEvents !== undefined ? `after ${f.afterEvents} events` : "",
    f.model !== undefined ? `→ ${f.model}` : "",
    f.rate !== undefined && f.rate !== 1 ? `rate ${f.rate}` : "",
  ].filter(Boolean);
  return `${who} ${f.kind}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

/** One request's record: what the report needs, nothing of the answer beyond a short excerpt. */
function compact(i, phaseIndex, phase, req, sentAt, r) {
  const served = r.status === 200 && !r.invalidBody && r.streamEnd !== "error_event" && r.streamEnd !== "aborted" && r.streamEnd !== "none" && !r.aborted;
  const mode = served ? (MODES.includes(r.mode) ? r.mode : r.mode ?? "primary") : "error";
  return {
    i,
    phase,
    phaseIndex,
    t: round1(sentAt),
    cls: req.cls,
    stream: req.stream,
    repeat: req.repeat,
    status: r.status,
    mode,
    served,
    provider: r.provider,
    model: r.model,
    bodyModel: r.bodyModel,
    cache: r.cache,
    degraded: r.degraded,
    costUsd: r.costHeader,
    hedged: r.hedged,
    latencyMs: r.latencyMs !== undefined ? round1(r.latencyMs) : undefined,
    ttfbMs: r.ttfbMs !== undefined ? round1(r.ttfbMs) : undefined,
    usage: r.usage,
    streamEnd: r.streamEnd,
    streamError: r.streamError,
    errorCode: r.errorCode,
    clientError: r.clientError,
    clientRetried: r.clientRetried,
    invalidBody: r.invalidBody,
    attempts: r.trace?.attempts?.map((a) => ({
      provider: a.provider,
      outcome: a.outcome,
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.error_class ? { error: a.error_class } : {}),
      ...(a.status ? { status: a.status } : {}),
      ...(a.probe ? { probe: true } : {}),
      ms: a.ms,
    })),
    expect: req.expect,
    answer: req.cls === "classification" ? r.answer : undefined,
    ...(KEEP_TRACES && r.trace ? { trace: r.trace } : {}),
  };
}
const round1 = (x) => Math.round(x * 10) / 10;

// ---------------------------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------------------------

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const share = (n, d) => (d ? (100 * n) / d : null);

function priceOf(config, providerId) {
  const p = config.providers.find((x) => x.id === providerId);
  return p?.models?.[0]?.price;
}

/** USD a served answer cost: live answers only (a cached, stale, template or rules answer calls no vendor). */
function costOf(config, r) {
  if (!r.served || !r.usage || !r.provider) return 0;
  const live = r.mode === "primary" || r.mode === "failover" || (r.mode === "degraded" && String(r.degraded ?? "").startsWith("reduced"));
  if (!live) return 0;
  const price = priceOf(config, r.provider);
  if (!price) return 0;
  return (r.usage.in * price.input + r.usage.out * price.output) / 1e6;
}

function summarise(config, recs) {
  const modes = Object.fromEntries(MODES.map((m) => [m, 0]));
  for (const r of recs) modes[MODES.includes(r.mode) ? r.mode : "error"]++;
  const served = recs.filter((r) => r.served).length;
  const lat = recs.map((r) => r.latencyMs).filter((x) => typeof x === "number").sort((a, b) => a - b);
  const byClass = {};
  for (const c of CLASSES) {
    const rs = recs.filter((r) => r.cls === c);
    if (!rs.length) continue;
    byClass[c] = {
      requests: rs.length,
      servedPct: share(rs.filter((r) => r.served).length, rs.length),
      degradedPct: share(rs.filter((r) => r.mode === "degraded" || r.mode === "stale").length, rs.length),
      cachePct: share(rs.filter((r) => r.mode === "cache").length, rs.length),
      errorPct: share(rs.filter((r) => r.mode === "error").length, rs.length),
    };
  }
  const streams = recs.filter((r) => r.stream);
  const costUsd = recs.reduce((a, r) => a + costOf(config, r), 0);
  const priced = recs.filter((r) => typeof r.costUsd === "number");
  const statuses = {};
  for (const r of recs.filter((x) => !x.served)) {
    const k = r.status === 0 ? `client: ${r.clientError?.slice(0, 60)}` : r.status === 200 ? `200 ${r.streamEnd ?? (r.invalidBody ? "invalid body" : "?")}` : `${r.status} ${r.errorCode ?? ""}`.trim();
    statuses[k] = (statuses[k] ?? 0) + 1;
  }
  // Detour names the answering target as `provider/model` (the configured model, whatever the vendor reported).
  const expectedModel = Object.fromEntries(config.providers.map((p) => [p.id, `${p.id}/${p.models[0].id}`]));
  return {
    requests: recs.length,
    served,
    servedPct: share(served, recs.length),
    modes,
    modePct: Object.fromEntries(MODES.map((m) => [m, share(modes[m], recs.length)])),
    latencyMs: { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), max: lat.length ? lat[lat.length - 1] : null },
    costUsd,
    // What Detour itself reported (x-detour-cost-usd), where it does, beside the drill's estimate for the same answers.
    detourCost: priced.length
      ? Object.fromEntries(
          [
            ["json", priced.filter((r) => !r.stream)],
            ["stream", priced.filter((r) => r.stream)],
          ].map(([k, rs]) => [k, { answers: rs.length, reportedUsd: rs.reduce((a, r) => a + r.costUsd, 0), estimatedUsd: rs.reduce((a, r) => a + costOf(config, r), 0) }]),
        )
      : null,
    hedged: recs.filter((r) => r.hedged).length,
    byClass,
    streams: {
      total: streams.length,
      done: streams.filter((r) => r.streamEnd === "done").length,
      errorEvent: streams.filter((r) => r.streamEnd === "error_event").length,
      aborted: streams.filter((r) => r.streamEnd === "aborted").length,
      jsonError: streams.filter((r) => !r.streamEnd).length,
    },
    silentTruncations: recs.filter((r) => r.status === 200 && r.streamEnd === "none").length,
    invalidBodies: recs.filter((r) => r.invalidBody && r.status === 200).length,
    modelMismatches: recs.filter((r) => r.served && r.provider && r.bodyModel && expectedModel[r.provider] && r.bodyModel !== expectedModel[r.provider]).length,
    failures: statuses,
    clientRetries: recs.filter((r) => r.clientRetried).length,
  };
}

/** Requests whose trace shows a call (not a skip) to one of `providers`. */
function reachedByTrace(recs, providers) {
  return recs.filter((r) => r.attempts?.some((a) => providers.includes(a.provider) && a.outcome !== "skipped")).length;
}

function analyse(scenario, config, phases, records, breakerSamples, endMs, dropped) {
  const primaryId = config.routes.auto.targets[0].split("/")[0];
  const firstAfter = (from, pred) => records.find((r) => r.t >= from && pred(r));
  const phaseResults = phases.map((ph, idx) => {
    const recs = records.filter((r) => r.phaseIndex === ph.index);
    const s = summarise(config, recs);
    const out = { ...ph, ...s };
    // Requests still in flight when the faults changed at this phase's end met both phases' conditions: they count in
    // the phase that sent them, but a phase's own thresholds judge only the requests that lived inside it.
    const next = phases[idx + 1];
    const changes = (ph.faults.length > 0 || (next?.faults.length ?? 0) > 0) && next !== undefined;
    const inside = changes ? recs.filter((r) => r.t + (r.latencyMs ?? 0) <= ph.endMs) : recs;
    out.straddled = recs.length - inside.length;
    out.judged = out.straddled ? summarise(config, inside) : undefined;
    out.reachedFaulted = ph.faultedProviders.length
      ? {
          mock: ph.faultedProviders.reduce((a, id) => a + (ph.vendorRequests[VENDOR_OF_KIND[PROVIDERS.find((p) => p.id === id).kind]] ?? 0), 0),
          trace: reachedByTrace(recs, ph.faultedProviders),
        }
      : undefined;
    if (ph.faultedProviders.length) {
      // Time to detect: fault set → the first request whose trace shows the provider skipped as breaker_open.
      out.detect = {};
      out.recover = {};
      for (const id of ph.faultedProviders) {
        // Consecutive phases faulting the same provider are one fault run: detection is measured from the run's first
        // fault, recovery from its last clear, and the phases in between say "continued".
        const faults = (i) => phases[i]?.faultedProviders.includes(id);
        let runEnd = idx;
        while (faults(runEnd + 1)) runEnd++;
        const runCleared = phases[runEnd].clearedAtMs ?? phases[runEnd].endMs;
        if (faults(idx - 1)) out.detect[id] = "continued";
        else {
          const d = firstAfter(ph.appliedAtMs, (r) => r.attempts?.some((a) => a.provider === id && a.outcome === "skipped" && BREAKER_OPEN.test(a.reason ?? "")));
          out.detect[id] = d && d.t <= runCleared ? round1(d.t - ph.appliedAtMs) : null;
          // Any other reason routing left it out (health score under the tier's floor, throttling, …), for context.
          const other = firstAfter(ph.appliedAtMs, (r) => r.attempts?.some((a) => a.provider === id && a.outcome === "skipped" && !BREAKER_OPEN.test(a.reason ?? "")));
          if (other && other.t <= runCleared) {
            out.firstOtherSkip ??= {};
            out.firstOtherSkip[id] = { ms: round1(other.t - ph.appliedAtMs), reason: other.attempts.find((a) => a.provider === id && a.outcome === "skipped").reason };
          }
        }
        // Time to recover: fault cleared → the first request served by it again (primary mode for the route's first
        // target; an ok attempt in the trace for the others), measured at the request's send time.
        if (runEnd !== idx) out.recover[id] = "continued";
        else {
          const rec = firstAfter(runCleared, (r) =>
            id === primaryId ? r.served && r.mode === "primary" && r.provider === id : r.attempts?.some((a) => a.provider === id && a.outcome === "ok"),
          );
          out.recover[id] = rec ? round1(rec.t - runCleared) : null;
        }
      }
      // Headline figures: the first faulted provider in route order (undefined where its fault run continues).
      const headline = (o) => {
        const id = ph.faultedProviders.find((x) => o[x] !== "continued");
        return id === undefined ? undefined : o[id];
      };
      out.timeToDetectMs = headline(out.detect);
      out.timeToRecoverMs = headline(out.recover);
    }
    return out;
  });
  const overall = summarise(config, records);
  overall.dropped = dropped;
  const faultPhases = phaseResults.filter((p) => p.faultedProviders.length);
  const allFaulted = [...new Set(faultPhases.flatMap((p) => p.faultedProviders))];
  overall.reachedFaulted = faultPhases.length
    ? { mock: faultPhases.reduce((a, p) => a + p.reachedFaulted.mock, 0), trace: faultPhases.reduce((a, p) => a + p.reachedFaulted.trace, 0) }
    : undefined;
  const worst = (key) => {
    const xs = faultPhases.map((p) => p[key]).filter((x) => x !== undefined);
    if (!xs.length) return undefined;
    return xs.some((x) => x === null) ? null : Math.max(...xs);
  };
  overall.timeToDetectMs = worst("timeToDetectMs");
  overall.timeToRecoverMs = worst("timeToRecoverMs");
  // Breaker transitions seen by polling /status.
  const transitions = [];
  let last = {};
  for (const s of breakerSamples) {
    for (const [p, st] of Object.entries(s.states)) {
      if (last[p] !== undefined && last[p] !== st) transitions.push({ t: round1(s.t), provider: p, from: last[p], to: st });
      last[p] = st;
    }
  }
  const checks = evaluate(scenario, overall, phaseResults);
  return {
    durationMs: round1(endMs),
    faultedProviders: allFaulted,
    overall,
    phases: phaseResults,
    breakerSamples: breakerSamples.map((s) => ({ t: round1(s.t), states: s.states, ...(s.faults !== undefined ? { faults: s.faults } : {}) })),
    breakerTransitions: transitions,
    checks,
    passed: checks.every((c) => c.ok),
  };
}

/** Every declared threshold, checked: scenario-wide ones over all phases, phase ones over that phase. */
function evaluate(scenario, overall, phases) {
  const checks = [];
  const run = (t, s, where, phaseList) => {
    if (!t) return;
    const add = (what, actual, limit, ok) => checks.push({ where, what, actual, limit, ok });
    if (t.servedPct !== undefined) add("servedPct ≥", s.servedPct, t.servedPct, s.servedPct !== null && s.servedPct + 1e-9 >= t.servedPct);
    for (const [c, min] of Object.entries(t.servedPctByClass ?? {})) {
      const v = s.byClass[c]?.servedPct ?? null;
      add(`servedPct[${c}] ≥`, v, min, v === null || v + 1e-9 >= min);
    }
    if (t.silentTruncations !== undefined) add("silentTruncations ≤", s.silentTruncations, t.silentTruncations, s.silentTruncations <= t.silentTruncations);
    if (t.p95Ms !== undefined) add("p95Ms ≤", s.latencyMs.p95, t.p95Ms, s.latencyMs.p95 === null || s.latencyMs.p95 <= t.p95Ms);
    if (t.p99Ms !== undefined) add("p99Ms ≤", s.latencyMs.p99, t.p99Ms, s.latencyMs.p99 === null || s.latencyMs.p99 <= t.p99Ms);
    for (const [key, label] of [
      ["timeToDetectMs", "timeToDetectMs ≤"],
      ["timeToRecoverMs", "timeToRecoverMs ≤"],
    ]) {
      if (t[key] === undefined) continue;
      const fps = phaseList.filter((p) => p.faultedProviders.length && p[key] !== undefined);
      if (!fps.length && !phaseList.some((p) => p.faultedProviders.length)) add(label, null, t[key], false);
      for (const p of fps) add(`${label} (${p.name})`, p[key], t[key], p[key] !== null && p[key] <= t[key]);
    }
  };
  run(scenario.thresholds, overall, "scenario", phases);
  for (const p of phases) run(p.thresholds, p.judged ? { ...p, ...p.judged } : p, `phase ${p.name}`, [p]);
  // Streams never end quietly: a silent truncation fails the scenario even where no threshold says so.
  if (!scenario.thresholds?.silentTruncations && scenario.thresholds?.silentTruncations !== 0 && overall.silentTruncations > 0) {
    checks.push({ where: "scenario", what: "silentTruncations ≤", actual: overall.silentTruncations, limit: 0, ok: false });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------------------------
// Report: Markdown, JSON, SVG
// ---------------------------------------------------------------------------------------------------------------

const fPct = (x, d = 1) => (x === null || x === undefined ? "—" : `${x.toFixed(x === 100 ? 0 : d)}`);
const fMs = (x) => (x === null || x === undefined ? "—" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
const fMsN = (x) => (x === null || x === undefined ? "—" : String(Math.round(x)));
const fUsd = (x) => (x === 0 ? "$0" : x < 0.01 ? `$${x.toFixed(5)}` : `$${x.toFixed(4)}`);
const fSec = (ms) => `+${(ms / 1000).toFixed(1)} s`;

function modeSplit(s) {
  return MODES.map((m) => (s.modes[m] ? `${m} ${fPct(s.modePct[m])}` : null))
    .filter(Boolean)
    .join(" · ");
}

function headlineRows(results) {
  const rows = [
    "| scenario | result | requests | served % | primary | failover | cache | stale | degraded | error | p50 ms | p99 ms | detect | recover | reached faulted (mock/trace) | est. cost | silent trunc. |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    if (r.error) {
      rows.push(`| ${r.name} | **ERROR** | — | — | — | — | — | — | — | — | — | — | — | — | — | — | — |`);
      continue;
    }
    const o = r.overall;
    rows.push(
      `| ${r.name} | ${r.passed ? "pass" : "**FAIL**"} | ${o.requests} | ${fPct(o.servedPct, 2)} | ${MODES.map((m) => o.modes[m]).join(" | ")} | ` +
        `${fMsN(o.latencyMs.p50)} | ${fMsN(o.latencyMs.p99)} | ${fMs(o.timeToDetectMs)} | ${fMs(o.timeToRecoverMs)} | ` +
        `${o.reachedFaulted ? `${o.reachedFaulted.mock}/${o.reachedFaulted.trace}` : "—"} | ${fUsd(o.costUsd)} | ${o.silentTruncations} |`,
    );
  }
  return rows;
}

function markdown(results, meta) {
  const L = [];
  L.push("# Detour drill report");
  L.push("");
  L.push(
    `${meta.at.slice(0, 19)}Z · ${meta.machine.cpus} CPU × ${meta.machine.cpu} · Node ${meta.machine.node} · miniflare ${meta.miniflare} · ` +
      `${results.length} scenario(s) in ${(meta.durationMs / 1000).toFixed(1)} s${meta.quick ? " (quick subset)" : ""} · ` +
      `**${results.every((r) => r.passed) ? "all thresholds met" : "THRESHOLDS MISSED"}**`,
  );
  L.push("");
  L.push(...headlineRows(results));
  L.push("");
  L.push(
    "Mode counts are requests; *served* is a 200 of any mode (primary, failover, cache, stale, degraded) whose body " +
      "parsed and whose stream ended with `[DONE]` — a stream ended by an explicit error event counts as an error, and a " +
      "stream that ended with neither is a **silent truncation**. *detect*: fault set → first request whose trace shows the " +
      "faulted provider skipped because its breaker is open (`breaker_open`, or the routing plan's `breaker OPEN`; the worst " +
      "fault phase; — when the breaker never opened). *recover*: fault cleared → first request served by it again (primary " +
      "mode for alpha); consecutive phases faulting the same provider count as one fault. *reached faulted*: vendor calls " +
      "the mock counted for the faulted providers during fault phases (a fault injected inside Detour answers before the " +
      "vendor, so these stay low) / requests whose trace shows a call to one. *est. cost*: usage × the config's prices, " +
      "live answers only.",
  );
  const misses = results.flatMap((r) => (r.error ? [`${r.name}: could not run: ${r.error}`] : r.checks.filter((c) => !c.ok).map((c) => `${r.name} (${c.where}): ${c.what} ${c.limit} — got ${fmtActual(c.actual)}`)));
  if (misses.length) {
    L.push("");
    L.push("**Missed:**");
    L.push("");
    for (const m of misses) L.push(`- ${m}`);
  }
  L.push("");
  L.push("![timeline](timeline.svg)");
  for (const r of results) {
    L.push("");
    L.push(`## ${r.name}${r.quick ? " (quick)" : ""}`);
    L.push("");
    if (r.description) L.push(`${r.description} (\`${r.file}\`, ${r.rate} req/s)`);
    if (r.error) {
      L.push("");
      L.push(`**Could not run:** ${r.error}`);
      continue;
    }
    L.push("");
    L.push("| phase | faults | requests | served % | by mode | p50 | p95 | p99 | reached faulted (mock/trace) | vendor calls (openai/anthropic/gemini) | detect | recover | est. cost | silent trunc. |");
    L.push("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of r.phases) {
      const faults = p.faults.length ? p.faults.map((f) => describeFault(f, f.where)).join("; ") : "none";
      const per = (o) => (o ? Object.entries(o).map(([k, v]) => `${k} ${v === "continued" ? "(fault continues)" : fMs(v)}`).join(", ") : "—");
      L.push(
        `| ${p.name} | ${faults} | ${p.requests} | ${fPct(p.servedPct, 2)} | ${modeSplit(p) || "—"} | ${fMsN(p.latencyMs.p50)} | ${fMsN(p.latencyMs.p95)} | ` +
          `${fMsN(p.latencyMs.p99)} | ${p.reachedFaulted ? `${p.reachedFaulted.mock}/${p.reachedFaulted.trace}` : "—"} | ` +
          `${p.vendorRequests.openai}/${p.vendorRequests.anthropic}/${p.vendorRequests.gemini} | ${per(p.detect)} | ${per(p.recover)} | ${fUsd(p.costUsd)} | ${p.silentTruncations} |`,
      );
    }
    L.push("");
    L.push("Degradation by task class (whole scenario; degraded includes stale):");
    L.push("");
    L.push("| class | requests | served % | degraded % | cache % | error % |");
    L.push("|---|---:|---:|---:|---:|---:|");
    for (const [c, v] of Object.entries(r.overall.byClass)) {
      L.push(`| ${c} | ${v.requests} | ${fPct(v.servedPct)} | ${fPct(v.degradedPct)} | ${fPct(v.cachePct)} | ${fPct(v.errorPct)} |`);
    }
    const o = r.overall;
    L.push("");
    const notes = [
      `streams: ${o.streams.total} (${o.streams.done} ended with [DONE], ${o.streams.errorEvent} with an explicit error event, ${o.streams.jsonError} answered with a JSON error before any byte, ${o.streams.aborted} cut under the client, **${o.silentTruncations} silent truncations**)`,
      o.invalidBodies ? `${o.invalidBodies} 200 answers whose JSON did not parse` : null,
      o.detourCost
        ? `cost Detour reported (x-detour-cost-usd, summed) vs the drill's estimate from usage, same answers: JSON ${fUsd(o.detourCost.json.reportedUsd)} vs ${fUsd(o.detourCost.json.estimatedUsd)} (${o.detourCost.json.answers}); ` +
          `streams ${fUsd(o.detourCost.stream.reportedUsd)} vs ${fUsd(o.detourCost.stream.estimatedUsd)} (${o.detourCost.stream.answers}; a stream's header is sent before its usage is known)`
        : null,
      o.hedged ? `${o.hedged} answers came from a hedged request (x-detour-hedged)` : null,
      ...r.phases.filter((p) => p.firstOtherSkip).map((p) => `phase ${p.name}: routing also left out ${Object.entries(p.firstOtherSkip).map(([id, v]) => `${id} from ${fMs(v.ms)} ("${v.reason}")`).join(", ")}`),
      `${o.modelMismatches} served answers named another model than the answering provider's configured one (Detour names \`provider/model\` from its config)`,
      o.dropped ? `${o.dropped} requests not sent (client cap of ${MAX_IN_FLIGHT} in flight)` : null,
      o.clientRetries ? `${o.clientRetries} kept-alive sockets closed under a request and retried once` : null,
      Object.keys(o.failures).length ? `failures: ${Object.entries(o.failures).map(([k, v]) => `${k} ×${v}`).join(", ")}` : null,
      ...r.phases.filter((p) => p.straddled).map((p) => `phase ${p.name}: ${p.straddled} request(s) still in flight when the faults changed at its end (counted here, left out of this phase's own thresholds)`),
      r.breakerTransitions.length
        ? `breakers (from /status every ${STATUS_POLL_MS} ms): ${r.breakerTransitions.map((t) => `${t.provider} ${t.from}→${t.to} ${fSec(t.t)}`).join(", ")}`
        : "breakers: no transitions seen",
    ].filter(Boolean);
    for (const n of notes) L.push(`- ${n}`);
    if (r.checks.length) {
      L.push("");
      L.push("Thresholds:");
      L.push("");
      for (const c of r.checks) L.push(`- ${c.ok ? "✓" : "✗ **MISSED**"} ${c.where}: ${c.what} ${c.limit} — ${fmtActual(c.actual)}`);
    }
  }
  L.push("");
  return L.join("\n");
}

const fmtActual = (x) => (x === null || x === undefined ? "none" : typeof x === "number" ? String(Math.round(x * 100) / 100) : String(x));

const COLORS = {
  primary: "#2e7d32",
  failover: "#1e88e5",
  cache: "#8e24aa",
  stale: "#8d6e63",
  degraded: "#f9a825",
  error: "#d32f2f",
  CLOSED: "#a5d6a7",
  HALF_OPEN: "#ffcc80",
  OPEN: "#e57373",
  FORCED_OPEN: "#b71c1c",
  DISABLED: "#9e9e9e",
};
const FAULT_COLOR = "#37474f";
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The timeline, hand-written SVG: per scenario a panel with time on x; stacked bands of the share of requests per
 * served mode (by send time, BUCKET_MS buckets); the p95 latency as a line on a log axis; phase boundaries, fault
 * windows shaded; detect/recover markers; a lane per provider with its breaker state from /status.
 */
function timelineSvg(results) {
  const W = 1100;
  const left = 64;
  const right = 64;
  const plotW = W - left - right;
  const chartH = 170;
  const laneH = 12;
  const ok = results.filter((r) => !r.error);
  const panelH = 50 + chartH + 24 + (PROVIDERS.length + 1) * (laneH + 3) + 14;
  const legendH = 46;
  const H = legendH + ok.length * panelH + 10;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  // Legend
  let lx = left;
  o.push(`<text x="${left}" y="18" font-size="14" font-weight="bold">Detour drills: served mode and p95 latency over time</text>`);
  for (const m of MODES) {
    o.push(`<rect x="${lx}" y="28" width="12" height="12" fill="${COLORS[m]}"/><text x="${lx + 16}" y="38">${m}</text>`);
    lx += 30 + m.length * 6.5;
  }
  o.push(`<line x1="${lx}" y1="34" x2="${lx + 22}" y2="34" stroke="#000" stroke-width="2"/><text x="${lx + 26}" y="38">p95 latency (log, right axis)</text>`);
  lx += 200;
  o.push(`<rect x="${lx}" y="28" width="14" height="12" fill="${FAULT_COLOR}"/><text x="${lx + 18}" y="38">fault active</text>`);
  lx += 100;
  o.push(`<text x="${lx}" y="38">breaker:</text>`);
  lx += 52;
  for (const st of ["CLOSED", "HALF_OPEN", "OPEN"]) {
    o.push(`<rect x="${lx}" y="28" width="12" height="12" fill="${COLORS[st]}"/><text x="${lx + 16}" y="38">${st.toLowerCase().replace("_", "-")}</text>`);
    lx += 30 + st.length * 6;
  }

  ok.forEach((r, idx) => {
    const y0 = legendH + idx * panelH;
    const top = y0 + 46;
    const T = Math.max(1000, r.durationMs);
    const x = (ms) => left + (Math.min(ms, T) / T) * plotW;
    o.push(`<g>`);
    o.push(
      `<text x="${left}" y="${y0 + 20}"><tspan font-size="13" font-weight="bold">${esc(r.name)}</tspan>` +
        `<tspan dx="10" fill="${r.passed ? "#555" : "#b71c1c"}">${esc(r.passed ? "pass" : "FAIL")} · served ${fPct(r.overall.servedPct, 2)} % · ${r.overall.requests} requests · ${r.rate} req/s</tspan></text>`,
    );
    // Stacked mode shares
    const nb = Math.ceil(T / BUCKET_MS);
    const buckets = Array.from({ length: nb }, () => ({ n: 0, modes: Object.fromEntries(MODES.map((m) => [m, 0])), lat: [] }));
    for (const q of r.requests) {
      const b = buckets[Math.min(nb - 1, Math.floor(q.t / BUCKET_MS))];
      b.n++;
      b.modes[q.mode in b.modes ? q.mode : "error"]++;
      if (typeof q.latencyMs === "number") b.lat.push(q.latencyMs);
    }
    buckets.forEach((b, bi) => {
      if (!b.n) return;
      const bx = x(bi * BUCKET_MS);
      const bw = Math.max(0.5, x(Math.min(T, (bi + 1) * BUCKET_MS)) - bx);
      let acc = 0;
      for (const m of MODES) {
        if (!b.modes[m]) continue;
        const h = (b.modes[m] / b.n) * chartH;
        o.push(`<rect x="${bx.toFixed(1)}" y="${(top + chartH - acc - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[m]}" fill-opacity="0.85"/>`);
        acc += h;
      }
    });
    // Axes
    o.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${chartH}" fill="none" stroke="#888"/>`);
    for (const v of [0, 50, 100]) {
      const yy = top + chartH - (v / 100) * chartH;
      o.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end" fill="#444">${v}%</text>`);
      if (v === 50) o.push(`<line x1="${left}" y1="${yy}" x2="${left + plotW}" y2="${yy}" stroke="#fff" stroke-opacity="0.5" stroke-dasharray="2,3"/>`);
    }
    // Latency: p95 per bucket, log scale 1 ms .. 30 s
    const lmin = 0;
    const lmax = Math.log10(30_000);
    const ly = (ms) => top + chartH - ((Math.log10(Math.max(1, ms)) - lmin) / (lmax - lmin)) * chartH;
    for (const v of [1, 10, 100, 1000, 10_000]) {
      const yy = ly(v);
      o.push(`<line x1="${left + plotW}" y1="${yy.toFixed(1)}" x2="${left + plotW + 4}" y2="${yy.toFixed(1)}" stroke="#444"/>`);
      o.push(`<text x="${left + plotW + 7}" y="${(yy + 4).toFixed(1)}" fill="#444">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
    }
    const pts = [];
    buckets.forEach((b, bi) => {
      if (!b.lat.length) return;
      const s = b.lat.sort((a, c) => a - c);
      pts.push(`${x((bi + 0.5) * BUCKET_MS).toFixed(1)},${ly(pct(s, 95)).toFixed(1)}`);
    });
    if (pts.length) o.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="#000" stroke-width="1.6" stroke-linejoin="round"/>`);
    // Phase boundaries and names
    for (const p of r.phases) {
      const px = x(p.startMs);
      o.push(`<line x1="${px.toFixed(1)}" y1="${top - 4}" x2="${px.toFixed(1)}" y2="${top + chartH}" stroke="#333" stroke-dasharray="4,3"/>`);
      o.push(`<text x="${(px + 3).toFixed(1)}" y="${top - 5}" fill="#333">${esc(p.name)}</text>`);
    }
    // Detect / recover markers (labels step down when they would collide)
    const placed = [];
    const labelY = (mx, base, dir) => {
      let yy = base;
      while (placed.some((q) => Math.abs(q.x - mx) < 80 && Math.abs(q.y - yy) < 10)) yy += 12 * dir;
      placed.push({ x: mx, y: yy });
      return yy;
    };
    for (const p of r.phases) {
      if (typeof p.timeToDetectMs === "number") {
        const mx = x(p.appliedAtMs + p.timeToDetectMs);
        o.push(`<path d="M${(mx - 5).toFixed(1)},${top - 2} L${(mx + 5).toFixed(1)},${top - 2} L${mx.toFixed(1)},${top + 7} Z" fill="#000"/>`);
        o.push(`<text x="${mx.toFixed(1)}" y="${labelY(mx, top + 18, 1)}" text-anchor="middle" font-size="10" fill="#000" stroke="#fff" stroke-width="3" paint-order="stroke">detect ${fMs(p.timeToDetectMs)}</text>`);
      }
      if (typeof p.timeToRecoverMs === "number" && p.clearedAtMs !== undefined) {
        const mx = x(p.clearedAtMs + p.timeToRecoverMs);
        o.push(`<path d="M${(mx - 5).toFixed(1)},${top + chartH + 2} L${(mx + 5).toFixed(1)},${top + chartH + 2} L${mx.toFixed(1)},${top + chartH - 7} Z" fill="#000"/>`);
        o.push(`<text x="${mx.toFixed(1)}" y="${labelY(mx, top + chartH - 10, -1)}" text-anchor="middle" font-size="10" fill="#000" stroke="#fff" stroke-width="3" paint-order="stroke">recover ${fMs(p.timeToRecoverMs)}</text>`);
      }
    }
    // Silent truncations, if any: red crosses on top
    for (const q of r.requests.filter((z) => z.status === 200 && z.streamEnd === "none")) {
      const mx = x(q.t);
      o.push(`<text x="${mx.toFixed(1)}" y="${top + 10}" text-anchor="middle" fill="#b71c1c" font-weight="bold">×</text>`);
    }
    // x axis
    const ay = top + chartH;
    const step = T > 40_000 ? 10_000 : T > 15_000 ? 5000 : 2000;
    for (let t = 0; t <= T; t += step) {
      o.push(`<line x1="${x(t).toFixed(1)}" y1="${ay}" x2="${x(t).toFixed(1)}" y2="${ay + 4}" stroke="#444"/>`);
      o.push(`<text x="${x(t).toFixed(1)}" y="${ay + 15}" text-anchor="middle" fill="#444">${t / 1000} s</text>`);
    }
    // Fault lane: when each phase's faults were active (set → cleared), with what they were.
    const lanesTop = ay + 24;
    o.push(`<text x="${left - 6}" y="${lanesTop + laneH - 2}" text-anchor="end" fill="#444">faults</text>`);
    o.push(`<rect x="${left}" y="${lanesTop}" width="${plotW}" height="${laneH}" fill="#f2f2f2"/>`);
    for (const p of r.phases) {
      if (!p.faults.length) continue;
      const x1 = x(p.appliedAtMs);
      const x2 = x(p.clearedAtMs ?? p.endMs);
      const label = p.faults.map((f) => describeFault(f, f.where)).join("; ");
      const fits = Math.floor((x2 - x1 - 6) / 5.6);
      o.push(`<rect x="${x1.toFixed(1)}" y="${lanesTop}" width="${Math.max(1, x2 - x1).toFixed(1)}" height="${laneH}" fill="${FAULT_COLOR}"><title>${esc(label)}</title></rect>`);
      if (fits > 3) o.push(`<text x="${(x1 + 3).toFixed(1)}" y="${lanesTop + laneH - 2.5}" font-size="9.5" fill="#fff">${esc(label.length > fits ? `${label.slice(0, fits - 1)}…` : label)}</text>`);
    }
    // Breaker lanes
    PROVIDERS.forEach((p, pi) => {
      const yy = lanesTop + (pi + 1) * (laneH + 3);
      o.push(`<text x="${left - 6}" y="${yy + laneH - 2}" text-anchor="end" fill="#444">${p.id}</text>`);
      o.push(`<rect x="${left}" y="${yy}" width="${plotW}" height="${laneH}" fill="#f2f2f2"/>`);
      const samples = r.breakerSamples;
      samples.forEach((s, si) => {
        const st = s.states[p.id];
        if (!st) return;
        const x1 = x(s.t);
        const x2 = x(samples[si + 1]?.t ?? r.durationMs);
        o.push(`<rect x="${x1.toFixed(1)}" y="${yy}" width="${Math.max(0.5, x2 - x1).toFixed(1)}" height="${laneH}" fill="${COLORS[st] ?? "#ccc"}"/>`);
      });
    });
    o.push(`</g>`);
  });
  o.push(`</svg>`);
  return o.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

const HELP = `usage: npm run drill [-- --quick] [--scenario <name>[,<name>…]] [--out <dir>] [--traces] [--list]`;

async function main() {
  const started = performance.now();
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  KEEP_TRACES = !!args.traces;
  const all = loadScenarios();
  if (args.list) {
    for (const s of all) {
      console.log(`${s.name}${s.quick ? " (quick)" : ""}: ${s.description ?? ""}`);
      for (const p of s.phases) console.log(`    ${p.name} ${p.durationMs} ms: ${(p.faults ?? []).map((f) => describeFault(f, f.where)).join("; ") || "no faults"}`);
    }
    return 0;
  }
  let scenarios = all;
  if (args.scenarios.length) {
    const unknown = args.scenarios.filter((n) => !all.some((s) => s.name === n));
    if (unknown.length) throw new UsageError(`no scenario named ${unknown.join(", ")} (have: ${all.map((s) => s.name).join(", ")})`);
    scenarios = all.filter((s) => args.scenarios.includes(s.name));
  }
  if (args.quick) scenarios = scenarios.filter((s) => s.quick);
  if (!scenarios.length) throw new UsageError("no scenario selected");

  // A drill always ends: the phases' total plus generous setup time, then the watchdog stops everything.
  const planned = scenarios.reduce((a, s) => a + s.phases.reduce((b, p) => b + p.durationMs, 0), 0);
  const hardLimit = 120_000 + planned + scenarios.length * (30_000 + CLIENT_TIMEOUT_MS);
  const shared = { cleanups: [] };
  const watchdog = setTimeout(async () => {
    log(`gave up: still running after ${Math.round(hardLimit / 1000)} s`);
    await cleanup(shared);
    process.exit(2);
  }, hardLimit);
  watchdog.unref();
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, async () => {
      await cleanup(shared);
      process.exit(130);
    });
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const outDir = path.resolve(ROOT, args.out ?? path.join("reports/drills", stamp));
  log(`${scenarios.length} scenario(s): ${scenarios.map((s) => s.name).join(", ")}; ~${Math.round(planned / 1000)} s of load; report → ${path.relative(ROOT, outDir) || outDir}`);

  try {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "detour-drill-"));
    shared.cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    log("bundling Detour (wrangler deploy --dry-run)…");
    shared.bundle = await bundleDetour(path.join(tmp, "dist"));
    shared.settings = await workerSettings({ log });
    log(
      `bundle ${(shared.bundle.raw / 1024).toFixed(0)} KiB; bindings from wrangler.toml: ` +
        (Object.entries(shared.settings.local).map(([k, v]) => `${k} ${Object.keys(v).join(",")}`).join("; ") || "none"),
    );

    const mockModule = process.env.DRILL_MOCK_MODULE ? path.resolve(process.env.DRILL_MOCK_MODULE) : path.join(ROOT, "scripts/mock-vendors.mjs");
    if (!existsSync(mockModule)) throw new Error(`no mock vendors at ${mockModule}`);
    const { startMockVendors } = await import(pathToFileURL(mockModule).href);
    const mock = await startMockVendors({ port: 0 });
    shared.cleanups.push(() => mock.close());
    shared.mockUrl = mock.url.replace(/\/$/, "");
    if (!new URL(shared.mockUrl).hostname.startsWith("127.")) throw new Error(`mock vendors must listen on loopback, not ${shared.mockUrl}`);
    log(`mock vendors on ${shared.mockUrl}`);

    const results = [];
    for (const s of scenarios) results.push(await runScenario(shared, s));

    const meta = {
      at: new Date().toISOString(),
      durationMs: performance.now() - started,
      quick: args.quick,
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim() ?? "?", node: process.version, platform: `${os.platform()} ${os.release()}` },
      miniflare: readPkgVersion("miniflare"),
      wrangler: readPkgVersion("wrangler"),
      host: HOST,
      bundle: { rawBytes: shared.bundle.raw, gzipBytes: shared.bundle.gzip },
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, "report.md"), markdown(results, meta));
    writeFileSync(
      path.join(outDir, "report.json"),
      JSON.stringify({ ...meta, passed: results.every((r) => r.passed), scenarios: results.map(({ requests, ...rest }) => rest) }, null, 2) + "\n",
    );
    writeFileSync(
      path.join(outDir, "requests.jsonl"),
      results.flatMap((r) => (r.requests ?? []).map((q) => JSON.stringify({ scenario: r.name, ...q }))).join("\n") + "\n",
    );
    writeFileSync(path.join(outDir, "timeline.svg"), timelineSvg(results));

    console.log(["", ...headlineRows(results), ""].join("\n"));
    let failed = false;
    for (const r of results) {
      if (r.error) {
        failed = true;
        console.log(`✗ ${r.name}: could not run: ${r.error}`);
        continue;
      }
      for (const c of r.checks.filter((x) => !x.ok)) {
        failed = true;
        console.log(`✗ ${r.name} (${c.where}): ${c.what} ${c.limit} — got ${fmtActual(c.actual)}`);
      }
    }
    console.log(`${failed ? "Thresholds missed" : "All thresholds met"}. Report: ${path.relative(process.cwd(), path.join(outDir, "report.md"))} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return failed ? 1 : 0;
  } finally {
    clearTimeout(watchdog);
    await cleanup(shared);
  }
}

async function cleanup(shared) {
  agent.destroy();
  while (shared.cleanups.length) {
    const fn = shared.cleanups.pop();
    try {
      await fn();
    } catch (err) {
      log("cleanup:", err?.message ?? err);
    }
  }
}

let code = 0;
try {
  code = await main();
} catch (err) {
  log("failed:", err instanceof UsageError ? err.message : (err?.stack ?? err));
  code = 2;
}
process.exit(code);
