#!/usr/bin/env node
/**
 * `npm run eval`: run a golden set through each target of a route, pinned one at a time (`provider/model`), and judge
 * every answer twice — against the case's acceptance checks (`expect`, `mustMatch`, `label`) and against the route
 * primary's answer with the same comparator shadow traffic uses (src/readiness/compare.ts). Prints a table per
 * target, writes reports/eval/eval-<route>.md and .json, and exits 1 when a fallback's equivalence is below
 * `--min-equivalence` (2 when it could not run).
 *
 *   npm run eval                                   the shipped sample set on route auto of the simulated default
 *   npm run eval -- --golden my.jsonl --route auto --min-equivalence 0.8
 *   npm run eval -- --url https://detour.example.com --key $DETOUR_KEY --route support
 *   npm run eval -- --fault ember:refusal          a drill fault on one provider (own Detour only), to see a target fail
 *   npm run eval -- --config my-config.json        own Detour with this DETOUR_CONFIG (secrets from the environment: --secret NAME)
 *
 * By default it starts its own Detour (the bundled worker on workerd, 127.0.0.1, as the drill runner does). Requests
 * carry `cache-control: no-store`, so neither the cache nor shadow traffic sees them.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadComparator } from "./lib/readiness.mjs";
import { prepareDetour, ROOT, startBundledDetour } from "./lib/worker.mjs";
import { accept, bodyFor, canonicalAnswer, canonicalFor, readGolden } from "./eval/cases.mjs";
import { markdown, summarizeTarget } from "./eval/report.mjs";

const log = (...a) => console.error("[eval]", ...a);
const USAGE = "usage: npm run eval -- [--golden file.jsonl] [--route auto] [--url URL --key KEY] [--min-equivalence 0..1] [--fault provider:kind] [--config file.json] [--secret NAME] [--out dir]";

function parseArgs(argv) {
  const a = { golden: "test/fixtures/golden/sample.jsonl", route: "auto", url: null, key: process.env.DETOUR_KEY ?? null, minEquivalence: null, faults: [], config: null, secrets: [], out: "reports/eval" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === "--golden") a.golden = val();
    else if (flag === "--route") a.route = val();
    else if (flag === "--url") a.url = val().replace(/\/$/, "");
    else if (flag === "--key") a.key = val();
    else if (flag === "--min-equivalence") {
      a.minEquivalence = Number(val());
      if (!(a.minEquivalence >= 0 && a.minEquivalence <= 1)) throw new Error("--min-equivalence must be a number in 0..1");
    } else if (flag === "--fault") a.faults.push(val());
    else if (flag === "--config") a.config = val();
    else if (flag === "--secret") a.secrets.push(val());
    else if (flag === "--out") a.out = val();
    else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  if (a.url && (a.faults.length || a.config)) throw new Error("--fault and --config start their own Detour; they cannot be used with --url");
  return a;
}

const ADMIN = `eval-admin-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}-token`;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cases = readGolden(path.resolve(ROOT, args.golden));
  const { compare, labelOf, classOf } = await loadComparator();
  const cleanups = [];
  let url = args.url;
  try {
    if (!url) {
      const prepared = await prepareDetour("detour-eval-", cleanups, log);
      const bindings = { DETOUR_ADMIN_TOKEN: ADMIN };
      if (args.config) bindings.DETOUR_CONFIG = readFileSync(path.resolve(args.config), "utf8");
      for (const s of args.secrets) if (process.env[s]) bindings[s] = process.env[s];
      const started = await startBundledDetour(prepared, bindings);
      cleanups.push(() => started.mf.dispose());
      url = started.url;
      for (const f of args.faults) await addFault(url, f);
    }
    const headers = { "content-type": "application/json", ...(args.key ? { authorization: `Bearer ${args.key}` } : {}) };
    const models = await getJson(`${url}/v1/models`, headers);
    const route = models.data.find((m) => m.id === args.route && m.detour?.kind === "route");
    if (!route) throw new Error(`no route '${args.route}' on ${url} (routes: ${models.data.filter((m) => m.detour?.kind === "route").map((m) => m.id).join(", ")})`);
    const targets = route.detour.targets;
    const primary = targets[0];
    log(`${cases.length} cases × ${targets.length} targets on route ${args.route}: ${targets.join(", ")}`);

    const results = [];
    for (const c of cases) {
      const request = canonicalFor(c);
      const answers = {};
      for (const target of targets) {
        const r = await ask(url, headers, c, target);
        answers[target] = r;
        const result = { case: c.id, target, status: r.status, ms: r.ms, costUsd: r.costUsd, failures: r.answer ? accept(c, r.answer, labelOf, request) : r.status === "unsupported" ? [] : [r.error], ...(r.status === "unsupported" ? { note: r.error } : {}) };
        results.push(result);
      }
      const p = answers[primary];
      for (const result of results.filter((x) => x.case === c.id && x.target !== primary && x.status !== "unsupported")) {
        const cand = answers[result.target];
        if (p.answer && cand.answer) result.comparison = compare(request, p.answer, cand.answer, { taskClass: c.task });
        result.class = classOf(request, c.task, [p.answer, cand.answer].filter(Boolean));
      }
    }

    const rows = targets.map((t) => summarizeTarget(t, results.filter((r) => r.target === t), primary));
    for (const row of rows) row.verdict = row.primary ? "primary" : args.minEquivalence === null ? "—" : (row.equivalence ?? 0) >= args.minEquivalence ? "ready" : "below bar";
    const run = { route: args.route, golden: args.golden, url: args.url ?? "own local Detour", cases: cases.length, faults: args.faults, minEquivalence: args.minEquivalence, generatedAt: new Date().toISOString(), targets: rows, results };
    const md = markdown(run);
    const out = path.resolve(ROOT, args.out);
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, `eval-${args.route}.md`), md);
    writeFileSync(path.join(out, `eval-${args.route}.json`), JSON.stringify(run, null, 2) + "\n");
    console.log(md.split("\n## ")[0]);
    log(`reports: ${path.relative(ROOT, path.join(out, `eval-${args.route}.md`))} and .json`);
    const below = rows.filter((r) => r.verdict === "below bar");
    if (below.length) {
      log(`below --min-equivalence ${args.minEquivalence}: ${below.map((r) => `${r.target} (${((r.equivalence ?? 0) * 100).toFixed(0)}%)`).join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    for (const f of cleanups.reverse()) await Promise.resolve(f()).catch(() => {});
  }
}

/** One case on one pinned target: the answer, or why there is none ("unsupported" when no model can take it). */
async function ask(url, headers, c, target) {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...headers, "cache-control": "no-store", ...(c.task ? { "x-detour-task": c.task } : {}) },
      body: JSON.stringify(bodyFor(c, target)),
      signal: AbortSignal.timeout(60_000),
    });
    const json = await res.json().catch(() => ({}));
    const ms = performance.now() - t0;
    if (res.status === 400 && json.error?.code === "no_capable_model") return { status: "unsupported", ms, error: json.error.message };
    if (!res.ok) return { status: "error", ms, error: `HTTP ${res.status}: ${json.error?.message ?? "no answer"}` };
    const mode = res.headers.get("x-detour-mode");
    if (mode && mode !== "primary") return { status: "error", ms, error: `answered by ${mode}, not the target` };
    return { status: "ok", ms, answer: canonicalAnswer(json), costUsd: Number(res.headers.get("x-detour-cost-usd") ?? 0) };
  } catch (err) {
    return { status: "error", ms: performance.now() - t0, error: String(err?.message ?? err) };
  }
}

async function getJson(u, headers) {
  const res = await fetch(u, { headers });
  if (!res.ok) throw new Error(`${u}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** `provider:kind` → a drill fault on that provider for the run (own Detour only). */
async function addFault(url, spec) {
  const [provider, kind = "status"] = spec.split(":");
  const res = await fetch(`${url}/admin/faults`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ provider, kind, ...(kind === "status" ? { status: 503 } : {}), ttlSeconds: 3600, note: "npm run eval --fault" }),
  });
  if (!res.ok) throw new Error(`--fault ${spec}: HTTP ${res.status} ${await res.text()}`);
  log(`fault: ${kind} on ${provider}`);
}

main().catch((err) => {
  console.error(`[eval] ${err?.message ?? err}`);
  process.exit(2);
});
