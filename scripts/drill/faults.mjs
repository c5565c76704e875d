// Sets and clears a phase's faults (on the mock vendors' network or inside Detour) and reads the mock's request counts.
import { call } from "./client.mjs";
import { log } from "./common.mjs";

/**
 * Sets one fault for `phase`, with a TTL past the phase's end so an interrupted drill cleans up after itself. `ctx`:
 * { mockUrl, detourUrl, adminHeaders }. Returns { where, id, spec } for clearFaults and the report.
 */
export async function applyFault(ctx, f, phase, scenario) {
  const { where, ...fault } = f;
  if (where === "network") {
    const body = { ...fault, ttlMs: fault.ttlMs ?? phase.durationMs + 10_000 };
    const r = await call("POST", `${ctx.mockUrl}/__control/faults`, body);
    if (r.status >= 300) throw new Error(`mock refused network fault ${JSON.stringify(body)}: ${r.status} ${r.text.slice(0, 300)}`);
    return { where, id: r.json?.id, spec: body };
  }
  const body = {
    ...fault,
    ttlSeconds: fault.ttlSeconds ?? Math.ceil(phase.durationMs / 1000) + 10,
    note: fault.note ?? `drill ${scenario.name} / ${phase.name}`,
  };
  const r = await call("POST", `${ctx.detourUrl}/admin/faults`, body, ctx.adminHeaders);
  if (r.status !== 201) throw new Error(`Detour refused fault ${JSON.stringify(body)}: ${r.status} ${r.text.slice(0, 300)}`);
  return { where, id: r.json?.fault?.id, spec: body };
}

/** Clears what applyFault set; a fault that already expired is no error. */
export async function clearFaults(ctx, applied) {
  if (applied.some((a) => a.where === "network")) {
    const r = await call("DELETE", `${ctx.mockUrl}/__control/faults`);
    if (r.status >= 300) log(`warning: could not clear network faults: ${r.status} ${r.text.slice(0, 200)}`);
  }
  for (const a of applied.filter((x) => x.where === "detour")) {
    const r = await call("DELETE", `${ctx.detourUrl}/admin/faults/${encodeURIComponent(a.id)}`, undefined, ctx.adminHeaders);
    // 404: it expired already; anything else is worth a word.
    if (r.status !== 200 && r.status !== 404) log(`warning: could not clear Detour fault ${a.id}: ${r.status} ${r.text.slice(0, 200)}`);
  }
}

/** The mock's per-vendor request counts, whichever of the plausible shapes it reports them in. */
export function vendorCounts(stats) {
  const out = {};
  for (const v of ["openai", "anthropic", "gemini"]) {
    const x = stats?.[v] ?? stats?.vendors?.[v] ?? stats?.requests?.[v] ?? stats?.byVendor?.[v];
    out[v] = typeof x === "number" ? x : typeof x?.requests === "number" ? x.requests : typeof x?.total === "number" ? x.total : 0;
  }
  return out;
}

/** Requests the mock vendors counted so far, per vendor (zeros when it cannot say). */
export async function mockStats(ctx) {
  try {
    const r = await call("GET", `${ctx.mockUrl}/__control/stats`);
    return vendorCounts(r.json);
  } catch {
    return { openai: 0, anthropic: 0, gemini: 0 };
  }
}

