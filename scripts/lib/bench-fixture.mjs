/**
 * What every benchmark of the request path sends and expects (scripts/bench.mjs, scripts/lib/stage-bench.mjs and the
 * workerd CPU tools), so their figures describe the same request: one uncached chat request from a premium tenant
 * (premium tenants have no per-tenant limits by default, so the routing path is measured, not the TenantLimiter's
 * Durable Object call), one openai provider `mock/m`, and the vendor's fixed short answer.
 */

/** The vendor's fixed reply; every target must answer exactly this. */
export const MOCK_REPLY = "Hello from the mock vendor.";
/** The vendor key the provider config names (`apiKeySecret: "MOCK_KEY"`). */
export const MOCK_KEY = "sk-bench";
/** A premium gateway key. */
export const BENCH_KEY = "dtr_bench_premium_key_000001";

/** The caller's chat request. */
export const CHAT_BODY = JSON.stringify({
  model: "auto",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say hello in one short sentence." },
  ],
});

/** The vendor's chat.completion answering `reply`. */
export function vendorCompletion(reply = MOCK_REPLY) {
  return JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }],
    usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
  });
}

/** A bare pass-through Worker: the least a Worker in front of the vendor can do (the floor). */
export const FLOOR_SCRIPT = `
export default {
  async fetch(request, env) {
    const upstream = await fetch(env.UPSTREAM_URL, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + env.MOCK_KEY },
      body: await request.arrayBuffer(),
    });
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
  },
};
`;

/**
 * The least a *router* in front of the vendor can do, as a reference beside the floor (README "Benchmark"): check the
 * caller's key by one SHA-256 digest and a compare, parse the body and rewrite the model, bound the vendor call with a
 * timeout, re-serialise the JSON answer and log one JSON line. No failover, breakers, limits, cache, validation or
 * degradation. Its share of the floor's throughput is what any router with that contract can hope for on this machine.
 */
export const MINIMAL_ROUTER_SCRIPT = `
let expected;
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const sha = async (s) => hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
export default {
  async fetch(request, env) {
    expected ??= await sha(env.GATEWAY_KEY);
    const key = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    if ((await sha(key)) !== expected) return Response.json({ error: { message: "bad key", type: "invalid_request_error" } }, { status: 401 });
    const body = JSON.parse(await request.text());
    body.model = "m";
    const started = Date.now();
    const upstream = await fetch(env.UPSTREAM_URL, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + env.MOCK_KEY },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    });
    const log = { level: "info", msg: "request", method: "POST", path: new URL(request.url).pathname, stream: !!body.stream, status: upstream.status };
    if (body.stream) {
      console.log(JSON.stringify(log));
      return new Response(upstream.body, { status: upstream.status, headers: { "content-type": "text/event-stream" } });
    }
    const answer = JSON.parse(await upstream.text());
    answer.model = "m";
    console.log(JSON.stringify({ ...log, ms: Date.now() - started }));
    return new Response(JSON.stringify(answer), { status: upstream.status, headers: { "content-type": "application/json" } });
  },
};
`;

/** `DETOUR_API_KEYS`'s table: the premium bench key plus `count - 1` standard tenants' keys (authentication at scale). */
export function keyTable(count = 1) {
  const t = { [BENCH_KEY]: { tenant: "bench", tier: "premium" } };
  for (let i = 1; i < count; i++) t[`dtr_bench_other_key_${String(i).padStart(8, "0")}`] = { tenant: `t${i}`, tier: "standard" };
  return t;
}

/** Detour's bindings for one openai provider at `vendorBaseUrl` (…/v1) and the premium key. */
export function detourBindings(vendorBaseUrl) {
  const config = {
    providers: [{ id: "mock", kind: "openai", baseUrl: vendorBaseUrl, apiKeySecret: "MOCK_KEY", models: [{ id: "m" }] }],
    routes: { auto: { targets: ["mock/m"] } },
  };
  return { DETOUR_CONFIG: JSON.stringify(config), MOCK_KEY, DETOUR_API_KEYS: JSON.stringify(keyTable()) };
}
