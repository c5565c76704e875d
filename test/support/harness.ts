/**
 * Drives the real app inside workerd (the workers test project) with an injected manual clock, the fake vendors as
 * the provider-fetch edge, and captured log lines. `call` returns the Response with its body already read, so streams
 * are consumed under the manual clock too.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { BreakerView } from "../../src/breakers/view";
import { FaultView } from "../../src/chaos/view";
import type { DetourConfig } from "../../src/config/schema";
import { Governor } from "../../src/engine/governor";
import { HedgeBudget } from "../../src/engine/hedge";
import { InflightTracker } from "../../src/resilience/inflight";
import { RouteFeed } from "../../src/dashboard/route-feed";
import { AdminThrottle } from "../../src/resilience/admin-throttle";
import { createApp, perIsolate } from "../../src/index";
import { jsonLogger, type RequestLog } from "../../src/observability/log";
import { FakeVendors } from "../fakes/vendors";
import { ManualClock } from "./clock";
import { trackedNamespace } from "./tracked-namespace";
import { trackedEdge, trackedKv } from "./tracked-storage";
import { CALLER_KEYS, SECRETS, VENDOR_CONFIG } from "./config";

export interface HarnessOptions {
  config?: unknown;
  /** DETOUR_API_KEYS value; `null` for unset. Default: CALLER_KEYS. */
  keys?: unknown;
  secrets?: Record<string, string>;
  extraEnv?: Record<string, unknown>;
  /** Share Durable Objects and KV with another harness given the same value: two isolates of one deployment. */
  isolation?: string;
}

export interface Result {
  status: number;
  headers: Headers;
  text: string;
  json: any;
  /** For SSE: each `data:` payload, parsed when it is JSON. */
  events: any[];
}

export const PREMIUM = "dtr_premium_key_0000000001";

export function harness(opts: HarnessOptions = {}) {
  const clock = new ManualClock();
  const vendors = new FakeVendors();
  // Request lines, parsed back from the logger's real JSON output (so the format is what production writes), and
  // every line as written.
  const logs: RequestLog[] = [];
  const logLines: string[] = [];
  const log = jsonLogger((_level, line) => {
    logLines.push(line);
    const { level: _l, msg, ...fields } = JSON.parse(line) as { level: string; msg: string } & RequestLog;
    if (msg === "request") logs.push(fields);
  });
  const breakerView = new BreakerView();
  const isolation = opts.isolation ?? crypto.randomUUID();
  const edge = trackedEdge(clock, isolation);
  const faultView = new FaultView();
  const inflight = new InflightTracker();
  let ids = 0;
  const app = createApp({ clock, fetch: vendors.fetch, log, random: () => 0.5, newId: () => `t${String(++ids).padStart(6, "0")}`, breakerView, faultView, inflight, cacheWrites: new Map(), edgeCache: () => edge, adminThrottle: new AdminThrottle(),
    hedgeBudget: perIsolate((share: number) => new HedgeBudget(share)),
    governor: perIsolate((config: DetourConfig) => new Governor(config.retryBudget, config.throttle)),
    routeFeed: new RouteFeed(),
  });
  const config = opts.config === undefined ? VENDOR_CONFIG : opts.config;
  const testEnv = {
    ...env,
    PROVIDER_HEALTH: trackedNamespace(env.PROVIDER_HEALTH, clock, isolation),
    DETOUR_KV: trackedKv(env.DETOUR_KV, clock, isolation),
    CHAOS: trackedNamespace(env.CHAOS, clock, isolation),
    TENANT_LIMITER: trackedNamespace(env.TENANT_LIMITER, clock, isolation),
    CACHE_PURGE: trackedNamespace(env.CACHE_PURGE, clock, isolation),
    DETOUR_CONFIG: typeof config === "string" ? config : JSON.stringify(config),
    ...(opts.keys === null ? {} : { DETOUR_API_KEYS: JSON.stringify(opts.keys ?? CALLER_KEYS) }),
    ...(opts.secrets ?? SECRETS),
    ...(opts.extraEnv ?? {}),
  };

  async function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Result> {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization") && opts.keys !== null) headers.set("authorization", `Bearer ${PREMIUM}`);
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers.set("content-type", "application/json");
    }
    const request = new Request(`https://detour.test${path}`, {
      method: init.method ?? (body ? "POST" : "GET"),
      headers,
      body,
      ...(init.cf ? { cf: init.cf } : {}),
    });
    const ctx = createExecutionContext();
    return clock.run(
      (async () => {
        const res = await app.fetch(request, testEnv, ctx);
        const text = await res.text();
        await waitOnExecutionContext(ctx);
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const events = (res.headers.get("content-type") ?? "").includes("text/event-stream")
          ? text
              .split("\n\n")
              .filter((b) => b.startsWith("data: "))
              .map((b) => {
                const d = b.slice(6);
                try {
                  return JSON.parse(d);
                } catch {
                  return d;
                }
              })
          : [];
        return { status: res.status, headers: res.headers, text, json, events };
      })(),
    );
  }

  const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}, cf?: Record<string, string>) =>
    call("/v1/chat/completions", {
      method: "POST",
      json: { model: "auto", messages: [{ role: "user", content: "Say hello" }], ...body },
      headers,
      ...(cf ? { cf: cf as RequestInit["cf"] } : {}),
    });

  return { app, clock, vendors, logs, logLines, env: testEnv, call, chat, breakerView, inflight };
}

/** Concatenate the text deltas of parsed OpenAI SSE chunks. */
export function streamedText(events: any[]): string {
  return events
    .filter((e) => typeof e === "object" && e.choices?.[0]?.delta?.content)
    .map((e) => e.choices[0].delta.content)
    .join("");
}

