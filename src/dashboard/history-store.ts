/**
 * The ProviderHealth object's keeper of its history (./history.ts): loads it once, applies changes, and writes only
 * what changed — each closed minute under its own key (`hp:<minute ms>`, deleted once older than 24 h), the minute
 * being filled under `hist:open`, the timeline under `hist:events` (only when it changed). So a busy object writes a
 * few hundred bytes per report, not its whole day.
 */
import type { OutcomeSample } from "../breakers/types";
import type { BreakerState, BreakerStateName, Transition } from "../resilience/breaker-types";
import {
  initialHistory,
  noteEvent,
  noteState,
  noteTransitions,
  recordOutcomes,
  recordRoute,
  view,
  closeMinutes,
  type HistoryState,
  type ProviderPoint,
  type RouteOutcome,
  type RoutePoint,
  type TimelineEvent,
} from "./history";

/** What the object's `history` RPC returns. */
export interface HistoryView {
  key: string;
  points: (ProviderPoint | RoutePoint)[];
  events: TimelineEvent[];
}

type Storage = Pick<DurableObjectStorage, "get" | "put" | "delete" | "list">;

const pointKey = (t: number) => `hp:${String(t).padStart(15, "0")}`;

export class HistoryStore {
  #h: HistoryState = initialHistory();

  constructor(private readonly storage: Storage) {}

  async load(): Promise<void> {
    const [open, events, points] = await Promise.all([
      this.storage.get<Pick<HistoryState, "current" | "route" | "seen">>("hist:open"),
      this.storage.get<TimelineEvent[]>("hist:events"),
      this.storage.list<ProviderPoint | RoutePoint>({ prefix: "hp:" }),
    ]);
    this.#h = { ...initialHistory(), ...(open ?? {}), events: events ?? [], points: [...points.values()].sort((a, b) => a.t - b.t) };
  }

  outcomes(samples: OutcomeSample[], transitions: Transition[], key: string, state: BreakerStateName, now: number): Promise<void> {
    const res = recordOutcomes(noteTransitions(this.#h, key, transitions), samples, state, now);
    return this.#apply(res.history);
  }

  route(outcomes: RouteOutcome[], now: number): Promise<void> {
    return this.#apply(recordRoute(this.#h, outcomes, now).history);
  }

  /** Tell the timeline the breaker's state as it now is (a change found here is a time-driven or admission step). */
  sync(key: string, breaker: BreakerState): Promise<void> {
    return this.#apply(noteState(this.#h, key, breaker.state, breaker.since));
  }

  /** An operator's action or a drill; `to` (the state it left the breaker in) is taken as seen. */
  event(event: TimelineEvent): Promise<void> {
    const next = noteEvent(this.#h, event);
    return this.#apply(event.to ? { ...next, seen: event.to } : next);
  }

  async view(key: string, state: BreakerStateName, now: number, minutes: number): Promise<HistoryView> {
    await this.#apply(closeMinutes(this.#h, state, now).history);
    return { key, ...view(this.#h, state, now, minutes) };
  }

  async #apply(next: HistoryState): Promise<void> {
    const before = this.#h;
    if (next === before) return;
    this.#h = next;
    const writes: Promise<unknown>[] = [];
    if (next.current !== before.current || next.route !== before.route || next.seen !== before.seen) {
      writes.push(this.storage.put("hist:open", { current: next.current, route: next.route, seen: next.seen }));
    }
    if (next.events !== before.events) writes.push(this.storage.put("hist:events", next.events));
    if (next.points !== before.points) {
      const kept = new Set(next.points.map((p) => p.t));
      const had = new Set(before.points.map((p) => p.t));
      const added = next.points.filter((p) => !had.has(p.t));
      const gone = before.points.filter((p) => !kept.has(p.t)).map((p) => pointKey(p.t));
      if (added.length) writes.push(this.storage.put(Object.fromEntries(added.map((p) => [pointKey(p.t), p]))));
      // The platform deletes at most 128 keys per call.
      for (let i = 0; i < gone.length; i += 128) writes.push(this.storage.delete(gone.slice(i, i + 128)));
    }
    await Promise.all(writes);
  }
}
