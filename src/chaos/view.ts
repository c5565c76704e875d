/**
 * The isolate's copy of the active faults, kept off the hot path. Every fault change (the admin fault routes) writes
 * a small version flag to KV (`config:chaos-version`, docs/storage.md): a new version and until when any fault is
 * active. Isolates read that flag at most every `flagTtlMs` (in the background once they hold one), and call the
 * ChaosControl object only when the flag says a drill is active and its version is one they have not loaded — so
 * with no drill running, no request ever touches the object.
 *
 * The trade: KV is eventually consistent, so a fault set in one isolate may take up to KV's propagation delay (about
 * a minute at worst) plus `flagTtlMs` to reach the others — fine for drills. The isolate that served the admin call
 * applies the change at once (`set`). Every read is bounded; if the flag or the object cannot be read, the isolate
 * runs without faults and says so — chaos must never be the outage.
 */
import { withTimeout, type Clock } from "../engine/clock";
import { activeFaults, type Fault, type FaultInput } from "./faults";

export interface ChaosStub {
  list(now: number): Promise<Fault[]>;
  add(input: FaultInput, now: number): Promise<Fault>;
  remove(id: string, now: number): Promise<boolean>;
  clear(): Promise<number>;
}

/** The KV key of the chaos version flag. */
export const CHAOS_FLAG_KEY = "config:chaos-version";

/** What the flag says: the fault list's version, and the latest expiry of any fault in it (0 when none). */
export interface ChaosFlag {
  version: string;
  activeUntil: number;
}

/** The flag for a fault list just written: a fresh version, active until its last fault expires. */
export function flagFor(faults: Fault[], now: number, version: string): ChaosFlag {
  return { version, activeUntil: Math.max(0, ...activeFaults(faults, now).map((f) => f.expiresAt)) };
}

/** Parse a stored flag; anything else reads as "no flag". */
export function parseFlag(value: unknown): ChaosFlag | null {
  const v = value as Partial<ChaosFlag> | null;
  return v && typeof v.version === "string" && typeof v.activeUntil === "number" ? { version: v.version, activeUntil: v.activeUntil } : null;
}

/** Where the view reads from: the flag (null when none was ever written) and the object. */
export interface FaultSources {
  flag: () => Promise<ChaosFlag | null>;
  stub: () => ChaosStub;
}

export interface FaultViewOptions {
  clock: Pick<Clock, "now" | "sleep">;
  /** Run work after the response (ctx.waitUntil). */
  background: (p: Promise<unknown>) => void;
  /** Bound on the object call. */
  timeoutMs: number;
}

/** How often an isolate re-reads the flag by default. */
export const DEFAULT_FLAG_TTL_MS = 5000;

export class FaultView {
  /** The last flag read (null: none written or unreadable); undefined before the first read. */
  #flag: ChaosFlag | null | undefined;
  #flagAt = 0;
  #flagRefreshing = false;
  /** The faults of version `#version`. */
  #faults: Fault[] = [];
  #version: string | undefined;
  /** After a failed object read: no new attempt before this time. */
  #retryAt = 0;
  #loading: Promise<void> | undefined;

  constructor(private readonly flagTtlMs = DEFAULT_FLAG_TTL_MS) {}

  /** The admin route changed the faults here: apply them at once, with the flag it wrote. */
  set(faults: Fault[], now: number, flag?: ChaosFlag): void {
    this.#faults = faults;
    if (flag) {
      this.#flag = flag;
      this.#flagAt = now;
      this.#version = flag.version;
      this.#retryAt = 0;
    }
  }

  /** The faults in force at `now`; calls the object only when a drill is active and its version is new here. */
  async current(src: FaultSources, opts: FaultViewOptions, notes: string[]): Promise<Fault[]> {
    const now = opts.clock.now();
    const flag = await this.#readFlag(src, opts, notes);
    if (!flag || flag.activeUntil <= now) return [];
    if (flag.version !== this.#version) {
      if (now < this.#retryAt) return [];
      // Another request is loading the new faults: keep to the ones this isolate has. Awaiting that request's I/O
      // from this one would tie the two together (the Workers runtime does not let one request settle another's
      // I/O, and a cancelled loader would leave this one waiting).
      if (this.#loading) return activeFaults(this.#faults, now);
      this.#loading = this.#load(src, opts, flag.version, notes).finally(() => (this.#loading = undefined));
      await this.#loading;
      if (flag.version !== this.#version) return [];
    }
    return activeFaults(this.#faults, now);
  }

  async #readFlag(src: FaultSources, opts: FaultViewOptions, notes: string[]): Promise<ChaosFlag | null> {
    const now = opts.clock.now();
    if (this.#flag === undefined) {
      try {
        this.#flag = await src.flag();
      } catch (err) {
        this.#flag = null;
        notes.push(`chaos flag unreadable (${describe(err)}); running without faults`);
      }
      this.#flagAt = now;
    } else if (now - this.#flagAt >= this.flagTtlMs && !this.#flagRefreshing) {
      this.#flagRefreshing = true;
      opts.background(
        src
          .flag()
          .then((f) => {
            this.#flag = f;
            this.#flagAt = opts.clock.now();
          })
          .catch(() => (this.#flagAt = opts.clock.now()))
          .finally(() => (this.#flagRefreshing = false)),
      );
    }
    return this.#flag;
  }

  async #load(src: FaultSources, opts: FaultViewOptions, version: string, notes: string[]): Promise<void> {
    const now = opts.clock.now();
    try {
      this.#faults = await withTimeout(src.stub().list(now), opts.timeoutMs, opts.clock);
      this.#version = version;
    } catch (err) {
      this.#retryAt = now + this.flagTtlMs;
      notes.push(`chaos faults unreadable (${describe(err)}); running without faults`);
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const isolateFaults = new FaultView();
