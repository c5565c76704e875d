/**
 * Detour's worker: routes and middleware wiring only. Each stage lives in its own folder (see README "Architecture").
 */
// hono/tiny: the same Hono with its smallest router (PatternRouter); ~2.4 KiB gzip less than the default preset and
// no measurable CPU difference for Detour's few dozen routes (docs/scale.md "Bundle").
import { Hono } from "hono/tiny";
import { ApiError, excerpt } from "./api/errors";
import type { AppDeps, AppEnv } from "./app-types";
import { systemClock } from "./engine/clock";
import { adminAuth, auth, healthz, operatorAuth } from "./middleware/auth";
import { inboundForPath } from "./inbound";
import { requestContext } from "./middleware/context";
import { cors } from "./middleware/cors";
import { simulatedGuard } from "./middleware/simulated-guard";
import { onError } from "./middleware/errors";
import { log } from "./observability/log";
import { isolateView } from "./breakers/view";
import { isolateFaults } from "./chaos/view";
import type { DetourConfig } from "./config/schema";
import { Governor } from "./engine/governor";
import { HedgeBudget } from "./engine/hedge";
import { isolateInflight } from "./resilience/inflight";
import { isolateRouteFeed } from "./dashboard/route-feed";
import { AdminThrottle } from "./resilience/admin-throttle";
import type { EdgeCache } from "./cache/intent-cache";
import { chatCompletions } from "./routes/chat";
import { deleteTemplate, getTemplate, listTemplates, purgeCache, purgeStatus, putTemplate } from "./routes/admin-cache";
import { addFault, clearFaults, listFaults, removeFault } from "./routes/admin-faults";
import { deleteIntent, getIntent, putIntent } from "./routes/admin-intents";
import { getModel, listModels } from "./routes/models";
import { countTokens, messages } from "./routes/messages";
import { cancelResponse, deleteResponse, getResponse, listInputItems, responses } from "./routes/responses";
import { breakerAction, metrics, status } from "./routes/operator";
import { v1Status } from "./routes/v1-status";
import { dashboardHistory } from "./routes/dashboard";
import { dashboardPage } from "./routes/dashboard-page";
import { answerWrongMethods } from "./routes/method-not-allowed";

export const productionDeps: AppDeps = {
  clock: systemClock,
  random: Math.random,
  newId: newToken,
  // Looked up at call time so the platform's fetch (or a test's stub of it) is always the one used.
  fetch: (input, init) => globalThis.fetch(input, init),
  log,
  breakerView: isolateView,
  inflight: isolateInflight,
  faultView: isolateFaults,
  cacheWrites: new Map(),
  hedgeBudget: perIsolate((share: number) => new HedgeBudget(share)),
  governor: perIsolate((config: DetourConfig) => new Governor(config.retryBudget, config.throttle)),
  adminThrottle: new AdminThrottle(),
  edgeCache: () => (typeof caches !== "undefined" ? (caches as unknown as { default: EdgeCache }).default : undefined),
  routeFeed: isolateRouteFeed,
};

/** One instance per distinct key for the life of the isolate (config objects are memoised per DETOUR_CONFIG). */
export function perIsolate<K, V>(make: (key: K) => V): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    let v = made.get(key);
    if (v === undefined) {
      if (made.size > 16) made.clear();
      made.set(key, (v = make(key)));
    }
    return v;
  };
}

/** 24 hex characters from a random UUID: the length of an OpenAI tool-call id's body. */
function newToken(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

export function createApp(overrides: Partial<AppDeps> = {}) {
  const deps: AppDeps = { ...productionDeps, ...overrides };
  const app = new Hono<AppEnv>();
  app.use("*", requestContext(deps));
  // After the config is loaded: with an invalid DETOUR_CONFIG every request fails, and so does the health check.
  app.get("/healthz", healthz);
  // CORS before auth: browsers send preflights without credentials.
  app.use("*", cors());
  app.use("/v1/*", simulatedGuard());
  app.use("/v1/*", auth());
  app.post("/v1/chat/completions", chatCompletions);
  // Other inbound wire formats, same pipeline (src/inbound/).
  app.post("/v1/messages", messages);
  app.post("/v1/messages/count_tokens", countTokens);
  app.post("/v1/responses", responses);
  // Stored responses (responses.store): retrieve, delete, the conversation that led to one.
  app.get("/v1/responses/:id", getResponse);
  app.delete("/v1/responses/:id", deleteResponse);
  app.get("/v1/responses/:id/input_items", listInputItems);
  app.post("/v1/responses/:id/cancel", cancelResponse);
  app.get("/status", operatorAuth(), status);
  app.get("/metrics", operatorAuth(), metrics);
  app.get("/dashboard/history", operatorAuth(), dashboardHistory);
  // The page's files (public/, the ASSETS binding): every method, so a wrong one gets a 405 rather than a 404.
  for (const path of ["/dashboard", "/dashboard/*", "/dashboard.html"]) app.all(path, dashboardPage);
  app.post("/admin/breakers/:provider", adminAuth(), breakerAction);
  app.put("/admin/templates/:route/:key", adminAuth(), putTemplate);
  app.get("/admin/templates/:route/:key", adminAuth(), getTemplate);
  app.delete("/admin/templates/:route/:key", adminAuth(), deleteTemplate);
  app.get("/admin/templates/:route", adminAuth(), listTemplates);
  app.delete("/admin/cache", adminAuth(), purgeCache);
  app.get("/admin/cache/purges/:id", adminAuth(), purgeStatus);
  app.put("/admin/intents/:route/:intent", adminAuth(), putIntent);
  app.get("/admin/intents/:route/:intent", adminAuth(), getIntent);
  app.delete("/admin/intents/:route/:intent", adminAuth(), deleteIntent);
  app.post("/admin/faults", adminAuth(), addFault);
  app.get("/admin/faults", adminAuth(), listFaults);
  app.delete("/admin/faults/:id", adminAuth(), removeFault);
  app.delete("/admin/faults", adminAuth(), clearFaults);
  app.get("/v1/models", listModels);
  app.get("/v1/status", v1Status);
  // `{.+}`: provider/model ids contain a slash, which curl users send unencoded.
  app.get("/v1/models/:id{.+}", getModel);
  // Last: a routed path asked with another method gets a 405 with `Allow`, not the unknown-URL 404.
  answerWrongMethods(app);
  app.notFound((c) =>
    c.json(inboundForPath(c.req.path).errorBody(new ApiError(404, "invalid_request_error", "unknown_url", `Unknown request URL: ${c.req.method} ${excerpt(c.req.path, 200)}.`), c.get("requestId")), 404),
  );
  app.onError(onError);
  return app;
}

export default createApp();
export { ProviderHealth } from "../durable-objects/provider-health";
export { ChaosControl } from "../durable-objects/chaos-control";
export { TenantLimiter } from "../durable-objects/tenant-limiter";
export { CachePurge } from "../durable-objects/cache-purge";
