// `npm run drill`: reads the command line, starts the mock vendors and runs the chosen scenarios, writes the reports.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { lifecycle } from "../lib/lifecycle.mjs";
import { HOST, prepareDetour, readPkgVersion, ROOT } from "../lib/worker.mjs";
import { HELP, parseArgs } from "./args.mjs";
import { closeClient } from "./client.mjs";
import { CLIENT_TIMEOUT_MS, log, UsageError } from "./common.mjs";
import { describeFault, missLines } from "./format.mjs";
import { busyNote, headlineRows, markdown } from "./report-md.mjs";
import { timelineSvg } from "./report-svg.mjs";
import { runScenario } from "./run.mjs";
import { loadScenarios, selectScenarios } from "./scenarios.mjs";

/**
 * The whole drill; resolves with the exit code: 0 all thresholds met, 1 one missed, 2 the drill could not run (a
 * UsageError is reported as its message alone).
 */
export async function main(argv) {
  try {
    return await drill(argv);
  } catch (err) {
    log("failed:", err instanceof UsageError ? err.message : (err?.stack ?? err));
    return 2;
  }
}

async function drill(argv) {
  const started = performance.now();
  const loadStart = os.loadavg()[0];
  const args = parseArgs(argv);
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const all = loadScenarios();
  if (args.list) return listScenarios(all);
  const scenarios = selectScenarios(all, { names: args.scenarios, quick: args.quick });

  // A drill always ends: the phases' total plus generous setup time, then the watchdog stops everything.
  const planned = scenarios.reduce((a, s) => a + s.phases.reduce((b, p) => b + p.durationMs, 0), 0);
  const life = lifecycle({ hardLimitMs: 120_000 + planned + scenarios.length * (30_000 + CLIENT_TIMEOUT_MS), log });
  life.cleanups.push(closeClient); // first in, so the client closes last
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const outDir = path.resolve(ROOT, args.out ?? path.join("reports/drills", stamp));
  log(`${scenarios.length} scenario(s): ${scenarios.map((s) => s.name).join(", ")}; ~${Math.round(planned / 1000)} s of load; report → ${shown(outDir, ROOT)}`);
  try {
    const shared = { cleanups: life.cleanups, ...(await setUp(life.cleanups)) };
    const results = [];
    for (const s of scenarios) results.push(await runScenario(shared, s, { keepTraces: !!args.traces }));
    const meta = reportMeta(started, args.quick, shared.bundle, loadStart);
    writeReports(outDir, results, meta);
    return printSummary(results, outDir, started, meta);
  } finally {
    await life.cleanup();
  }
}

function listScenarios(all) {
  for (const s of all) {
    console.log(`${s.name}${s.quick ? " (quick)" : ""}: ${s.description ?? ""}`);
    for (const p of s.phases) console.log(`    ${p.name} ${p.durationMs} ms: ${(p.faults ?? []).map((f) => describeFault(f, f.where)).join("; ") || "no faults"}`);
  }
  return 0;
}

/** Bundles Detour once for every scenario, reads wrangler.toml's settings, starts the mock vendors on loopback. */
async function setUp(cleanups) {
  const { bundle, settings } = await prepareDetour("detour-drill-", cleanups, log);
  const mockModule = process.env.DRILL_MOCK_MODULE ? path.resolve(process.env.DRILL_MOCK_MODULE) : path.join(ROOT, "scripts/mock-vendors.mjs");
  if (!existsSync(mockModule)) throw new Error(`no mock vendors at ${mockModule}`);
  const { startMockVendors } = await import(pathToFileURL(mockModule).href);
  const mock = await startMockVendors({ port: 0 });
  cleanups.push(() => mock.close());
  const mockUrl = mock.url.replace(/\/$/, "");
  if (!new URL(mockUrl).hostname.startsWith("127.")) throw new Error(`mock vendors must listen on loopback, not ${mockUrl}`);
  log(`mock vendors on ${mockUrl}`);
  return { bundle, settings, mockUrl };
}

function reportMeta(started, quick, bundle, loadStart) {
  return {
    at: new Date().toISOString(),
    durationMs: performance.now() - started,
    quick,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim() ?? "?", node: process.version, platform: `${os.platform()} ${os.release()}`, loadavg: { start: loadStart, end: os.loadavg()[0] } },
    miniflare: readPkgVersion("miniflare"),
    wrangler: readPkgVersion("wrangler"),
    host: HOST,
    bundle: { rawBytes: bundle.raw, gzipBytes: bundle.gzip },
  };
}

/** report.md, report.json (without the requests), requests.jsonl (one line per request) and timeline.svg. */
function writeReports(outDir, results, meta) {
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
}

/** The headline table and each miss on stdout; returns the exit code. */
function printSummary(results, outDir, started, meta) {
  console.log(["", ...headlineRows(results), ""].join("\n"));
  const misses = missLines(results);
  for (const m of misses) console.log(`✗ ${m}`);
  const busy = busyNote(meta);
  if (busy) console.log(busy.replaceAll("**", ""));
  const failed = misses.length > 0;
  console.log(`${failed ? "Thresholds missed" : "All thresholds met"}. Report: ${shown(path.join(outDir, "report.md"), process.cwd())} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return failed ? 1 : 0;
}

/** `p` relative to `base` when it lies inside it, else absolute (an `--out` in /tmp read "../../../tmp/…"). */
function shown(p, base) {
  const rel = path.relative(base, p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}
