// Loads the scenario files in scripts/drills/, checks each one field by field, and picks the ones a run asked for.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CLASSES, isObj, UsageError } from "./common.mjs";
import { PROVIDERS, TIERS } from "./detour-config.mjs";
import { ABUSE_KINDS } from "./requests.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where the scenario files live. */
export const DRILLS_DIR = path.join(REPO, "scripts/drills");
/** The highest load a scenario may ask for, in requests per second. */
export const MAX_RATE = 200;
/** A scenario's phases may last this long in all: a drill always ends. */
export const MAX_SCENARIO_MS = 5 * 60_000;
/** Every threshold a scenario or a phase may declare. */
export const THRESHOLD_KEYS = [
  "servedPct",
  "servedPctByClass",
  "silentTruncations",
  "p50Ms",
  "p95Ms",
  "p99Ms",
  "timeToDetectMs",
  "timeToRecoverMs",
  "maxTouchedSickPct",
  "minPrimarySharePct",
  "breakerStaysClosed",
];
/** Thresholds a tenant may declare (over its own requests: no fault phase, no breaker of its own). */
export const TENANT_THRESHOLD_KEYS = ["servedPct", "servedPctByClass", "silentTruncations", "p50Ms", "p95Ms", "p99Ms", "minPrimarySharePct"];
const PCT_KEYS = ["servedPct", "maxTouchedSickPct", "minPrimarySharePct"];
const NETWORK_VENDORS = ["openai", "anthropic", "gemini", "*"];
const NETWORK_KINDS = ["reset", "hang", "status", "slow_ttfb", "cut", "stall", "malformed", "latency", "hostile"];

/**
 * Loads and checks every `*.json` in `dir`, sorted by file name; a mistake names the file and the field, so operators
 * can fix their own. Throws a UsageError on the first bad file or on two scenarios with one name.
 */
export function loadScenarios(dir = DRILLS_DIR) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  return scenariosFrom(
    files.map((f) => ({ file: path.relative(REPO, path.join(dir, f)).split(path.sep).join("/"), text: readFileSync(path.join(dir, f), "utf8") })),
  );
}

/** loadScenarios without the file system: `files` are { file (as messages name it), text }, in load order. */
export function scenariosFrom(files) {
  const out = files.map(({ file, text }) => parseScenario(file, text));
  const names = new Set();
  for (const s of out) {
    if (names.has(s.name)) throw new UsageError(`${s.file}: a second scenario named "${s.name}"`);
    names.add(s.name);
  }
  return out;
}

function parseScenario(where, text) {
  let s;
  try {
    s = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${where}: not valid JSON (${err.message})`);
  }
  const problems = checkScenario(s);
  if (problems.length) throw new UsageError(`${where}: ${problems.join("; ")}`);
  return { ...s, file: where };
}

/** What is wrong with a parsed scenario file, one message per field; empty when it is fine. */
export function checkScenario(s) {
  const p = [];
  if (!isObj(s)) return ["must be a JSON object"];
  if (typeof s.name !== "string" || !/^[a-z0-9][a-z0-9_.-]*$/i.test(s.name)) p.push("name: letters, digits, '.', '_' or '-'");
  if (typeof s.rate !== "number" || s.rate <= 0 || s.rate > MAX_RATE) p.push(`rate: requests per second, 0 < rate ≤ ${MAX_RATE}`);
  if (!Array.isArray(s.phases) || s.phases.length === 0) p.push("phases: a non-empty list");
  let total = 0;
  (Array.isArray(s.phases) ? s.phases : []).forEach((ph, i) => {
    total += checkPhase(ph, `phases[${i}]`, p);
  });
  if (total > MAX_SCENARIO_MS) p.push(`phases last ${total} ms in all; a drill scenario is bounded to ${MAX_SCENARIO_MS} ms`);
  checkThresholds(s.thresholds, "thresholds", p, THRESHOLD_KEYS);
  if (s.tenants !== undefined) checkTenants(s.tenants, p);
  if (s.providerConfig !== undefined) {
    const ids = PROVIDERS.map((x) => x.id);
    if (!isObj(s.providerConfig) || Object.entries(s.providerConfig).some(([id, v]) => !ids.includes(id) || !isObj(v))) {
      p.push(`providerConfig: { <provider id (${ids.join(", ")})>: settings merged into that provider }`);
    }
  }
  if (s.productionDefaults !== undefined && typeof s.productionDefaults !== "boolean") p.push("productionDefaults: true or false");
  if (s.recoveryTailMs !== undefined && (!Number.isInteger(s.recoveryTailMs) || s.recoveryTailMs < 500)) p.push("recoveryTailMs: an integer ≥ 500");
  if (s.mix !== undefined) checkMix(s.mix, p);
  if (s.tier !== undefined && !TIERS.includes(s.tier)) p.push(`tier: ${TIERS.join(", ")}`);
  if (s.config !== undefined && !isObj(s.config)) p.push("config must be an object (merged into the drill's DETOUR_CONFIG)");
  return p;
}

/** Checks one phase into `p`; returns its duration (0 when it has none) for the scenario's bound. */
function checkPhase(ph, at, p) {
  if (!isObj(ph)) {
    p.push(`${at} must be an object`);
    return 0;
  }
  if (typeof ph.name !== "string" || !ph.name) p.push(`${at}.name is required`);
  if (!Number.isInteger(ph.durationMs) || ph.durationMs < 500) p.push(`${at}.durationMs: an integer ≥ 500`);
  if (ph.faults !== undefined && !Array.isArray(ph.faults)) p.push(`${at}.faults must be a list`);
  else (ph.faults ?? []).forEach((f, j) => checkFault(f, `${at}.faults[${j}]`, p));
  checkThresholds(ph.thresholds, `${at}.thresholds`, p, THRESHOLD_KEYS.filter((k) => k !== "breakerStaysClosed"));
  return ph.durationMs ?? 0;
}

function checkFault(f, fa, p) {
  if (!isObj(f)) return p.push(`${fa} must be an object`);
  if (f.where === "network") {
    if (!NETWORK_VENDORS.includes(f.vendor)) p.push(`${fa}.vendor: "openai", "anthropic", "gemini" or "*"`);
    if (!NETWORK_KINDS.includes(f.kind)) p.push(`${fa}.kind: not a network fault`);
  } else if (f.where === "detour") {
    if (typeof f.provider !== "string") p.push(`${fa}.provider: a provider id or "*"`);
    if (typeof f.kind !== "string") p.push(`${fa}.kind is required`);
  } else p.push(`${fa}.where: "network" or "detour"`);
  if (f.rate !== undefined && (typeof f.rate !== "number" || f.rate < 0 || f.rate > 1)) p.push(`${fa}.rate: 0..1`);
}

function checkMix(mix, p) {
  if (!isObj(mix)) return p.push("mix must be an object");
  for (const [c, w] of Object.entries(mix.classes ?? {})) {
    if (!CLASSES.includes(c)) p.push(`mix.classes.${c}: unknown class (use ${CLASSES.join(", ")})`);
    if (typeof w !== "number" || w < 0) p.push(`mix.classes.${c}: a non-negative weight`);
  }
  for (const k of ["stream", "repeat"]) {
    if (mix[k] !== undefined && (typeof mix[k] !== "number" || mix[k] < 0 || mix[k] > 1)) p.push(`mix.${k}: 0..1`);
  }
}

function checkThresholds(t, at, problems, keys) {
  if (t === undefined) return;
  if (!isObj(t)) return problems.push(`${at} must be an object`);
  for (const [k, v] of Object.entries(t)) {
    if (!keys.includes(k)) problems.push(`${at}.${k}: unknown threshold here (use ${keys.join(", ")})`);
    else if (k === "servedPctByClass") checkByClass(v, at, problems);
    else if (k === "breakerStaysClosed") {
      const ids = PROVIDERS.map((x) => x.id);
      if (!Array.isArray(v) || !v.length || v.some((id) => !ids.includes(id))) problems.push(`${at}.breakerStaysClosed: a list of provider ids (${ids.join(", ")})`);
    } else if (typeof v !== "number" || v < 0 || (PCT_KEYS.includes(k) && v > 100)) problems.push(`${at}.${k} must be a non-negative number${PCT_KEYS.includes(k) ? " ≤ 100" : ""}`);
  }
}

/** `tenants`: named, tiered, a positive share each; `requests` the normal mix or abusive kinds; own thresholds. */
function checkTenants(tenants, p) {
  if (!Array.isArray(tenants) || !tenants.length) return p.push("tenants: a non-empty list");
  const names = new Set();
  tenants.forEach((t, i) => {
    const at = `tenants[${i}]`;
    if (!isObj(t)) return p.push(`${at} must be an object`);
    if (typeof t.name !== "string" || !/^[a-z0-9][a-z0-9_-]*$/i.test(t.name)) p.push(`${at}.name: letters, digits, '_' or '-'`);
    else if (names.has(t.name)) p.push(`${at}.name: a second tenant named "${t.name}"`);
    names.add(t.name);
    if (t.tier !== undefined && !TIERS.includes(t.tier)) p.push(`${at}.tier: ${TIERS.join(", ")}`);
    if (typeof t.share !== "number" || !(t.share > 0)) p.push(`${at}.share: a positive weight`);
    const kinds = t.requests === undefined || t.requests === "normal" ? [] : Array.isArray(t.requests) ? t.requests : [t.requests];
    if ((Array.isArray(t.requests) && !t.requests.length) || kinds.some((k) => !ABUSE_KINDS.includes(k))) {
      p.push(`${at}.requests: "normal", or one or a list of ${ABUSE_KINDS.join(", ")}`);
    }
    checkThresholds(t.thresholds, `${at}.thresholds`, p, TENANT_THRESHOLD_KEYS);
  });
}

function checkByClass(v, at, problems) {
  if (!isObj(v)) return problems.push(`${at}.servedPctByClass must map task classes to percentages`);
  for (const [c, pc] of Object.entries(v)) {
    if (!CLASSES.includes(c)) problems.push(`${at}.servedPctByClass.${c}: unknown class (use ${CLASSES.join(", ")})`);
    if (typeof pc !== "number" || pc < 0 || pc > 100) problems.push(`${at}.servedPctByClass.${c} must be 0..100`);
  }
}

/** The scenarios a run asked for: by name (`names`, none: all), then the quick subset when `quick`. */
export function selectScenarios(all, { names = [], quick = false } = {}) {
  let scenarios = all;
  if (names.length) {
    const unknown = names.filter((n) => !all.some((s) => s.name === n));
    if (unknown.length) throw new UsageError(`no scenario named ${unknown.join(", ")} (have: ${all.map((s) => s.name).join(", ")})`);
    scenarios = all.filter((s) => names.includes(s.name));
  }
  if (quick) scenarios = scenarios.filter((s) => s.quick);
  if (!scenarios.length) throw new UsageError("no scenario selected");
  return scenarios;
}
