/**
 * CPU µs per request by pipeline stage, for `npm run bench`. workerd freezes its clocks while code runs (a Spectre
 * mitigation), so stages cannot be timed inside it; this runs the same source in Node's V8 instead: src/ bundled by
 * the scripts' one loader (scripts/lib/bundle-src.mjs, which stands in a minimal DurableObject base class for
 * `cloudflare:workers`), Detour's real Durable Object classes behind in-memory namespaces, an in-memory KV, and the
 * vendor answering in-process from a canned OpenAI response. Requests run one at a time, so the time between two stage marks (src/observability/stage-timer.ts) is the
 * CPU that stage spent (in-memory I/O resolves as microtasks).
 *
 * Stages: `setup` = Hono routing, the middleware (request id, config, auth) and the request state; `parse` …
 * `respond` = the pipeline stages of src/routes/chat.ts; `after` = reading the response body and the background work
 * (`ctx.waitUntil`: outcome reports, the log line, cache writes). Also `auth` for 10 and 10,000 configured keys.
 *
 * Background work that waits on a timer: healthy outcomes are batched and sent when `resilience.reportFlushMs` (1 s)
 * has passed, by the request that opened the batch, whose `waitUntil` promise stays open that long. Awaiting every
 * `waitUntil` promise would make one request in each batch wait a real second (with requests one at a time, every
 * request). So `after` ends when the event loop has run everything that does not wait on a timer (one
 * `setImmediate` turn after the body is read; in-memory I/O settles as microtasks before it). The timers stay the
 * production clock's real ones: when a flush falls due it runs inside that turn and its CPU is counted in the
 * `after` of the request during which it fires — about one request per second, as in an isolate, so the p50 does not
 * show it and the mean does. At the end the bench awaits every `waitUntil` promise, so none is left hanging.
 */
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { BENCH_KEY, CHAT_BODY, keyTable, MOCK_REPLY, vendorCompletion } from "./bench-fixture.mjs";
import { loadEntry } from "./bundle-src.mjs";
import { summary } from "./stats.mjs";

const STAGES = ["setup", "parse", "resolve", "classify", "chaos", "cache", "route", "limits", "execute", "respond", "after"];

/** src/ bundled for Node (scripts/lib/bundle-src.mjs) with the stage-timer hook exported. */
function loadApp() {
  return loadEntry(
    [
      `export { createApp, ProviderHealth, ChaosControl, TenantLimiter } from "./src/index.ts";`,
      `export { setStageTimer } from "./src/observability/stage-timer.ts";`,
      `export { jsonLogger } from "./src/observability/log.ts";`,
    ].join("\n"),
  );
}

/** A Durable Object namespace over real classes, one instance per name, storage in memory. */
function memoryNamespace(Class, env) {
  const objects = new Map();
  const state = () => {
    const data = new Map();
    return {
      storage: {
        get: async (k) => structuredClone(data.get(k)),
        // put(key, value) or put({ key: value, … }), as the platform's storage takes both.
        put: async (k, v) => {
          if (typeof k === "string") data.set(k, structuredClone(v));
          else for (const [key, value] of Object.entries(k)) data.set(key, structuredClone(value));
        },
        delete: async (k) => (Array.isArray(k) ? k.filter((x) => data.delete(x)).length : data.delete(k)),
        list: async ({ prefix = "" } = {}) => new Map([...data].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k, structuredClone(v)])),
        getAlarm: async () => null,
        setAlarm: async () => {},
        deleteAlarm: async () => {},
      },
      blockConcurrencyWhile: async (fn) => fn(),
      waitUntil: () => {},
    };
  };
  return {
    idFromName: (name) => name,
    get(id) {
      let o = objects.get(id);
      if (!o) objects.set(id, (o = new Class(state(), env)));
      return o;
    },
  };
}

function memoryKv() {
  const data = new Map();
  return {
    async get(key, type) {
      const v = data.get(key);
      if (v === undefined) return null;
      return type === "json" || type?.type === "json" ? JSON.parse(v.value) : v.value;
    },
    async getWithMetadata(key, type) {
      const v = data.get(key);
      if (v === undefined) return { value: null, metadata: null };
      return { value: type === "json" || type?.type === "json" ? JSON.parse(v.value) : v.value, metadata: v.metadata ?? null };
    },
    async put(key, value, opts) {
      data.set(key, { value, metadata: opts?.metadata });
    },
    async delete(key) {
      data.delete(key);
    },
    async list({ prefix = "" } = {}) {
      return { keys: [...data.keys()].filter((k) => k.startsWith(prefix)).map((name) => ({ name })), list_complete: true };
    },
  };
}

/**
 * Time `requests` sequential uncached JSON requests (closed breaker, premium key, one openai provider). `keys`: how
 * many gateway keys to configure. Returns per-stage summaries in µs and the total.
 */
export async function benchStages({ requests = 2000, warmup = 500, body, reply, keys = 10 } = {}) {
  const mod = await loadApp();
  const vendorBody = vendorCompletion(reply);
  const vendorFetch = async () => new Response(vendorBody, { status: 200, headers: { "content-type": "application/json" } });
  const app = mod.createApp({ fetch: vendorFetch, log: mod.jsonLogger(() => {}) });

  const env = {
    DETOUR_CONFIG: JSON.stringify({
      providers: [{ id: "mock", kind: "openai", baseUrl: "https://mock.test/v1", apiKeySecret: "MOCK_KEY", models: [{ id: "m" }] }],
      routes: { auto: { targets: ["mock/m"] } },
    }),
    DETOUR_API_KEYS: JSON.stringify(keyTable(keys)),
    MOCK_KEY: "sk-bench",
    DETOUR_KV: memoryKv(),
  };
  env.PROVIDER_HEALTH = memoryNamespace(mod.ProviderHealth, env);
  env.CHAOS = memoryNamespace(mod.ChaosControl, env);
  env.TENANT_LIMITER = memoryNamespace(mod.TenantLimiter, env);

  // workerd digests in the calling thread; Node's WebCrypto hops to its thread pool and back, which would charge the
  // event loop's wake-up latency to whichever stage digests (auth). Digest in-thread here, as workerd does.
  const subtle = globalThis.crypto.subtle;
  const realDigest = subtle.digest;
  const inThread = async (alg, data) => {
    if (alg !== "SHA-256" && alg?.name !== "SHA-256") return realDigest.call(subtle, alg, data);
    const b = createHash("sha256").update(ArrayBuffer.isView(data) ? data : new Uint8Array(data)).digest();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  Object.defineProperty(subtle, "digest", { value: inThread, configurable: true, writable: true });

  const samples = Object.fromEntries(STAGES.map((s) => [s, []]));
  const totals = [];
  const background = [];
  let last = 0;
  let current = null;
  mod.setStageTimer((stage) => {
    const now = performance.now();
    if (current) current[stage] = (current[stage] ?? 0) + (now - last);
    last = now;
  });
  const one = async (record) => {
    const pending = [];
    const ctx = { waitUntil: (p) => pending.push(p), passThroughOnException: () => {} };
    current = record ? {} : null;
    const t0 = performance.now();
    last = t0;
    const req = new Request("https://detour.test/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_KEY}` },
      body,
    });
    const res = await app.fetch(req, env, ctx);
    const tRes = performance.now();
    const text = await res.text();
    await new Promise((r) => setImmediate(r));
    const t1 = performance.now();
    background.push(...pending);
    if (res.status !== 200 || !text.includes(reply)) throw new Error(`stage bench: HTTP ${res.status}: ${text.slice(0, 300)}`);
    if (record) {
      current.after = t1 - tRes;
      for (const s of STAGES) samples[s].push((current[s] ?? 0) * 1000);
      totals.push((t1 - t0) * 1000);
    }
  };
  try {
    for (let i = 0; i < warmup; i++) await one(false);
    for (let i = 0; i < requests; i++) await one(true);
    // Every background promise settles (the last batches within one flush interval); a leak would hang here.
    await Promise.all(background);
  } finally {
    mod.setStageTimer(undefined);
    delete subtle.digest;
  }
  const stages = Object.fromEntries(STAGES.map((s) => [s, summary(samples[s])]));
  return { stages, total: summary(totals), requests, keys };
}

/** The `setup` stage (where auth runs) and the total, with 10 and with 10,000 gateway keys configured. */
export async function benchAuthScaling(opts) {
  const small = await benchStages({ ...opts, keys: 10 });
  const large = await benchStages({ ...opts, keys: 10_000 });
  return { small, large };
}

export { STAGES };

// `node scripts/lib/stage-bench.mjs`: print the table alone (for profiling with --cpu-prof).
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = await benchStages({ body: CHAT_BODY, reply: MOCK_REPLY, requests: Number(process.env.N ?? 3000), keys: Number(process.env.KEYS ?? 10) });
  for (const s of STAGES) console.log(s.padEnd(9), r.stages[s].p50.toFixed(1).padStart(8), "µs p50", r.stages[s].mean.toFixed(1).padStart(8), "µs mean");
  console.log("total".padEnd(9), r.total.p50.toFixed(1).padStart(8), "µs p50");
}
