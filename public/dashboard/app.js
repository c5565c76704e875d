"use strict";
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
