/**
 * One request's timers on one platform timer. An attempt waits on three clocks at once — the request's deadline, its
 * own first-byte timeout and the in-flight watch's checks — and a platform timer is the dearest thing on the hot path
 * (a setTimeout/clearTimeout pair costs workerd ~40–60 µs of CPU, more than parsing the request). So they share one:
 * the platform timer is set for the earliest pending entry and an entry cancelled before then costs nothing. A JSON
 * request answered in time sets it twice — for the deadline (armed first, so a deadline that passed while a breaker
 * was asked fires before the attempt), then for the attempt's earlier first-byte timeout — and clears it once at the
 * end. (Arming only once per attempt saves one setTimeout/clearTimeout pair, which measured as noise: docs/scale.md.)
 *
 * Timers cannot be shared across requests: the Workers runtime runs a timer's callback in the request that set it,
 * and one request may not abort another's I/O.
 */
import { after, type Clock } from "./clock";

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

export class RequestTimers {
  #entries: Entry[] = [];
  #seq = 0;
  /** When the platform timer is set to fire (Infinity: not set). */
  #armedAt = Infinity;
  #disarm: (() => void) | undefined;
  #closed = false;

  constructor(private readonly clock: Clock) {}

  /**
   * Call `fn` `ms` from now; the returned function cancels it. Nothing is set on the platform until `arm`: callers
   * add what they will wait on, then arm once before they wait.
   */
  add(ms: number, fn: () => void): () => void {
    const entry: Entry = { at: this.clock.now() + ms, seq: this.#seq++, fn };
    this.#entries.push(entry);
    return () => {
      const i = this.#entries.indexOf(entry);
      if (i >= 0) this.#entries.splice(i, 1);
    };
  }

  /**
   * Set the platform timer for the earliest entry, unless it is already set for that time or earlier. Entries already
   * due (their time passed while nothing was armed, as while a breaker was asked) run now, before the caller waits.
   */
  arm(): void {
    if (this.#closed) return;
    const now = this.clock.now();
    let next = Infinity;
    for (const e of this.#entries) if (e.at < next) next = e.at;
    if (next <= now) return this.#run(now);
    if (next >= this.#armedAt) return;
    this.#disarm?.();
    this.#armedAt = next;
    this.#disarm = after(this.clock, next - now, this.#fire);
  }

  /** Cancel everything; later calls do nothing. */
  close(): void {
    this.#closed = true;
    this.#entries = [];
    this.#disarm?.();
    this.#disarm = undefined;
  }

  /** The platform timer fired: every entry due by the time it was set for is due, as separate timers would have been. */
  #fire = (): void => {
    const firedFor = this.#armedAt;
    this.#armedAt = Infinity;
    this.#disarm = undefined;
    this.#run(Math.max(this.clock.now(), firedFor));
  };

  /**
   * Run every entry due at `now`, earliest (then first added) first, as separate timers would; an entry may add or
   * cancel others. Then set the platform timer for what is left.
   */
  #run(now: number): void {
    for (;;) {
      if (this.#closed) return;
      let due: Entry | undefined;
      for (const e of this.#entries) if (e.at <= now && (!due || e.at < due.at || (e.at === due.at && e.seq < due.seq))) due = e;
      if (!due) break;
      this.#entries.splice(this.#entries.indexOf(due), 1);
      due.fn();
    }
    this.arm();
  }
}
