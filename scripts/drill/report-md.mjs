// The Markdown report: a headline table of every scenario first, then per scenario its phases, classes and thresholds.
import { MAX_IN_FLIGHT, MODES, STATUS_POLL_MS } from "./common.mjs";
import { describeFault, fMs, fMsN, fmtActual, fPct, fSec, fUsd, missLines } from "./format.mjs";

const LEGEND =
  "Mode counts are requests; *served* is a 200 of any mode (primary, failover, cache, stale, degraded) whose body " +
  "parsed and whose stream ended with `[DONE]` — a stream ended by an explicit error event counts as an error, and a " +
  "stream that ended with neither is a **silent truncation**. *detect*: fault set → first request whose trace shows the " +
  "faulted provider skipped because its breaker is open (`breaker_open`, or the routing plan's `breaker OPEN`; the worst " +
  "fault phase; — when the breaker never opened). *recover*: fault cleared → first request served by it again (primary " +
  "mode for alpha); consecutive phases faulting the same provider count as one fault. *reached faulted*: vendor calls " +
  "the mock counted for the faulted providers during fault phases (a fault injected inside Detour answers before the " +
  "vendor, so these stay low) / requests whose trace shows a call to one. *touched sick*: % of a fault phase's requests " +
  "whose trace shows an actual attempt (not a skip) at the faulted provider (the worst fault phase). *back on primary*: " +
  "% of the requests sent in the last seconds of a recovery phase (the first phase without faults after a faulted " +
  "one) that the primary answered in primary mode, fresh cache hits left out (the worst recovery). *est. cost*: usage × the config's prices, " +
  "live answers only.";

/** The headline table, one row per scenario; also what the drill prints when it ends. */
export function headlineRows(results) {
  const rows = [
    "| scenario | result | requests | served % | primary | failover | cache | stale | degraded | error | p50 ms | p99 ms | detect | recover | touched sick % | back on primary % | reached faulted (mock/trace) | est. cost | silent trunc. |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    if (r.error) {
      rows.push(`| ${r.name} | **ERROR** | — | — | — | — | — | — | — | — | — | — | — | — | — | — | — | — | — |`);
      continue;
    }
    const o = r.overall;
    rows.push(
      `| ${r.name} | ${r.passed ? "pass" : "**FAIL**"} | ${o.requests} | ${fPct(o.servedPct, 2)} | ${MODES.map((m) => o.modes[m]).join(" | ")} | ` +
        `${fMsN(o.latencyMs.p50)} | ${fMsN(o.latencyMs.p99)} | ${fMs(o.timeToDetectMs)} | ${fMs(o.timeToRecoverMs)} | ` +
        `${fPct(o.touchedSickPct)} | ${fPct(o.recoveredSharePct)} | ` +
        `${o.reachedFaulted ? `${o.reachedFaulted.mock}/${o.reachedFaulted.trace}` : "—"} | ${fUsd(o.costUsd)} | ${o.silentTruncations} |`,
    );
  }
  return rows;
}

/** report.md: `results` are runScenario's, `meta` says when, where and how long. */
export function markdown(results, meta) {
  const L = [];
  L.push("# Detour drill report");
  L.push("");
  L.push(
    `${meta.at.slice(0, 19)}Z · ${meta.machine.cpus} CPU × ${meta.machine.cpu} · Node ${meta.machine.node} · miniflare ${meta.miniflare} · ` +
      `${results.length} scenario(s) in ${(meta.durationMs / 1000).toFixed(1)} s${meta.quick ? " (quick subset)" : ""} · ` +
      `**${results.every((r) => r.passed) ? "all thresholds met" : "THRESHOLDS MISSED"}**`,
  );
  const busy = busyNote(meta);
  if (busy) L.push("", busy);
  L.push("");
  L.push(...headlineRows(results));
  L.push("");
  L.push(LEGEND);
  const misses = missLines(results);
  if (misses.length) L.push("", "**Missed:**", "", ...misses.map((m) => `- ${m}`));
  L.push("");
  L.push("![timeline](timeline.svg)");
  for (const r of results) L.push(...scenarioSection(r));
  L.push("");
  return L.join("\n");
}

/**
 * A warning when the machine was busy beyond its cores while the drill ran (load average per CPU over 1.5 at the start
 * or the end): a drill's latencies and timeouts are then the machine's as much as Detour's.
 */
export function busyNote(meta) {
  const l = meta.machine?.loadavg;
  if (!l || !meta.machine.cpus) return undefined;
  const worst = Math.max(l.start ?? 0, l.end ?? 0);
  if (worst / meta.machine.cpus <= 1.5) return undefined;
  return `**Busy machine:** load average ${l.start?.toFixed(1)} at the start, ${l.end?.toFixed(1)} at the end, on ${meta.machine.cpus} CPUs: healthy calls queue for the CPU, so timeouts, slow calls and the breakers they trip say as much about this machine as about Detour. Re-run on a quiet machine before trusting a miss.`;
}

function scenarioSection(r) {
  const L = ["", `## ${r.name}${r.quick ? " (quick)" : ""}`, ""];
  if (r.description) L.push(`${r.description} (\`${r.file}\`, ${r.rate} req/s)`);
  if (r.error) return [...L, "", `**Could not run:** ${r.error}`];
  L.push("", ...phaseTable(r.phases));
  if (r.tenants) L.push("", "Per tenant:", "", ...tenantTable(r.tenants));
  L.push("", "Degradation by task class (whole scenario; degraded includes stale):", "", ...classTable(r.overall.byClass));
  L.push("");
  for (const n of notes(r)) L.push(`- ${n}`);
  if (r.checks.length) {
    L.push("", "Thresholds:", "");
    for (const c of r.checks) L.push(`- ${c.ok ? "✓" : "✗ **MISSED**"} ${c.where}: ${c.what} ${c.limit} — ${fmtActual(c.actual)}`);
  }
  return L;
}

function modeSplit(s) {
  return MODES.map((m) => (s.modes[m] ? `${m} ${fPct(s.modePct[m])}` : null))
    .filter(Boolean)
    .join(" · ");
}

function phaseTable(phases) {
  const L = [
    "| phase | faults | requests | served % | by mode | p50 | p95 | p99 | reached faulted (mock/trace) | touched sick % | vendor calls (openai/anthropic/gemini) | detect | recover | back on primary % | est. cost | silent trunc. |",
    "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const per = (o) => (o ? Object.entries(o).map(([k, v]) => `${k} ${v === "continued" ? "(fault continues)" : fMs(v)}`).join(", ") : "—");
  for (const p of phases) {
    const faults = p.faults.length ? p.faults.map((f) => describeFault(f, f.where)).join("; ") : "none";
    L.push(
      `| ${p.name} | ${faults} | ${p.requests} | ${fPct(p.servedPct, 2)} | ${modeSplit(p) || "—"} | ${fMsN(p.latencyMs.p50)} | ${fMsN(p.latencyMs.p95)} | ` +
        `${fMsN(p.latencyMs.p99)} | ${p.reachedFaulted ? `${p.reachedFaulted.mock}/${p.reachedFaulted.trace}` : "—"} | ${fPct(p.touchedSickPct)} | ` +
        `${p.vendorRequests.openai}/${p.vendorRequests.anthropic}/${p.vendorRequests.gemini} | ${per(p.detect)} | ${per(p.recover)} | ` +
        `${p.recoveryTail ? `${fPct(p.recoveredSharePct)} (last ${fMs(p.endMs - p.recoveryTail.fromMs)}, ${p.recoveryTail.requests} req.)` : "—"} | ${fUsd(p.costUsd)} | ${p.silentTruncations} |`,
    );
  }
  return L;
}

function tenantTable(tenants) {
  const L = ["| tenant | tier | sends | requests | served % | by mode | primary share % | p50 | failures |", "|---|---|---|---:|---:|---|---:|---:|---|"];
  for (const t of tenants) {
    const kinds = Object.entries(t.kinds).map(([k, n]) => `${k} ×${n}`).join(", ");
    const fails = Object.entries(t.failures).map(([k, n]) => `${k} ×${n}`).join(", ") || "none";
    L.push(`| ${t.name} | ${t.tier} | ${kinds || "—"} | ${t.requests} | ${fPct(t.servedPct, 2)} | ${modeSplit(t) || "—"} | ${fPct(t.primarySharePct)} | ${fMsN(t.latencyMs.p50)} | ${fails} |`);
  }
  return L;
}

function classTable(byClass) {
  const L = ["| class | requests | served % | degraded % | cache % | error % |", "|---|---:|---:|---:|---:|---:|"];
  for (const [c, v] of Object.entries(byClass)) {
    L.push(`| ${c} | ${v.requests} | ${fPct(v.servedPct)} | ${fPct(v.degradedPct)} | ${fPct(v.cachePct)} | ${fPct(v.errorPct)} |`);
  }
  return L;
}

/** The scenario's notes: how streams ended, cost as reported, hedging, other skips, drops, failures, breakers. */
function notes(r) {
  const o = r.overall;
  return [
    `streams: ${o.streams.total} (${o.streams.done} ended with [DONE], ${o.streams.errorEvent} with an explicit error event, ${o.streams.jsonError} answered with a JSON error before any byte, ${o.streams.aborted} cut under the client, **${o.silentTruncations} silent truncations**)`,
    o.invalidBodies ? `${o.invalidBodies} 200 answers whose JSON did not parse` : null,
    o.detourCost ? costNote(o.detourCost) : null,
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
}

function costNote(c) {
  return (
    `cost Detour reported (x-detour-cost-usd, summed) vs the drill's estimate from usage, same answers: JSON ${fUsd(c.json.reportedUsd)} vs ${fUsd(c.json.estimatedUsd)} (${c.json.answers}); ` +
    `streams ${fUsd(c.stream.reportedUsd)} vs ${fUsd(c.stream.estimatedUsd)} (${c.stream.answers}; a stream's header is sent before its usage is known)`
  );
}
