/**
 * A manual clock for tests: time moves only when the test says so, or — with `run` — only when everything else is
 * idle, jumping straight to the next timer. A hanging upstream therefore times out at once and deterministically,
 * and nothing ever waits on a real timer's duration.
 */
import type { Clock } from "../../src/engine/clock";

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  /** Every sleep requested, in ms, in order (backoffs, timeouts, simulated latency). */
  readonly sleeps: number[] = [];
  #io = 0;
  #ioWaiters: (() => void)[] = [];

  /**
   * Mark `p` as real I/O (a Durable Object call, say): while any is pending, `run` waits for it in real time instead
   * of mistaking the wait for idleness and firing the next timer early.
   */
  track<T>(p: Promise<T>): Promise<T> {
    this.#io++;
    const done = () => {
      this.#io--;
      if (this.#io === 0) this.#ioWaiters.splice(0).forEach((w) => w());
    };
    p.then(done, done);
    return p;
  }

  #ioIdle(): Promise<void> {
    return this.#io === 0 ? Promise.resolve() : new Promise((r) => this.#ioWaiters.push(r));
  }

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now = (): number => this.t;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.sleeps.push(ms);
      const timer: Timer = { at: this.t + ms, seq: this.seq++, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });

  /** Let pending promise chains and in-memory streams run (a few real macrotask turns, no waiting). */
  async settle(turns = 8): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
  }

  /** Fire the earliest pending timer, moving time to it. False when none is pending. */
  private fireNext(limit = Infinity): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = this.timers[0]!;
    if (next.at > limit) return false;
    this.timers.shift();
    this.t = Math.max(this.t, next.at);
    next.resolve();
    return true;
  }

  /** Move time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.settle();
    while (this.fireNext(end)) await this.settle();
    this.t = end;
    await this.settle();
  }

  /** Await `p`, advancing time to the next timer whenever nothing else is happening. */
  async run<T>(p: Promise<T>): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    for (;;) {
      await this.settle();
      if (done) return p;
      if (this.#io > 0) {
        await Promise.race([p.then(() => {}, () => {}), this.#ioIdle()]);
        continue;
      }
      if (!this.fireNext()) {
        await this.settle(50);
        if (done) return p;
        throw new Error("ManualClock.run: the promise is waiting on something other than time (deadlock)");
      }
    }
  }
}
