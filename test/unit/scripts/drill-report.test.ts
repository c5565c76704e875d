/**
 * The drill's reports from an analysed synthetic scenario: the headline row, the misses listed where a reader looks
 * first, a scenario that could not run, and a timeline with one panel per scenario that ran.
 */
import { describe, expect, it } from "vitest";
import { analyse, type DrillConfig } from "../../../scripts/drill/analysis.mjs";
import { busyNote, headlineRows, markdown, type ScenarioResult } from "../../../scripts/drill/report-md.mjs";
import { timelineSvg } from "../../../scripts/drill/report-svg.mjs";
import type { DrillRecord, PhaseRun } from "../../../scripts/drill/types.d.mts";

const CONFIG: DrillConfig = {
  providers: [{ id: "alpha", models: [{ id: "m", price: { input: 1, output: 1 } }] }],
  routes: { auto: { targets: ["alpha/m"] } },
};
const phases: PhaseRun[] = [
  { name: "baseline", index: 0, startMs: 0, endMs: 1000, appliedAtMs: 0, faults: [], faultedProviders: [], vendorRequests: { openai: 2, anthropic: 0, gemini: 0 } },
  {
    name: "outage <1>",
    index: 1,
    startMs: 1000,
    endMs: 2000,
    appliedAtMs: 1010,
    clearedAtMs: 2010,
    faults: [{ where: "network", vendor: "openai", kind: "reset" }],
    faultedProviders: ["alpha"],
    vendorRequests: { openai: 1, anthropic: 0, gemini: 0 },
  },
];
const record = (i: number, phaseIndex: number, t: number, served: boolean): DrillRecord => ({
  i,
  phase: phases[phaseIndex]!.name,
  phaseIndex,
  t,
  cls: "chat",
  stream: false,
  repeat: false,
  status: served ? 200 : 503,
  mode: served ? "primary" : "error",
  served,
  provider: served ? "alpha" : undefined,
  latencyMs: 40,
  usage: served ? { in: 10, out: 10 } : undefined,
});
const records = [record(0, 0, 0, true), record(1, 0, 500, true), record(2, 1, 1100, false), record(3, 1, 1500, true)];
const ran: ScenarioResult = {
  name: "synthetic",
  description: "two phases",
  file: "scripts/drills/synthetic.json",
  quick: true,
  rate: 4,
  ...analyse({ thresholds: { servedPct: 90 } }, CONFIG, phases, records, [{ t: 0, states: { alpha: "CLOSED" } }], 2000, 0),
  requests: records,
};
const broken: ScenarioResult = { name: "broken", quick: false, rate: 1, error: "Detour /healthz answered 500" };
const meta = { at: "2026-01-02T03:04:05.678Z", durationMs: 12_345, quick: true, machine: { cpus: 2, cpu: "Test CPU", node: "v20" }, miniflare: "4.0.0" };

describe("Markdown report", () => {
  it("puts one headline row per scenario, an error row for one that could not run", () => {
    const rows = headlineRows([ran, broken]);
    expect(rows).toHaveLength(4);
    expect(rows[2]).toBe("| synthetic | **FAIL** | 4 | 75.00 | 3 | 0 | 0 | 0 | 0 | 1 | 40 | 40 | — | — | 0.0 | — | 1/0 | $0.00006 | 0 |");
    expect(rows[3]).toMatch(/^\| broken \| \*\*ERROR\*\* \|/);
  });

  it("says up front that thresholds were missed, and which", () => {
    const md = markdown([ran, broken], meta);
    expect(md.split("\n").slice(0, 3)).toEqual([
      "# Detour drill report",
      "",
      "2026-01-02T03:04:05Z · 2 CPU × Test CPU · Node v20 · miniflare 4.0.0 · 2 scenario(s) in 12.3 s (quick subset) · **THRESHOLDS MISSED**",
    ]);
    expect(md).toContain("- synthetic (scenario): servedPct ≥ 90 — got 75\n");
    expect(md).toContain("- broken: could not run: Detour /healthz answered 500\n");
    expect(md).toContain("## synthetic (quick)\n\ntwo phases (`scripts/drills/synthetic.json`, 4 req/s)");
    expect(md).toContain("| outage <1> | network openai reset | 2 | 50.00 | primary 50.0 · error 50.0 |");
    expect(md).toContain("- ✗ **MISSED** scenario: servedPct ≥ 90 — 75");
    expect(md).toContain("**Could not run:** Detour /healthz answered 500");
  });

  it("warns when the machine was busier than its cores, and only then", () => {
    const busy = { ...meta, machine: { ...meta.machine, loadavg: { start: 9.5, end: 2 } } };
    expect(busyNote(busy)).toMatch(/^\*\*Busy machine:\*\* load average 9.5 at the start, 2.0 at the end, on 2 CPUs/);
    expect(markdown([ran], busy).split("\n")[4]).toMatch(/^\*\*Busy machine:\*\*/);
    expect(busyNote({ ...meta, machine: { ...meta.machine, loadavg: { start: 2.9, end: 1 } } })).toBeUndefined();
    expect(busyNote(meta)).toBeUndefined();
  });

  it("says all thresholds were met when they were", () => {
    const passed = { ...ran, passed: true, checks: [] };
    expect(markdown([passed], meta)).toContain("**all thresholds met**");
    expect(markdown([passed], meta)).not.toContain("**Missed:**");
  });
});

describe("timeline SVG", () => {
  it("draws one panel per scenario that ran, with names escaped", () => {
    const svg = timelineSvg([ran, broken, { ...ran, name: "again" }]);
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<g>/g)).toHaveLength(2);
    expect(svg).toContain(">outage &lt;1&gt;</text>");
    expect(svg).not.toContain("broken");
  });
});
