/**
 * How each request's outcome on its route reaches the route's history (the ProviderHealth object named
 * `route:<name>`, ./history.ts): buffered per isolate like the breakers' successes and sent when the buffer is due,
 * by the request that opened it (its `waitUntil` waits that long), so the dashboard is current within
 * `resilience.reportFlushMs` and a busy route costs its object about one call per second per isolate. What an
 * isolate can lose if the platform kills it mid-wait: under `reportFlushMs` of one route's outcomes, at most
 * MAX_BUFFERED. Best effort: a failed send is dropped (history is for looking, never for routing).
 */
import type { Clock } from "../engine/clock";
import { withTimeout } from "../engine/clock";
import type { DetourConfig } from "../config/schema";
import type { RouteOutcome, TimelineEvent } from "./history";
import type { HistoryView } from "./history-store";

/** The RPC surface of ProviderHealth the dashboard uses (src/platform/stubs.ts checks the real class has it). */
export interface HistoryStub {
  recordRoute(outcomes: RouteOutcome[], now: number): Promise<void>;
  note(event: TimelineEvent): Promise<void>;
  history(key: string, now: number, minutes: number): Promise<HistoryView>;
}

/** The object that keeps a route's history. */
export const routeObjectName = (route: string) => `route:${route}`;

const MAX_BUFFERED = 500;

export class RouteFeed {
  #pending = new Map<string, RouteOutcome[]>();

  report(route: string, outcome: RouteOutcome, stub: () => HistoryStub, opts: { flushMs: number; timeoutMs: number; clock: Clock; later: (p: Promise<unknown>) => void }): void {
    let buf = this.#pending.get(route);
    const opened = !buf;
    if (!buf) this.#pending.set(route, (buf = []));
    buf.push(outcome);
    if (opts.flushMs === 0 || buf.length >= MAX_BUFFERED) {
      opts.later(this.#send(route, stub, opts));
      return;
    }
    if (!opened) return;
    const mine = buf;
    opts.later(opts.clock.sleep(opts.flushMs).then(() => (this.#pending.get(route) === mine ? this.#send(route, stub, opts) : undefined)));
  }

  async #send(route: string, stub: () => HistoryStub, opts: { timeoutMs: number; clock: Clock }): Promise<void> {
    const batch = this.#pending.get(route) ?? [];
    this.#pending.delete(route);
    if (batch.length === 0) return;
    try {
      await withTimeout(stub().recordRoute(batch, opts.clock.now()), opts.timeoutMs, opts.clock);
    } catch {
      // Dropped: the route's history misses these; routing and the caller's answer never depended on them.
    }
  }
}

/** One feed per isolate. */
export const isolateRouteFeed = new RouteFeed();

/** The Recorder's callback for one request: report an outcome on a route (undefined when breakers are unbound). */
export function routeReporter(
  config: DetourConfig,
  stubFor: ((name: string) => HistoryStub) | undefined,
  clock: Clock,
  later: (p: Promise<unknown>) => void,
  feed: RouteFeed,
): ((route: string, o: Omit<RouteOutcome, "at">) => void) | undefined {
  if (!stubFor) return undefined;
  const opts = { flushMs: config.resilience.reportFlushMs, timeoutMs: config.resilience.doTimeoutMs, clock, later };
  return (route, o) => feed.report(route, { ...o, at: clock.now() }, () => stubFor(routeObjectName(route)), opts);
}
