/**
 * The drill's scenario files: every shipped one is valid, a bad one is refused with the file and each field named, and
 * the command line picks scenarios by name and the quick subset. Pure: no Detour, no sockets.
 */
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../scripts/drill/args.mjs";
import {
  checkScenario,
  loadScenarios,
  MAX_SCENARIO_MS,
  scenariosFrom,
  selectScenarios,
  TENANT_THRESHOLD_KEYS,
  THRESHOLD_KEYS,
} from "../../../scripts/drill/scenarios.mjs";
import type { Scenario } from "../../../scripts/drill/types.d.mts";

const good = (over: Partial<Scenario> = {}): Scenario => ({
  name: "ok",
  rate: 10,
  phases: [{ name: "baseline", durationMs: 1000, faults: [] }],
  ...over,
});

/** What a phase may declare: every threshold but the scenario-wide breakerStaysClosed. */
const PHASE_KEYS = THRESHOLD_KEYS.filter((k) => k !== "breakerStaysClosed").join(", ");

const file = (name: string, value: unknown) => ({ file: `scripts/drills/${name}`, text: typeof value === "string" ? value : JSON.stringify(value) });

describe("checkScenario", () => {
  it("accepts a minimal scenario and every shipped one", () => {
    expect(checkScenario(good())).toEqual([]);
    const shipped = loadScenarios();
    expect(shipped.length).toBeGreaterThanOrEqual(9);
    for (const s of shipped) expect(checkScenario(s), s.file).toEqual([]);
    expect(shipped.some((s) => s.quick)).toBe(true);
  });

  it("names each bad field", () => {
    const problems = checkScenario({
      name: "has space",
      rate: 500,
      phases: [
        {
          name: "",
          durationMs: 100,
          faults: [
            { where: "network", vendor: "azure", kind: "melt", rate: 2 },
            { where: "detour" },
            { where: "moon" },
          ],
          thresholds: { servedPct: -1, servedPctByClass: { poetry: 50, chat: 101 }, p42Ms: 3, breakerStaysClosed: ["alpha"] },
        },
      ],
      mix: { classes: { poetry: 1 }, stream: 1.5 },
      tier: "gold",
      config: [],
    });
    expect(problems).toEqual([
      "name: letters, digits, '.', '_' or '-'",
      "rate: requests per second, 0 < rate ≤ 200",
      "phases[0].name is required",
      "phases[0].durationMs: an integer ≥ 500",
      'phases[0].faults[0].vendor: "openai", "anthropic", "gemini" or "*"',
      "phases[0].faults[0].kind: not a network fault",
      "phases[0].faults[0].rate: 0..1",
      'phases[0].faults[1].provider: a provider id or "*"',
      "phases[0].faults[1].kind is required",
      'phases[0].faults[2].where: "network" or "detour"',
      "phases[0].thresholds.servedPct must be a non-negative number ≤ 100",
      "phases[0].thresholds.servedPctByClass.poetry: unknown class (use classification, extraction, chat, summarization)",
      "phases[0].thresholds.servedPctByClass.chat must be 0..100",
      `phases[0].thresholds.p42Ms: unknown threshold here (use ${PHASE_KEYS})`,
      `phases[0].thresholds.breakerStaysClosed: unknown threshold here (use ${PHASE_KEYS})`,
      "mix.classes.poetry: unknown class (use classification, extraction, chat, summarization)",
      "mix.stream: 0..1",
      "tier: premium, standard, free",
      "config must be an object (merged into the drill's DETOUR_CONFIG)",
    ]);
  });

  it("checks tenants, their abusive kinds and thresholds, and the scenario's breaker and share thresholds", () => {
    const base = { name: "t", rate: 10, phases: [{ name: "p", durationMs: 1000 }] };
    expect(
      checkScenario({
        ...base,
        tenants: [
          { name: "abuser", tier: "premium", share: 0.3, requests: ["empty-stop", "deep-schema", "huge-max-tokens"] },
          { name: "good", share: 0.7, thresholds: { minPrimarySharePct: 95, servedPct: 100 } },
        ],
        thresholds: { breakerStaysClosed: ["alpha"], maxTouchedSickPct: 20, p50Ms: 1000 },
        recoveryTailMs: 3000,
      }),
    ).toEqual([]);
    expect(
      checkScenario({
        ...base,
        tenants: [
          { name: "a b", share: 0, requests: "flood" },
          { name: "good", tier: "gold", share: 1, thresholds: { timeToDetectMs: 5 } },
          { name: "good", share: 1, requests: [] },
        ],
        thresholds: { breakerStaysClosed: ["omega"], minPrimarySharePct: 120 },
        recoveryTailMs: 10,
      }),
    ).toEqual([
      "thresholds.breakerStaysClosed: a list of provider ids (alpha, beta, gamma)",
      "thresholds.minPrimarySharePct must be a non-negative number ≤ 100",
      "tenants[0].name: letters, digits, '_' or '-'",
      "tenants[0].share: a positive weight",
      'tenants[0].requests: "normal", or one or a list of empty-stop, deep-schema, huge-max-tokens',
      "tenants[1].tier: premium, standard, free",
      `tenants[1].thresholds.timeToDetectMs: unknown threshold here (use ${TENANT_THRESHOLD_KEYS.join(", ")})`,
      'tenants[2].name: a second tenant named "good"',
      'tenants[2].requests: "normal", or one or a list of empty-stop, deep-schema, huge-max-tokens',
      "recoveryTailMs: an integer ≥ 500",
    ]);
  });

  it("refuses what is not a scenario at all, and lists that are not lists", () => {
    expect(checkScenario([])).toEqual(["must be a JSON object"]);
    expect(checkScenario(good({ phases: [] }))).toEqual(["phases: a non-empty list"]);
    expect(checkScenario({ ...good(), phases: {} })).toEqual(["phases: a non-empty list"]);
    expect(checkScenario({ ...good(), phases: [{ name: "p", durationMs: 1000, faults: 3 }] })).toEqual(["phases[0].faults must be a list"]);
  });

  it("bounds a scenario's total length, so a drill always ends", () => {
    const long = good({ phases: [{ name: "a", durationMs: MAX_SCENARIO_MS }, { name: "b", durationMs: 1000 }] });
    expect(checkScenario(long)).toEqual([`phases last ${MAX_SCENARIO_MS + 1000} ms in all; a drill scenario is bounded to ${MAX_SCENARIO_MS} ms`]);
  });
});

describe("loading scenario files", () => {
  it("loads the shipped files in name order, each with its path", () => {
    const all = loadScenarios();
    expect(all.map((s) => s.file)).toEqual([...all.map((s) => s.file)].sort());
    expect(all.every((s) => /^scripts\/drills\/[^/]+\.json$/.test(s.file))).toBe(true);
  });

  it("refuses a file that is not JSON, naming it", () => {
    expect(() => scenariosFrom([file("a.json", good({ name: "a" })), file("broken.json", "{ nope")])).toThrow(/^scripts\/drills\/broken\.json: not valid JSON/);
  });

  it("refuses a bad scenario with the file and every problem", () => {
    expect(() => scenariosFrom([file("bad.json", { name: "bad", rate: 0, phases: [] })])).toThrow(
      "scripts/drills/bad.json: rate: requests per second, 0 < rate ≤ 200; phases: a non-empty list",
    );
  });

  it("refuses two scenarios with one name", () => {
    expect(() => scenariosFrom([file("one.json", good({ name: "same" })), file("two.json", good({ name: "same" }))])).toThrow(
      'scripts/drills/two.json: a second scenario named "same"',
    );
  });

  it("keeps each scenario's file beside its fields", () => {
    expect(scenariosFrom([file("a.json", good({ name: "a" }))])).toEqual([{ ...good({ name: "a" }), file: "scripts/drills/a.json" }]);
  });
});

describe("selecting scenarios", () => {
  const all = [good({ name: "a", quick: true }), good({ name: "b" }), good({ name: "c", quick: true })];

  it("takes every scenario, the named ones, or the quick subset of those", () => {
    expect(selectScenarios(all).map((s) => s.name)).toEqual(["a", "b", "c"]);
    expect(selectScenarios(all, { names: ["c", "b"] }).map((s) => s.name)).toEqual(["b", "c"]);
    expect(selectScenarios(all, { quick: true }).map((s) => s.name)).toEqual(["a", "c"]);
    expect(selectScenarios(all, { names: ["b", "c"], quick: true }).map((s) => s.name)).toEqual(["c"]);
  });

  it("refuses an unknown name and an empty selection", () => {
    expect(() => selectScenarios(all, { names: ["a", "zz"] })).toThrow("no scenario named zz (have: a, b, c)");
    expect(() => selectScenarios(all, { names: ["b"], quick: true })).toThrow("no scenario selected");
  });

  it("reads the command line's flags", () => {
    expect(parseArgs([])).toEqual({ quick: false, scenarios: [], out: undefined, list: false });
    expect(parseArgs(["--quick", "--scenario", "a,b", "--scenario=c", "--out=x/y", "--traces", "--list"])).toEqual({
      quick: true,
      scenarios: ["a", "b", "c"],
      out: "x/y",
      list: true,
      traces: true,
    });
    expect(parseArgs(["-h"]).help).toBe(true);
    expect(() => parseArgs(["--out"])).toThrow("--out needs a value");
    expect(() => parseArgs(["--scenario", "--quick"])).toThrow("--scenario needs a value");
    expect(() => parseArgs(["--fast"])).toThrow("unknown argument --fast (try --help)");
  });
});
