/**
 * Failed admin attempts, throttled per client: after `maxFailures` wrong admin tokens from one client within
 * `windowMs`, that client's admin requests get a 429 until the window that started with its first failure ends —
 * right token or not, so guessing cannot continue at line rate. Per isolate (a guesser spread over many isolates is
 * slowed per isolate, never unlimited); the token's ≥ 32 characters are what makes guessing hopeless, this makes it
 * loud and slow. Memory is bounded: at most `maxClients` clients, the least recently failing forgotten first. Pure:
 * `now` is an argument.
 */

export interface AdminThrottleSettings {
  maxFailures: number;
  windowMs: number;
  maxClients: number;
}

export const ADMIN_THROTTLE_DEFAULTS: AdminThrottleSettings = { maxFailures: 10, windowMs: 60_000, maxClients: 10_000 };

export class AdminThrottle {
  #clients = new Map<string, { since: number; failures: number }>();

  constructor(private readonly settings: AdminThrottleSettings = ADMIN_THROTTLE_DEFAULTS) {}

  /** Seconds this client must wait before its next admin attempt counts; 0 when it may try now. */
  retryAfterSeconds(client: string, now: number): number {
    const c = this.#clients.get(client);
    if (!c || now - c.since >= this.settings.windowMs) return 0;
    return c.failures >= this.settings.maxFailures ? Math.max(1, Math.ceil((c.since + this.settings.windowMs - now) / 1000)) : 0;
  }

  /** Count one wrong token from this client. */
  failed(client: string, now: number): void {
    const c = this.#clients.get(client);
    const next = !c || now - c.since >= this.settings.windowMs ? { since: now, failures: 1 } : { since: c.since, failures: c.failures + 1 };
    this.#clients.delete(client);
    this.#clients.set(client, next);
    if (this.#clients.size > this.settings.maxClients) this.#clients.delete(this.#clients.keys().next().value!);
  }

  get size(): number {
    return this.#clients.size;
  }
}
