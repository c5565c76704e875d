import { Miniflare } from "miniflare";
import { startMockOpenAI } from "./scripts/mock-openai.mjs";
import { execSync } from "node:child_process";
const mock = await startMockOpenAI({});
execSync("WRANGLER_SEND_METRICS=false npx wrangler deploy --dry-run --outdir /tmp/exp/dist", { stdio: "ignore" });
const cfg = { providers: [{ id: "mock", kind: "openai", baseUrl: mock.url + "/v1", apiKeySecret: "MOCK_KEY", models: [{ id: "m" }] }], routes: { auto: { targets: ["mock/m"] } }, allowAnonymous: true };
for (const withDo of [false, true]) {
const mf = new Miniflare({ host: "127.0.0.1", port: 0, modules: true, compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat"], scriptPath: "/tmp/exp/dist/index.js",
  ...(withDo ? { durableObjects: { PROVIDER_HEALTH: { className: "ProviderHealth", useSQLite: true } } } : {}), handleRuntimeStdio: (o, e) => { o.on("data", d => process.stdout.write("  log: " + String(d).slice(0, 300) + "\n")); e.resume(); },
  bindings: { DETOUR_CONFIG: JSON.stringify(cfg), MOCK_KEY: "k" } });
const u = await mf.ready;
for (let i = 0; i < 3; i++) { const r = await fetch(u + "v1/chat/completions", { method: "POST", headers: { "content-type": "application/json", "x-detour-trace": "1" }, body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "hi" }] }) }); const j = await r.json(); if (i === 2) console.log(withDo, JSON.stringify(j.detour), r.headers.get("server-timing")); }
await mf.dispose();
}
await mock.close();
