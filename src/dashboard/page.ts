/**
 * The dashboard page, bundled into the worker as strings (no build step): HTML shell, style and script. The script
 * asks for the admin token once (password field, kept in sessionStorage, sent only as a bearer header), then reads
 * /status and /dashboard/history every 3 s and renders them; operator actions post to /admin/breakers/:provider
 * after a confirmation dialog. States are written out (CLOSED, OPEN, …) with colour as a second cue.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Detour dashboard</title><link rel="stylesheet" href="/dashboard/app.css"></head>
<body><header><h1>Detour</h1><p id="updated" aria-live="polite">Loading…</p></header>
<form id="login" hidden><label for="token">Admin token</label> <input id="token" type="password" autocomplete="current-password" required>
<button type="submit">Open dashboard</button><p id="login-msg" role="alert"></p></form>
<main id="main" hidden>
<p id="drill" class="drill" hidden role="status"></p>
<p id="notice" role="status" aria-live="polite"></p>
<section aria-labelledby="h-prov"><h2 id="h-prov">Providers</h2><div class="scroll"><table id="providers"><thead><tr>
<th scope="col">Provider</th><th scope="col">Breaker</th><th scope="col">Next probe</th><th scope="col">Score</th><th scope="col">Errors · timeouts · 429 · refusals · invalid</th>
<th scope="col">Latency p50/p95/p99</th><th scope="col">TTFT p50/p95/p99</th><th scope="col">Tokens/s</th><th scope="col">Last 15 min</th><th scope="col">Actions</th></tr></thead><tbody></tbody></table></div></section>
<section aria-labelledby="h-routes"><h2 id="h-routes">Routes</h2><div id="routes"></div></section>
<section id="readiness-section" aria-labelledby="h-ready" hidden><h2 id="h-ready">Fallback readiness</h2><div id="readiness"></div></section>
<section aria-labelledby="h-time"><h2 id="h-time">Incident timeline</h2><ol id="timeline"></ol></section>
</main>
<dialog id="confirm" aria-labelledby="confirm-text"><form method="dialog"><p id="confirm-text"></p>
<button value="cancel" autofocus>Cancel</button> <button value="ok" id="confirm-ok">Confirm</button></form></dialog>
<script src="/dashboard/app.js" defer></script></body></html>`;

export const PAGE_CSS = `:root{--fg:#1a1a1a;--mut:#555;--bg:#fff;--line:#ccc;--ok:#1b6e20;--warn:#8a5300;--bad:#b00020;--op:#4a148c;--off:#444}
*{box-sizing:border-box}body{font:15px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:0 1rem 2rem}
header{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}h1{font-size:1.4rem;margin:.6rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
#updated,.mut{color:var(--mut)}.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:.3rem .4rem;text-align:left;vertical-align:top}
th{font-size:.8rem;color:var(--mut)}.state{display:inline-block;padding:.05rem .4rem;border-radius:.3rem;color:#fff;font-weight:600;font-size:.85rem}
.s-CLOSED{background:var(--ok)}.s-HALF_OPEN{background:var(--warn)}.s-OPEN{background:var(--bad)}.s-FORCED_OPEN{background:var(--op)}.s-DISABLED{background:var(--off)}
.m-normal{background:var(--ok)}.m-degraded{background:var(--warn)}.m-down{background:var(--bad)}
button{font:inherit;padding:.2rem .5rem;margin:.1rem;border:1px solid #333;border-radius:.3rem;background:#f4f4f4;color:#111;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.route{border:1px solid var(--line);border-radius:.4rem;padding:.5rem .8rem;margin:.5rem 0}.route h3{margin:.2rem 0;font-size:1rem}
.legend{display:flex;flex-wrap:wrap;gap:.6rem;list-style:none;padding:0;margin:.3rem 0}.sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.2rem;vertical-align:middle;border:1px solid #000}
.drill{background:#fff3cd;border:1px solid #8a5300;padding:.4rem;border-radius:.3rem}#timeline{padding-left:1.2rem}#timeline li{margin:.15rem 0}
svg{display:block}.banner{font-style:italic}.c-primary{background:#1b6e20}.c-failover{background:#0b57d0}.c-cache{background:#00838f}.c-stale{background:#6d4c41}.c-degraded{background:#8a5300}.c-error{background:#b00020}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:700px){table,thead,tbody,tr,th,td{display:block}thead{display:none}td{border:0;padding:.15rem 0}tr{border-bottom:1px solid var(--line);padding:.4rem 0}
td[data-label]::before{content:attr(data-label) ": ";color:var(--mut);font-size:.8rem}}`;

export const PAGE_JS = String.raw`"use strict";
const TOKEN = "detour-admin-token";
const MODES = [["primary","#1b6e20"],["failover","#0b57d0"],["cache","#00838f"],["stale","#6d4c41"],["degraded","#8a5300"],["error","#b00020"]];
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"})[c]);
const pct = (x) => x == null ? "–" : (x * 100).toFixed(1) + "%";
const ms = (x) => x == null ? "–" : Math.round(x) + " ms";
const ago = (iso, now) => { if (!iso) return "–"; const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000)); return s < 120 ? s + " s" : Math.round(s / 60) + " min"; };
const time = (t) => new Date(t).toLocaleTimeString();
let timer;

async function api(path, init = {}) {
  const headers = new Headers(init.headers || {});
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.set("authorization", "Bearer " + token);
  const res = await fetch(path, { ...init, headers });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

function showLogin(message) {
  $("main").hidden = true; $("login").hidden = false; $("login-msg").textContent = message || ""; $("token").focus();
  $("updated").textContent = "Sign in with the admin token.";
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN, $("token").value); $("token").value = "";
  refresh();
});

async function refresh() {
  clearTimeout(timer);
  try {
    const [status, history] = await Promise.all([api("/status"), api("/dashboard/history?minutes=15")]);
    if (status.status === 401 || history.status === 401) { sessionStorage.removeItem(TOKEN); return showLogin(status.body.error ? "That token was not accepted." : ""); }
    if (status.status !== 200) { $("updated").textContent = status.body.error ? status.body.error.message : "Status unavailable (" + status.status + ")"; return; }
    $("login").hidden = true; $("main").hidden = false;
    render(status.body, history.body);
  } catch (err) {
    $("updated").textContent = "Cannot reach Detour: " + err.message + " (retrying)";
  } finally { timer = setTimeout(refresh, 3000); }
}

function spark(values, label, max) {
  const w = 120, h = 24, n = values.length;
  const top = max ?? Math.max(1e-9, ...values.map((v) => v ?? 0));
  const pts = values.map((v, i) => (n < 2 ? 0 : (i * w) / (n - 1)).toFixed(1) + "," + (h - ((v ?? 0) / top) * (h - 2) - 1).toFixed(1)).join(" ");
  const last = values[n - 1];
  return '<svg width="' + w + '" height="' + h + '" role="img" aria-label="' + esc(label + ": last " + (last == null ? "no data" : (max === 1 ? pct(last) : Math.round(last)))) + '"><polyline fill="none" stroke="#0b57d0" stroke-width="1.5" points="' + pts + '"/></svg>';
}

/** 15 one-minute slots ending now; missing minutes are empty. */
function slots(points, now) {
  const end = Math.floor(now / 60000) * 60000, byT = new Map(points.map((p) => [p.t, p]));
  return Array.from({ length: 15 }, (_, i) => byT.get(end - (14 - i) * 60000));
}

function render(status, history) {
  const now = Date.parse(status.generated_at);
  $("updated").textContent = "Updated " + time(now) + " · refreshes every 3 s";
  const drill = $("drill"); drill.hidden = !status.drill_active;
  drill.textContent = status.drill_active ? "Drill active: " + status.faults.map((f) => f.provider + " " + f.kind + " until " + time(Date.parse(f.expiresAt))).join("; ") : "";
  const byKey = new Map((history.providers || []).map((p) => [p.key, p.points]));
  $("providers").tBodies[0].innerHTML = status.providers.map((p) => {
    const h = p.health || {}, sl = slots(byKey.get(p.key) || [], now), parts = Object.entries(p.score_parts || {}).map(([k, v]) => k + " " + (typeof v === "number" ? v.toFixed(2) : v)).join(", ");
    const st = p.state || "UNKNOWN";
    return '<tr data-key="' + esc(p.key) + '"><th scope="row" data-label="Provider">' + esc(p.key) + ' <span class="mut">' + esc(p.kind) + "</span></th>" +
      '<td data-label="Breaker"><span class="state s-' + esc(st) + '" data-state="' + esc(st) + '">' + esc(st) + '</span> <span class="mut">for ' + ago(p.since, now) + "</span>" + (p.error ? '<br><span role="alert">' + esc(p.error) + "</span>" : "") + "</td>" +
      '<td data-label="Next probe">' + (p.open_until ? time(Date.parse(p.open_until)) : "–") + "</td>" +
      '<td data-label="Score">' + (p.score ?? "–") + '<br><span class="mut">' + esc(parts) + "</span></td>" +
      '<td data-label="Rates">' + [h.errorRate, h.timeoutRate, h.rateLimitRate, h.refusalRate, h.semanticFailureRate].map(pct).join(" · ") + "</td>" +
      '<td data-label="Latency">' + (h.latency ? [h.latency.p50, h.latency.p95, h.latency.p99].map(ms).join(" / ") : "–") + "</td>" +
      '<td data-label="TTFT">' + (h.ttft ? [h.ttft.p50, h.ttft.p95, h.ttft.p99].map(ms).join(" / ") : "–") + "</td>" +
      '<td data-label="Tokens/s">' + (h.tokensPerSecond == null ? "–" : h.tokensPerSecond.toFixed(1)) + "</td>" +
      '<td data-label="Last 15 min">' + spark(sl.map((x) => x && x.calls), p.key + " calls per minute") + spark(sl.map((x) => x && x.errorRate), p.key + " error rate", 1) + spark(sl.map((x) => x && x.p95), p.key + " p95 latency ms") + "</td>" +
      '<td data-label="Actions">' + [["force_open", "Force open"], ["force_closed", "Force closed"], ["disable", "Disable"], ["reset", "Reset"]].map(([a, l]) => '<button type="button" data-provider="' + esc(p.provider) + '" data-action="' + a + '">' + l + '<span class="visually-hidden"> ' + esc(p.key) + "</span></button>").join("") + "</td></tr>";
  }).join("");
  $("routes").innerHTML = (history.routes || []).map((r) => routeCard(r, now)).join("") || '<p class="mut">No route history yet.</p>';
  const ready = status.readiness;
  $("readiness-section").hidden = ready == null;
  $("readiness").innerHTML = ready == null ? "" : readiness(ready);
  $("timeline").innerHTML = (history.events || []).map((e) => '<li><time datetime="' + new Date(e.at).toISOString() + '">' + time(e.at) + "</time> " + esc(e.key) + ": " +
    (e.kind === "drill" ? "drill " + esc(e.what) + " " + esc(e.detail || "") : (e.from ? esc(e.from) + " → " + esc(e.to) + " " : "") + "(" + esc(e.kind === "operator" ? "operator: " + e.what : e.what) + ")") + "</li>").join("") || '<li class="mut">Nothing yet.</li>';
}

function routeCard(r, now) {
  const sl = slots(r.points || [], now);
  const totals = sl.map((p) => p ? MODES.reduce((a, [m]) => a + p.modes[m], 0) : 0);
  const cur = [...sl].reverse().find((p) => p) || null, curTotal = cur ? MODES.reduce((a, [m]) => a + cur.modes[m], 0) : 0;
  const w = 300, h = 60, x = (i) => (i * w) / 14;
  let base = sl.map(() => 0), areas = "";
  for (const [m, colour] of MODES) {
    const top = sl.map((p, i) => base[i] + (p && totals[i] ? p.modes[m] / totals[i] : 0));
    const poly = top.map((v, i) => x(i).toFixed(1) + "," + (h - v * h).toFixed(1)).concat(base.map((v, i) => x(i).toFixed(1) + "," + (h - v * h).toFixed(1)).reverse()).join(" ");
    areas += '<polygon points="' + poly + '" fill="' + colour + '"/>'; base = top;
  }
  const share = (m) => curTotal ? cur.modes[m] / curTotal : 0;
  const label = "Share of answers by mode, last 15 minutes; this minute: " + MODES.map(([m]) => m + " " + pct(share(m))).join(", ");
  return '<article class="route" data-route="' + esc(r.route) + '"><h3>' + esc(r.route) + ' <span class="state m-' + esc(r.mode) + '">' + esc(r.mode) + "</span></h3>" +
    (r.banner ? '<p class="banner">' + esc(r.banner) + "</p>" : "") + (r.eta ? "<p>Next probe in " + r.eta_seconds + " s</p>" : "") +
    '<svg width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h + '" preserveAspectRatio="none" role="img" aria-label="' + esc(label) + '"><rect width="' + w + '" height="' + h + '" fill="#eee"/>' + areas + "</svg>" +
    '<ul class="legend">' + MODES.map(([m, c]) => '<li data-mode="' + m + '" data-share="' + share(m).toFixed(4) + '"><span class="sw c-' + m + '"></span>' + m + " " + pct(share(m)) + "</li>").join("") + "</ul>" +
    "<p>This minute: " + curTotal + " requests · cost $" + (cur ? cur.costUsd.toFixed(4) : "0.0000") + "/min · hedged " + (cur ? cur.hedged : 0) + " · shed " + (cur ? cur.shed : 0) + ' <span class="mut">targets ' + esc(r.targets.join(", ")) + "</span></p></article>";
}

function readiness(ready) {
  const rows = Array.isArray(ready) ? ready : Object.entries(ready).map(([k, v]) => (v && typeof v === "object" ? { name: k, ...v } : { name: k, value: v }));
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return '<div class="scroll"><table><thead><tr>' + cols.map((c) => '<th scope="col">' + esc(c) + "</th>").join("") + "</tr></thead><tbody>" +
    rows.map((r) => "<tr>" + cols.map((c) => "<td>" + esc(typeof r[c] === "object" ? JSON.stringify(r[c]) : r[c]) + "</td>").join("") + "</tr>").join("") + "</tbody></table></div>";
}

document.addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-action]");
  if (!b) return;
  const { provider, action } = b.dataset, dialog = $("confirm");
  $("confirm-text").textContent = "Apply " + action.replace("_", " ") + " to " + provider + "?";
  dialog.showModal();
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "ok") return b.focus();
    const r = await api("/admin/breakers/" + encodeURIComponent(provider), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action }) });
    $("notice").textContent = r.status === 200 ? provider + ": " + action.replace("_", " ") + " → " + r.body.state : "Action failed: " + (r.body.error ? r.body.error.message : r.status);
    refresh();
  }, { once: true });
});

refresh();
`;
