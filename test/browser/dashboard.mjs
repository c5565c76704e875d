/**
 * The dashboard in a real browser: Playwright (playwright-core) drives Debian's headless Chromium against a local
 * Detour (the bundled worker on workerd with wrangler.toml's static assets, as deployed: the worker serves the page,
 * script and style from public/ with public/_headers; random loopback port, simulated providers, an admin token set).
 * It checks the page's files arrive with their security headers and a request id, that other paths reach the worker,
 * signs in
 * through the password field, drives traffic, forces the primary provider open with the page's own button and
 * confirmation, and checks that the page shows FORCED_OPEN, the failover share rising and the transition in the
 * timeline. Screenshots (1280×800 and phone width) go to reports/. Bounded: the whole run stops after 60 s.
 *
 *   npm run test:browser        (CHROMIUM=/path/to/chromium to use another binary)
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { prepareDetour, ROOT, startBundledDetour } from "../../scripts/lib/worker.mjs";

const ADMIN = `browser-test-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}-0123456789`;
const cleanups = [];
const deadline = setTimeout(() => fail(new Error("browser test took over 60 s")), 60_000);
const log = (m) => console.log(`[browser] ${m}`);

function fail(err) {
  console.error(`[browser] FAIL: ${err.stack ?? err}`);
  process.exitCode = 1;
  cleanup().finally(() => process.exit(1));
}
async function cleanup() {
  for (const f of cleanups.reverse()) await Promise.resolve(f()).catch(() => {});
  clearTimeout(deadline);
}
function check(ok, what) {
  if (!ok) throw new Error(what);
  log(`ok: ${what}`);
}

const executablePath = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
if (!executablePath) {
  console.error("[browser] no Chromium found: apt-get install -y chromium (or set CHROMIUM=/path)");
  process.exit(1);
}

try {
  const prepared = await prepareDetour("detour-browser-", cleanups, log);
  const { mf, url } = await startBundledDetour(prepared, { DETOUR_ADMIN_TOKEN: ADMIN }, { assets: true });
  cleanups.push(() => mf.dispose());
  log(`Detour at ${url}`);
  const chat = async (n) => {
    const modes = [];
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: `hello ${i}` }] }) });
      await r.text();
      modes.push(r.headers.get("x-detour-mode"));
    }
    return modes;
  };

  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  cleanups.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const urls = [];
  page.on("request", (r) => urls.push(r.url()));
  const files = new Map();
  page.on("response", (r) => files.set(new URL(r.url()).pathname, r));
  const cspViolations = [];
  page.on("console", (m) => /Content.Security.Policy/i.test(m.text()) && cspViolations.push(m.text()));
  await page.goto(`${url}/dashboard`);
  await page.locator("#login").waitFor();
  for (const f of ["/dashboard", "/dashboard/app.js", "/dashboard/app.css"]) {
    const h = (await files.get(f)?.allHeaders()) ?? {};
    check(
      files.get(f)?.status() === 200 && /script-src 'self'/.test(h["content-security-policy"] ?? "") && h["x-content-type-options"] === "nosniff" &&
        h["referrer-policy"] === "no-referrer" && h["cache-control"] === "no-store" && Boolean(h["x-request-id"]),
      `${f} is served by the worker from static assets with its CSP, nosniff, no-referrer, no-store and a request id`,
    );
  }
  const post = await fetch(`${url}/dashboard`, { method: "POST" });
  check(post.status === 405 && post.headers.get("allow") === "GET, HEAD" && (await post.json()).error?.code === "method_not_allowed", "POST /dashboard is refused: 405 in OpenAI's shape, allow GET, HEAD");
  const unknown = await fetch(`${url}/dashboard/nope`);
  check(unknown.status === 404 && (await unknown.json()).error?.code === "unknown_url", "an unknown path still reaches the worker (404 in OpenAI's shape)");

  // Sign in: the password field, Enter submits.
  await page.getByLabel("Admin token").fill(ADMIN);
  await page.getByLabel("Admin token").press("Enter");
  await page.locator("#providers tbody tr").first().waitFor();
  check(await page.locator("#login").isHidden(), "the token opens the dashboard");

  log(`primary traffic: ${(await chat(6)).join(",")}`);
  const share = (mode) => page.locator(`[data-route="auto"] [data-mode="${mode}"]`).getAttribute("data-share").then(Number);
  await page.waitForFunction(() => Number(document.querySelector('[data-route="auto"] [data-mode="primary"]')?.getAttribute("data-share")) > 0, null, { timeout: 10_000 });
  const before = await share("failover");
  check((await share("primary")) > 0, `the auto route shows primary answers (failover share ${before})`);

  // Force swift open through the page: its button, then the confirmation dialog.
  await page.locator('button[data-provider="swift"][data-action="force_open"]').click();
  await page.locator("#confirm").waitFor();
  await page.locator("#confirm-ok").click();
  await page.locator('tr[data-key="swift"] [data-state="FORCED_OPEN"]').waitFor({ timeout: 10_000 });
  check(true, "the swift row shows FORCED_OPEN");

  log(`traffic while swift is forced open: ${(await chat(8)).join(",")}`);
  await page.waitForFunction((b) => Number(document.querySelector('[data-route="auto"] [data-mode="failover"]')?.getAttribute("data-share")) > b, before, { timeout: 10_000 });
  check((await share("failover")) > before, `the failover share rose (${before} → ${await share("failover")})`);
  const timeline = await page.locator("#timeline").innerText();
  check(/swift: CLOSED → FORCED_OPEN \(operator: force_open\)/.test(timeline), "the timeline shows the operator's transition");
  check(!urls.some((u) => u.includes(ADMIN)), "the token never appears in a URL");
  check(cspViolations.length === 0, `no Content-Security-Policy violation (${cspViolations.join("; ") || "none"})`);

  mkdirSync(path.join(ROOT, "reports"), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, "reports/dashboard-1280.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(ROOT, "reports/dashboard-phone.png"), fullPage: false });
  log("screenshots: reports/dashboard-1280.png, reports/dashboard-phone.png");
  await cleanup();
  log("passed");
} catch (err) {
  fail(err);
}
