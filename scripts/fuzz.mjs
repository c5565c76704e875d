#!/usr/bin/env node
/**
 * `npm run fuzz [-- --count 10000] [--seed 1] [--concurrency 16]`: hostile callers against a local Detour. Bundles the
 * real worker (as the drill runner does, scripts/lib/worker.mjs), serves it on 127.0.0.1 with the mock vendors
 * (scripts/mock-vendors.mjs) behind it, and sends `count` seeded hostile requests: broken and deep bodies, oversized
 * bodies, wrong types, odd encodings, hostile headers and keys, unknown routes and methods, admin guesses. It fails
 * (exit 1) unless: no response is ≥ 500, every 4xx is OpenAI's error shape, no body or header carries a secret or
 * config text (vendor keys, gateway keys, the admin token, the vendors' URLs), and Detour still answers at the end.
 * Loopback only; bounded by a watchdog.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { mulberry32 } from "./drill/requests.mjs";
import { lifecycle } from "./lib/lifecycle.mjs";
import { prepareDetour, startBundledDetour } from "./lib/worker.mjs";
import { startMockVendors } from "./mock-vendors.mjs";

const log = (...a) => console.log("[fuzz]", ...a);
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const COUNT = Number(args.count ?? 10_000);
const SEED = Number(args.seed ?? 1);
const CONCURRENCY = Number(args.concurrency ?? 16);

const hex = (n) => randomBytes(n).toString("hex");
const SECRETS = { ALPHA_KEY: `sk-fuzz-alpha-${hex(12)}`, BETA_KEY: `sk-ant-fuzz-beta-${hex(12)}`, GAMMA_KEY: `AIzaFuzzGamma${hex(12)}` };
const ADMIN = `fuzz-admin-${hex(16)}`;
const KEYS = { premium: `dtr_fuzz_premium_${hex(8)}`, free: `dtr_fuzz_free_${hex(8)}` };

function detourConfig(mock) {
  const price = { input: 0.15, output: 0.6 };
  return {
    providers: [
      { id: "alpha", kind: "openai", baseUrl: mock.baseUrls.openai, apiKeySecret: "ALPHA_KEY", headers: { "x-fuzz-org": `org-${hex(6)}` }, models: [{ id: "gpt-4o-mini", contextWindow: 128000, tools: true, json: true, price }] },
      { id: "beta", kind: "anthropic", baseUrl: mock.baseUrls.anthropic, apiKeySecret: "BETA_KEY", models: [{ id: "claude-3-5-haiku-latest", contextWindow: 200000, tools: true, price }] },
      { id: "gamma", kind: "gemini", baseUrl: mock.baseUrls.gemini, apiKeySecret: "GAMMA_KEY", models: [{ id: "gemini-2.0-flash", contextWindow: 1000000, tools: true, json: true, price }] },
    ],
    routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest", "gamma/gemini-2.0-flash"] } },
  };
}

// ── hostile requests ────────────────────────────────────────────────────────────────────────────────────────────

const msg = (content) => [{ role: "user", content }];
const nest = (depth, open, close, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);
function deepSchema(levels) {
  let s = '{"type":"string"}';
  for (let i = 0; i < levels; i++) s = `{"type":"object","properties":{"a":${s}}}`;
  return s;
}
const WEIRD_STRINGS = ["", " ", "\u0000", "\ud800", "\u202e\u0645\u0631\u062d\u0628\u0627", "🦜".repeat(100), "a".repeat(70_000), "../../etc/passwd", "${jndi:ldap://x}", "<script>", "%00%0d%0a", "\\u0000"];
const WEIRD_VALUES = [null, true, false, 0, -1, 1e308, -1e308, 1.5, 2 ** 53 + 1, "", "x", [], {}, [[]], { a: { b: {} } }, "NaN", "Infinity"];
const FIELDS = ["model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop", "stream", "stream_options", "tools", "tool_choice", "response_format", "seed", "user", "logprobs", "presence_penalty", "frequency_penalty", "parallel_tool_calls", "metadata", "__proto__", "constructor"];

/** One hostile request: { method, path, headers, body (string | Buffer | undefined) }. */
function makeRequest(r, i) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const auth = { authorization: `Bearer ${r() < 0.8 ? KEYS.premium : KEYS.free}` };
  const chat = (body, headers = {}) => ({ method: "POST", path: "/v1/chat/completions", headers: { ...auth, "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const valid = () => ({ model: "auto", messages: msg(`fuzz ${i}`), max_tokens: 16 });
  const kinds = [
    // Bodies that are not JSON, or not text.
    () => chat(randomBytes(1 + Math.floor(r() * 2000))),
    () => chat(JSON.stringify(valid()).slice(0, Math.floor(r() * 40))),
    () => chat(Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x7d])),
    () => chat(""),
    () => chat("null"),
    () => chat(pick(["[]", "1", '"x"', "true", "{}", "{{}", '{"a":}', "\ufeff{}"])),
    // Depth: the whole body, messages, tool parameters, schemas.
    () => chat(nest(Math.floor(10 + r() * 100_000), "[", "]")),
    () => chat(`{"model":"auto","messages":${nest(Math.floor(50 + r() * 20_000), "[", "]", "{}")}}`),
    () => chat(`{"model":"auto","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deepSchema(Math.floor(60 + r() * 3000))}}}]}`),
    () => chat(`{"model":"auto","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"d","schema":${deepSchema(Math.floor(60 + r() * 3000))}}}}`),
    () => chat(`{"model":"auto","messages":[{"role":"user","content":${nest(Math.floor(60 + r() * 5000), '{"a":', "}")}}]}`),
    // Sizes.
    () => (r() < 0.05 ? chat({ ...valid(), messages: msg("x".repeat(1_100_000)) }) : chat({ ...valid(), messages: Array.from({ length: 1001 + Math.floor(r() * 50) }, () => ({ role: "user", content: "x" })) })),
    () => chat({ ...valid(), max_tokens: pick([0, -5, 1e12, 2 ** 31, 1.5, "10"]) }),
    () => chat({ ...valid(), stop: Array.from({ length: Math.floor(r() * 50) }, () => "s".repeat(Math.floor(r() * 500))) }),
    // Wrong types and values, in every field.
    () => chat({ ...valid(), [pick(FIELDS)]: pick(WEIRD_VALUES) }),
    () => chat({ ...valid(), [pick(FIELDS)]: pick(WEIRD_STRINGS) }),
    () => chat({ model: pick(WEIRD_STRINGS.concat(["alpha/nope", "nope/gpt-4o-mini", "alpha/", "/x", "alpha/gpt-4o-mini/../x", "gamma/gemini-2.0-flash"])), messages: msg("x") }),
    () => chat({ ...valid(), messages: [{ role: pick(["user", "system", "assistant", "tool", "developer", "wizard", "", null]), content: pick(WEIRD_VALUES.concat(WEIRD_STRINGS)) }] }),
    () => chat({ ...valid(), messages: [{ role: "user", content: [{ type: pick(["text", "image_url", "input_audio", "file", "x"]), text: pick(WEIRD_STRINGS), image_url: pick(WEIRD_VALUES) }] }] }),
    () => chat({ ...valid(), tools: [{ type: "function", function: { name: pick(WEIRD_STRINGS), parameters: pick(WEIRD_VALUES) } }], tool_choice: pick(["auto", "none", "required", { type: "function", function: { name: "nope" } }, 5]) }),
    () => chat({ ...valid(), response_format: pick([{ type: "json_object" }, { type: "json_schema" }, { type: "json_schema", json_schema: { name: "x", schema: pick(WEIRD_VALUES) } }, { type: "xml" }, "json"]) }),
    () => chat({ ...valid(), stream: true, stream_options: pick([{ include_usage: true }, { include_usage: "yes" }, null, 7]) }),
    // Keys that poke at objects.
    () => chat(`{"__proto__":{"admin":true},"model":"auto","messages":[{"role":"user","content":"x","__proto__":{"role":"system"}}]}`),
    () => chat(`{"model":"auto","model":"alpha/gpt-4o-mini","messages":[{"role":"user","content":"x"}],"constructor":{"prototype":{"x":1}}}`),
    // Encodings.
    () => chat(JSON.stringify(valid()), { "content-encoding": pick(["gzip", "br", "deflate", "identity", "x-nope"]) }),
    () => chat(JSON.stringify(valid()), { "content-type": pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", ""]) }),
    () => chat(Buffer.from(JSON.stringify(valid()), "utf16le")),
    // Hostile headers.
    () => chat(valid(), { "x-detour-deadline-ms": pick(["-1", "0", "1e309", "abc", "99999999999", "1.5", " 5", "1000"]) }),
    () => chat(valid(), { "x-detour-intent": pick(["x".repeat(5000), "\u00e9\u00e8", "a b c", "", "faq:refunds"]) }),
    () => chat(valid(), { "x-detour-task": pick(["classification", "nope", "x".repeat(1000), "\u00ff"]) }),
    () => chat(valid(), { "x-detour-chaos": pick(['{"provider":"alpha","kind":"hang"}', "{", "x"]), ...(r() < 0.5 ? { "x-detour-admin-token": `guess-${i}` } : {}) }),
    () => chat(valid(), { "x-detour-trace": "1", "cache-control": pick(["no-cache", "no-store", "max-age=-1", "\u00ff", "x".repeat(3000)]) }),
    () => chat(valid(), { "x-request-id": pick(["x".repeat(500), "a\u00ffb", "../", "ok-id-1"]) }),
    // Keys and auth.
    () => ({ ...chat(valid()), headers: { "content-type": "application/json", authorization: pick(["", "Bearer", "Bearer ", `Bearer ${KEYS.premium}x`, `Basic ${KEYS.premium}`, `Bearer ${"k".repeat(10_000)}`, `bearer ${KEYS.premium.toUpperCase()}`, `Bearer \u00ff\u00fe`]) } }),
    () => ({ ...chat(valid()), headers: { "content-type": "application/json", "x-api-key": pick([KEYS.premium.slice(0, -1), "", "x".repeat(300)]) } }),
    // Routes, methods, the operator surface.
    () => ({ method: pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]), path: "/v1/chat/completions", headers: auth }),
    () => ({ method: "GET", path: pick(["/v1/models", "/v1/models/auto", "/v1/models/%00", "/v1/../status", "/nope", "/v1/chat/completions/x", "/admin", "/%2e%2e/", "/v1/models?x=" + "y".repeat(5000)]), headers: auth }),
    () => ({ method: pick(["GET", "DELETE", "POST"]), path: pick(["/status", "/metrics", "/admin/faults", "/admin/cache?tenant=x", "/admin/templates/auto/chat", "/admin/breakers/alpha"]), headers: { authorization: `Bearer ${pick([`guess-${i}`, KEYS.premium, ""])}`, "cf-connecting-ip": `10.0.${i % 250}.${(i >> 8) % 250}` }, body: r() < 0.5 ? "{}" : undefined }),
    // A valid request now and then, so the live path is under fire too.
    () => chat(valid()),
    () => chat({ ...valid(), stream: true }),
  ];
  return pick(kinds)();
}

// ── checks ──────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * One request. A keep-alive socket the server closed while this request was being written (ECONNRESET, EPIPE) is the
 * HTTP client's race, not an answer: the request is sent once more on a fresh connection, and only a second reset
 * counts as "no response".
 */
async function send(base, req) {
  const first = await sendOnce(base, req, agent);
  if (first.status !== 0 || !/ECONNRESET|EPIPE|socket hang up/.test(first.error)) return first;
  return sendOnce(base, req, false);
}

function sendOnce(base, req, agent) {
  return new Promise((resolve) => {
    const u = new URL(base + req.path);
    const headers = { ...req.headers };
    if (req.body !== undefined) headers["content-length"] = Buffer.byteLength(req.body);
    const r = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers, agent, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (e) => resolve({ status: 0, error: String(e), headers: {}, body: "" }));
    });
    r.on("timeout", () => r.destroy(new Error("timed out after 30 s")));
    r.on("error", (e) => resolve({ status: 0, error: String(e?.message ?? e), headers: {}, body: "" }));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function problemsOf(res, req, forbidden) {
  const p = [];
  if (res.status === 0) return [`no response (${res.error})`];
  if (res.status >= 500) p.push(`status ${res.status}`);
  if (res.status >= 400 && res.status < 500 && req.method !== "HEAD") {
    let e;
    try {
      e = JSON.parse(res.body)?.error;
    } catch {
      /* not JSON */
    }
    if (!e || typeof e.message !== "string" || typeof e.type !== "string" || !("code" in e) || !("param" in e)) p.push(`${res.status} not in OpenAI's error shape: ${res.body.slice(0, 120)}`);
  }
  const seen = res.body + "\n" + JSON.stringify(res.headers);
  for (const [name, s] of forbidden) if (seen.includes(s)) p.push(`leaks ${name}`);
  return p;
}

// ── main ────────────────────────────────────────────────────────────────────────────────────────────────────────

const life = lifecycle({ hardLimitMs: 180_000 + COUNT * 60, log });
await life.runMain(async () => {
  const mock = await startMockVendors({ port: 0 });
  life.cleanups.push(() => mock.close());
  const { bundle, settings } = await prepareDetour("detour-fuzz-", life.cleanups, log);
  const config = detourConfig(mock);
  const { mf, url } = await startBundledDetour({ bundle, settings }, {
    DETOUR_CONFIG: JSON.stringify(config),
    DETOUR_ADMIN_TOKEN: ADMIN,
    DETOUR_API_KEYS: JSON.stringify({ [KEYS.premium]: { tenant: "fuzz", tier: "premium" }, [KEYS.free]: { tenant: "fuzz-free", tier: "free" } }),
    ...SECRETS,
  });
  life.cleanups.push(() => mf.dispose());
  if (!/^http:\/\/127\.0\.0\.1:/.test(url) || !/^http:\/\/127\.0\.0\.1:/.test(mock.url)) throw new Error(`not loopback: ${url} ${mock.url}`);
  const forbidden = [
    ...Object.entries(SECRETS).map(([k, v]) => [`vendor key ${k}`, v]),
    ["the admin token", ADMIN],
    ["a gateway key", KEYS.free],
    ["the vendors' URL", mock.url.replace(/^http:\/\//, "")],
    ["a provider header value", config.providers[0].headers["x-fuzz-org"]],
    ["a secret's name", "ALPHA_KEY"],
  ];
  log(`Detour at ${url}, mock vendors at ${mock.url}; ${COUNT} hostile requests, seed ${SEED}, ${CONCURRENCY} at a time`);
  const r = mulberry32(SEED); // the same seed gives the same requests
  const statuses = new Map();
  const failures = [];
  let next = 0;
  const t0 = Date.now();
  async function worker() {
    while (next < COUNT) {
      const i = next++;
      const req = makeRequest(r, i);
      const res = await send(url, req);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      // The premium key is the request's own: it may not echo it, but it is sent in most requests' headers.
      const problems = problemsOf(res, req, forbidden.concat(req.headers?.authorization?.includes(KEYS.premium) ? [] : [["a gateway key", KEYS.premium]]));
      if (problems.length) failures.push({ i, method: req.method, path: req.path, status: res.status, problems, headers: JSON.stringify(req.headers).slice(0, 200), body: String(req.body ?? "").slice(0, 160) });
      if (i > 0 && i % 2000 === 0) log(`${i} sent, ${failures.length} failing so far`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (Date.now() - t0) / 1000;
  const health = await send(url, { method: "GET", path: "/healthz", headers: {} });
  const alive = await send(url, { method: "POST", path: "/v1/chat/completions", headers: { authorization: `Bearer ${KEYS.premium}`, "content-type": "application/json" }, body: JSON.stringify({ model: "auto", messages: msg("still there?") }) });
  const summary = [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(" ");
  log(`${COUNT} requests in ${secs.toFixed(1)} s: ${summary}`);
  log(`after the fuzz: /healthz ${health.status}, a valid chat ${alive.status}`);
  const ge500 = [...statuses.entries()].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  log(`responses ≥ 500: ${ge500}; responses with a problem: ${failures.length}`);
  for (const f of failures.slice(0, 20)) log(`  #${f.i} ${f.method} ${f.path} → ${f.status}: ${f.problems.join("; ")} (headers: ${f.headers}; body: ${JSON.stringify(f.body)})`);
  if (failures.length || health.status !== 200 || alive.status !== 200) throw new Error("fuzz failed");
  log("ok: 0 responses ≥ 500, every 4xx in OpenAI's error shape, nothing secret in any answer, Detour alive");
});
