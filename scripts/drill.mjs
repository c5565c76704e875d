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
 *
 * The parts live in scripts/drill/, each saying what it does in its first line: cli.mjs and args.mjs (the command
 * line, setup, report files), scenarios.mjs (loading and checking scenario files), detour-config.mjs (the drill's
 * Detour), run.mjs (one scenario end to end), load.mjs (the open-loop load), requests.mjs (the seeded request mix),
 * client.mjs (HTTP, reading SSE), faults.mjs, record.mjs, analysis.mjs and thresholds.mjs (the numbers and their
 * checks), report-md.mjs, report-svg.mjs and format.mjs (the reports), common.mjs (shared names and limits).
 */
import { main } from "./drill/cli.mjs";

process.exit(await main(process.argv.slice(2)));
