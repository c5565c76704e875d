/**
 * The isolate's copy of the active faults, refreshed in the background at most once a second (like breaker
 * snapshots), so a drill costs requests no Durable Object round trip. A fresh isolate waits once, bounded; if the
 * object cannot be reached it runs with no faults — chaos must never be the outage.
 */
import { systemClock, withTimeout } from "../engine/clock";
import type { Fault, FaultInput } from "./faults";

export interface ChaosStub {
  list(now: number): Promise<Fault[]>;
  add(input: FaultInput, now: number): Promise<Fault>;
  remove(id: string, now: number): Promise<boolean>;
  clear(): Promise<number>;
}

export class FaultView {
  #faults: Fault[] | undefined;
  #fetchedAt = 0;
  #refreshing = false;

  constructor(private readonly ttlMs = 1000) {}

  set(faults: Fault[], now: number): void {
    this.#faults = faults;
    this.#fetchedAt = now;
  }

  async current(stub: () => ChaosStub, now: number, background: (p: Promise<unknown>) => void, notes: string[], timeoutMs = 500): Promise<Fault[]> {
    if (this.#faults === undefined) {
      try {
        this.set(await withTimeout(stub().list(now), timeoutMs, systemClock), now);
      } catch (err) {
        notes.push(`chaos faults unreadable (${err instanceof Error ? err.message : String(err)}); running without faults`);
        return [];
      }
    } else if (now - this.#fetchedAt >= this.ttlMs && !this.#refreshing) {
      this.#refreshing = true;
      background(
        stub()
          .list(now)
          .then((f) => this.set(f, now))
          .catch(() => {})
          .finally(() => (this.#refreshing = false)),
      );
    }
    return this.#faults ?? [];
  }
}

export const isolateFaults = new FaultView();
