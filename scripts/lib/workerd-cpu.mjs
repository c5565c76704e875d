/**
 * CPU time per request of each worker's workerd process, read from /proc (Linux): what a request costs the runtime
 * that serves it, however loaded the machine is (a loaded machine stretches latency and throughput, not the CPU a
 * request takes). Developer tool for A/B comparisons of Detour builds, not part of `npm run bench`:
 *
 *   node scripts/lib/workerd-cpu.mjs [[name=]other-checkout …]   ROUNDS=5 N=2000 C=8
 *
 * Serves the floor (a bare pass-through Worker), a Worker that answers at once without calling the vendor (what
 * serving a request costs the runtime at all), this checkout's Detour and Detour from each other checkout given
 * (bundled there with `wrangler deploy --dry-run`), each on its own workerd with the bench's config, against one mock
 * vendor in this process; runs them in interleaved rounds and prints each one's median µs of workerd CPU per request
 * (user + system, the whole process: isolate, runtime, the in-process Durable Object) and its ratio to the floor's.
 */
import http from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { BENCH_KEY as KEY, CHAT_BODY as BODY, detourBindings, FLOOR_SCRIPT, vendorCompletion } from "./bench-fixture.mjs";
import { detourWorker, HOST, ROOT, startMiniflare, workerSettings } from "./worker.mjs";
import { median } from "./stats.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const N = Number(process.env.N ?? 2000);
const C = Number(process.env.C ?? 8);
const VENDOR = vendorCompletion();
const TICK_US = 1e6 / 100; // USER_HZ
/** Reads the caller's body and answers with a fixed JSON line: no vendor call, no logic. */
const ANSWER_AT_ONCE = `export default { async fetch(request) { await request.arrayBuffer(); return new Response('{"ok":true}', { headers: { "content-type": "application/json" } }); } };`;

/** Children of this process named workerd, by pid. */
function workerdPids() {
  const out = new Set();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(workerd)") && Number(fields[1]) === process.pid) out.add(Number(d));
    } catch {}
  }
  return out;
}
const cpuUs = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_US;
};

function bundle(checkout, outdir) {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], { cwd: checkout, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" }, stdio: "ignore" });
    child.on("exit", (code) => (code === 0 ? resolve(path.join(outdir, "index.js")) : reject(new Error(`wrangler failed in ${checkout}`))));
  });
}

const vendor = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(VENDOR));
});
await new Promise((r) => vendor.listen(0, HOST, r));
const base = `http://${HOST}:${vendor.address().port}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), "detour-cpu-"));
const targets = [];
try {
  const settings = await workerSettings();
  const start = async (name, opts) => {
    const before = workerdPids();
    const { mf, url } = await startMiniflare(opts);
    const pid = [...workerdPids()].find((p) => !before.has(p));
    targets.push({ name, mf, url, pid, agent: new http.Agent({ keepAlive: true, maxSockets: C }), us: [] });
  };
  await start("floor", { modules: true, script: FLOOR_SCRIPT, ...settings.compat, bindings: { UPSTREAM_URL: `${base}/v1/chat/completions`, MOCK_KEY: "sk-bench" } });
  await start("answer at once (no vendor call)", { modules: true, script: ANSWER_AT_ONCE, ...settings.compat });
  const bindings = detourBindings(`${base}/v1`);
  for (const [i, arg] of ["this checkout=" + ROOT, ...process.argv.slice(2)].entries()) {
    const [name, checkout] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, arg];
    const main = await bundle(checkout, path.join(tmp, `d${i}`));
    await start(`detour (${name})`, detourWorker({ bundle: { main }, settings }, bindings));
  }
  const drive = async (t, n) => {
    const url = !t.name.startsWith("detour") ? t.url : `${t.url}/v1/chat/completions`;
    const one = () =>
      new Promise((resolve, reject) => {
        const req = http.request(url, { method: "POST", agent: t.agent, headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` } }, (res) => {
          res.resume();
          res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`${t.name}: HTTP ${res.statusCode}`))));
        });
        req.on("error", reject);
        req.end(BODY);
      });
    let next = 0;
    await Promise.all(Array.from({ length: C }, async () => {
      while (next++ < n) await one();
    }));
  };
  for (const t of targets) await drive(t, Math.min(N, 1000));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...targets].reverse() : targets;
    for (const t of order) {
      const c0 = cpuUs(t.pid);
      await drive(t, N);
      // Background work (batched outcome reports) is due within a second; let it land in this round.
      await new Promise((res) => setTimeout(res, 1100));
      t.us.push((cpuUs(t.pid) - c0) / N);
    }
  }
  const floor = median(targets[0].us);
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}; ${ROUNDS} rounds × ${N} requests at ${C} connections`);
  for (const t of targets) console.log(`${t.name.padEnd(40)} ${median(t.us).toFixed(0).padStart(5)} µs workerd CPU per request (${(median(t.us) / floor).toFixed(2)}× the floor) rounds: ${t.us.map((x) => x.toFixed(0)).join(" ")}`);
} finally {
  for (const t of targets) await t.mf.dispose().catch(() => {});
  vendor.close();
  rmSync(tmp, { recursive: true, force: true });
}
