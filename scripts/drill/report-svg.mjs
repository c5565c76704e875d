// The timeline, hand-written SVG: per scenario served modes and p95 latency over time, faults, and breaker states.
import { pct } from "./analysis.mjs";
import { BUCKET_MS, MODES } from "./common.mjs";
import { PROVIDERS } from "./detour-config.mjs";
import { describeFault, fMs, fPct } from "./format.mjs";

const COLORS = {
  primary: "#2e7d32",
  failover: "#1e88e5",
  cache: "#8e24aa",
  stale: "#8d6e63",
  degraded: "#f9a825",
  error: "#d32f2f",
  CLOSED: "#a5d6a7",
  HALF_OPEN: "#ffcc80",
  OPEN: "#e57373",
  FORCED_OPEN: "#b71c1c",
  DISABLED: "#9e9e9e",
};
const FAULT_COLOR = "#37474f";
const W = 1100;
const LEFT = 64;
const RIGHT = 64;
const PLOT_W = W - LEFT - RIGHT;
const CHART_H = 170;
const LANE_H = 12;
const LEGEND_H = 46;
const PANEL_H = 50 + CHART_H + 24 + (PROVIDERS.length + 1) * (LANE_H + 3) + 14;
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * timeline.svg: per scenario that ran, a panel with time on x; stacked bands of the share of requests per served mode
 * (by send time, BUCKET_MS buckets); the p95 latency as a line on a log axis; phase boundaries, fault windows shaded;
 * detect/recover markers; a lane per provider with its breaker state from /status.
 */
export function timelineSvg(results) {
  const ok = results.filter((r) => !r.error);
  const H = LEGEND_H + ok.length * PANEL_H + 10;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  legend(o);
  ok.forEach((r, idx) => panel(o, r, LEGEND_H + idx * PANEL_H));
  o.push(`</svg>`);
  return o.join("\n") + "\n";
}

function legend(o) {
  let lx = LEFT;
  o.push(`<text x="${LEFT}" y="18" font-size="14" font-weight="bold">Detour drills: served mode and p95 latency over time</text>`);
  for (const m of MODES) {
    o.push(`<rect x="${lx}" y="28" width="12" height="12" fill="${COLORS[m]}"/><text x="${lx + 16}" y="38">${m}</text>`);
    lx += 30 + m.length * 6.5;
  }
  o.push(`<line x1="${lx}" y1="34" x2="${lx + 22}" y2="34" stroke="#000" stroke-width="2"/><text x="${lx + 26}" y="38">p95 latency (log, right axis)</text>`);
  lx += 200;
  o.push(`<rect x="${lx}" y="28" width="14" height="12" fill="${FAULT_COLOR}"/><text x="${lx + 18}" y="38">fault active</text>`);
  lx += 100;
  o.push(`<text x="${lx}" y="38">breaker:</text>`);
  lx += 52;
  for (const st of ["CLOSED", "HALF_OPEN", "OPEN"]) {
    o.push(`<rect x="${lx}" y="28" width="12" height="12" fill="${COLORS[st]}"/><text x="${lx + 16}" y="38">${st.toLowerCase().replace("_", "-")}</text>`);
    lx += 30 + st.length * 6;
  }
}

/** One scenario's panel, its top at y0. */
function panel(o, r, y0) {
  const T = Math.max(1000, r.durationMs);
  const g = { top: y0 + 46, T, x: (ms) => LEFT + (Math.min(ms, T) / T) * PLOT_W };
  o.push(`<g>`);
  o.push(
    `<text x="${LEFT}" y="${y0 + 20}"><tspan font-size="13" font-weight="bold">${esc(r.name)}</tspan>` +
      `<tspan dx="10" fill="${r.passed ? "#555" : "#b71c1c"}">${esc(r.passed ? "pass" : "FAIL")} · served ${fPct(r.overall.servedPct, 2)} % · ${r.overall.requests} requests · ${r.rate} req/s</tspan></text>`,
  );
  const buckets = bucketsOf(r.requests, T);
  modeBands(o, g, buckets);
  yAxis(o, g);
  latencyLine(o, g, buckets);
  phaseLines(o, g, r.phases);
  detectRecoverMarks(o, g, r.phases);
  truncationMarks(o, g, r.requests);
  xAxis(o, g);
  const lanesTop = g.top + CHART_H + 24;
  faultLane(o, g, r.phases, lanesTop);
  breakerLanes(o, g, r, lanesTop);
  o.push(`</g>`);
}

/** Requests by send time: count, count per mode, latencies. */
function bucketsOf(requests, T) {
  const nb = Math.ceil(T / BUCKET_MS);
  const buckets = Array.from({ length: nb }, () => ({ n: 0, modes: Object.fromEntries(MODES.map((m) => [m, 0])), lat: [] }));
  for (const q of requests) {
    const b = buckets[Math.min(nb - 1, Math.floor(q.t / BUCKET_MS))];
    b.n++;
    b.modes[q.mode in b.modes ? q.mode : "error"]++;
    if (typeof q.latencyMs === "number") b.lat.push(q.latencyMs);
  }
  return buckets;
}

/** Stacked mode shares. */
function modeBands(o, { top, T, x }, buckets) {
  buckets.forEach((b, bi) => {
    if (!b.n) return;
    const bx = x(bi * BUCKET_MS);
    const bw = Math.max(0.5, x(Math.min(T, (bi + 1) * BUCKET_MS)) - bx);
    let acc = 0;
    for (const m of MODES) {
      if (!b.modes[m]) continue;
      const h = (b.modes[m] / b.n) * CHART_H;
      o.push(`<rect x="${bx.toFixed(1)}" y="${(top + CHART_H - acc - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[m]}" fill-opacity="0.85"/>`);
      acc += h;
    }
  });
}

function yAxis(o, { top }) {
  o.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${CHART_H}" fill="none" stroke="#888"/>`);
  for (const v of [0, 50, 100]) {
    const yy = top + CHART_H - (v / 100) * CHART_H;
    o.push(`<text x="${LEFT - 6}" y="${yy + 4}" text-anchor="end" fill="#444">${v}%</text>`);
    if (v === 50) o.push(`<line x1="${LEFT}" y1="${yy}" x2="${LEFT + PLOT_W}" y2="${yy}" stroke="#fff" stroke-opacity="0.5" stroke-dasharray="2,3"/>`);
  }
}

/** p95 per bucket, log scale 1 ms .. 30 s, its axis on the right. */
function latencyLine(o, { top, x }, buckets) {
  const lmin = 0;
  const lmax = Math.log10(30_000);
  const ly = (ms) => top + CHART_H - ((Math.log10(Math.max(1, ms)) - lmin) / (lmax - lmin)) * CHART_H;
  for (const v of [1, 10, 100, 1000, 10_000]) {
    const yy = ly(v);
    o.push(`<line x1="${LEFT + PLOT_W}" y1="${yy.toFixed(1)}" x2="${LEFT + PLOT_W + 4}" y2="${yy.toFixed(1)}" stroke="#444"/>`);
    o.push(`<text x="${LEFT + PLOT_W + 7}" y="${(yy + 4).toFixed(1)}" fill="#444">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
  }
  const pts = [];
  buckets.forEach((b, bi) => {
    if (!b.lat.length) return;
    const s = b.lat.sort((a, c) => a - c);
    pts.push(`${x((bi + 0.5) * BUCKET_MS).toFixed(1)},${ly(pct(s, 95)).toFixed(1)}`);
  });
  if (pts.length) o.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="#000" stroke-width="1.6" stroke-linejoin="round"/>`);
}

/** Phase boundaries and names. */
function phaseLines(o, { top, x }, phases) {
  for (const p of phases) {
    const px = x(p.startMs);
    o.push(`<line x1="${px.toFixed(1)}" y1="${top - 4}" x2="${px.toFixed(1)}" y2="${top + CHART_H}" stroke="#333" stroke-dasharray="4,3"/>`);
    o.push(`<text x="${(px + 3).toFixed(1)}" y="${top - 5}" fill="#333">${esc(p.name)}</text>`);
  }
}

/** Detect markers on top, recover markers below; labels step away when they would collide. */
function detectRecoverMarks(o, { top, x }, phases) {
  const placed = [];
  const labelY = (mx, base, dir) => {
    let yy = base;
    while (placed.some((q) => Math.abs(q.x - mx) < 80 && Math.abs(q.y - yy) < 10)) yy += 12 * dir;
    placed.push({ x: mx, y: yy });
    return yy;
  };
  const label = (mx, yy, text) =>
    `<text x="${mx.toFixed(1)}" y="${yy}" text-anchor="middle" font-size="10" fill="#000" stroke="#fff" stroke-width="3" paint-order="stroke">${text}</text>`;
  for (const p of phases) {
    if (typeof p.timeToDetectMs === "number") {
      const mx = x(p.appliedAtMs + p.timeToDetectMs);
      o.push(`<path d="M${(mx - 5).toFixed(1)},${top - 2} L${(mx + 5).toFixed(1)},${top - 2} L${mx.toFixed(1)},${top + 7} Z" fill="#000"/>`);
      o.push(label(mx, labelY(mx, top + 18, 1), `detect ${fMs(p.timeToDetectMs)}`));
    }
    if (typeof p.timeToRecoverMs === "number" && p.clearedAtMs !== undefined) {
      const mx = x(p.clearedAtMs + p.timeToRecoverMs);
      o.push(`<path d="M${(mx - 5).toFixed(1)},${top + CHART_H + 2} L${(mx + 5).toFixed(1)},${top + CHART_H + 2} L${mx.toFixed(1)},${top + CHART_H - 7} Z" fill="#000"/>`);
      o.push(label(mx, labelY(mx, top + CHART_H - 10, -1), `recover ${fMs(p.timeToRecoverMs)}`));
    }
  }
}

/** Silent truncations, if any: red crosses on top. */
function truncationMarks(o, { top, x }, requests) {
  for (const q of requests.filter((z) => z.status === 200 && z.streamEnd === "none")) {
    const mx = x(q.t);
    o.push(`<text x="${mx.toFixed(1)}" y="${top + 10}" text-anchor="middle" fill="#b71c1c" font-weight="bold">×</text>`);
  }
}

function xAxis(o, { top, T, x }) {
  const ay = top + CHART_H;
  const step = T > 40_000 ? 10_000 : T > 15_000 ? 5000 : 2000;
  for (let t = 0; t <= T; t += step) {
    o.push(`<line x1="${x(t).toFixed(1)}" y1="${ay}" x2="${x(t).toFixed(1)}" y2="${ay + 4}" stroke="#444"/>`);
    o.push(`<text x="${x(t).toFixed(1)}" y="${ay + 15}" text-anchor="middle" fill="#444">${t / 1000} s</text>`);
  }
}

/** When each phase's faults were active (set → cleared), with what they were. */
function faultLane(o, { x }, phases, lanesTop) {
  o.push(`<text x="${LEFT - 6}" y="${lanesTop + LANE_H - 2}" text-anchor="end" fill="#444">faults</text>`);
  o.push(`<rect x="${LEFT}" y="${lanesTop}" width="${PLOT_W}" height="${LANE_H}" fill="#f2f2f2"/>`);
  for (const p of phases) {
    if (!p.faults.length) continue;
    const x1 = x(p.appliedAtMs);
    const x2 = x(p.clearedAtMs ?? p.endMs);
    const label = p.faults.map((f) => describeFault(f, f.where)).join("; ");
    const fits = Math.floor((x2 - x1 - 6) / 5.6);
    o.push(`<rect x="${x1.toFixed(1)}" y="${lanesTop}" width="${Math.max(1, x2 - x1).toFixed(1)}" height="${LANE_H}" fill="${FAULT_COLOR}"><title>${esc(label)}</title></rect>`);
    if (fits > 3) o.push(`<text x="${(x1 + 3).toFixed(1)}" y="${lanesTop + LANE_H - 2.5}" font-size="9.5" fill="#fff">${esc(label.length > fits ? `${label.slice(0, fits - 1)}…` : label)}</text>`);
  }
}

/** A lane per provider, colored by the breaker state each /status sample showed until the next one. */
function breakerLanes(o, { x }, r, lanesTop) {
  PROVIDERS.forEach((p, pi) => {
    const yy = lanesTop + (pi + 1) * (LANE_H + 3);
    o.push(`<text x="${LEFT - 6}" y="${yy + LANE_H - 2}" text-anchor="end" fill="#444">${p.id}</text>`);
    o.push(`<rect x="${LEFT}" y="${yy}" width="${PLOT_W}" height="${LANE_H}" fill="#f2f2f2"/>`);
    const samples = r.breakerSamples;
    samples.forEach((s, si) => {
      const st = s.states[p.id];
      if (!st) return;
      const x1 = x(s.t);
      const x2 = x(samples[si + 1]?.t ?? r.durationMs);
      o.push(`<rect x="${x1.toFixed(1)}" y="${yy}" width="${Math.max(0.5, x2 - x1).toFixed(1)}" height="${LANE_H}" fill="${COLORS[st] ?? "#ccc"}"/>`);
    });
  });
}
