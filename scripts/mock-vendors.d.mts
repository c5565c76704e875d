/** Types for scripts/mock-vendors.mjs (plain Node ESM), so TypeScript tests and scripts can import it. */

export type MockVendor = "openai" | "anthropic" | "gemini";
export type FaultKind = "reset" | "hang" | "status" | "slow_ttfb" | "latency" | "cut" | "stall" | "malformed" | "hostile";

export declare const VENDORS: readonly MockVendor[];
export declare const FAULT_KINDS: readonly FaultKind[];
export declare const HOSTILE_MAX_BYTES: number;
export declare const HOSTILE_MODEL: string;
export declare const DEFAULT_REPLIES: Record<MockVendor, string>;

/** What `POST /__control/faults` accepts. */
export interface FaultInput {
  vendor: MockVendor | "*";
  kind: FaultKind;
  /** 0..1, default 1. */
  rate?: number;
  /** Required: the fault ends by itself after this long. */
  ttlMs: number;
  /** `status`: the HTTP status (default 503). */
  status?: number;
  /** `status`: Retry-After in seconds. */
  retryAfter?: number;
  /** `slow_ttfb` / `latency` (default 200); `stall`: how long to stay silent before closing (default forever). */
  ms?: number;
  /** `cut` / `stall` (default 2), `malformed` (default 0): SSE events sent before the fault. */
  afterEvents?: number;
  /** `cut`: "close" (default) | "clean"; `malformed`: "syntax" (default) | "shape". */
  variant?: "close" | "clean" | "syntax" | "shape" | "huge_body" | "endless_line" | "bad_model";
}

/** A live fault as `GET /__control/faults` lists it. */
export interface Fault extends Required<Pick<FaultInput, "vendor" | "kind" | "rate" | "ttlMs">> {
  id: string;
  status?: number;
  retryAfter?: number;
  ms?: number;
  afterEvents?: number;
  variant?: FaultInput["variant"];
  createdAt: number;
  expiresAt: number;
  /** Requests this fault was applied to. */
  hits: number;
  remainingMs?: number;
}

export interface VendorStats {
  /** Vendor requests answered (or faulted) since `since`. */
  requests: number;
  /** Requests whose connection is still open (hung, stalled, streaming). A live gauge, not reset. */
  open: number;
  /** By outcome: "ok", a fault kind, or "invalid" (a request the vendor rejects with a 4xx). */
  outcomes: Partial<Record<"ok" | "invalid" | FaultKind, number>>;
  /** HTTP statuses sent, by status code. */
  statuses: Record<string, number>;
}

export interface MockStats {
  since: number;
  now: number;
  vendors: Record<MockVendor, VendorStats>;
}

export interface MockVendorsOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** The deterministic reply per vendor (default "Hello from the mock <Vendor>."). */
  replies?: Partial<Record<MockVendor, string>>;
  /** The clock fault expiry is read from (default Date.now). */
  now?: () => number;
  /** Rate rolls: a fault with rate r applies when random() < r (default Math.random). */
  random?: () => number;
}

export interface MockVendors {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The `baseUrl` to give Detour's provider of each kind. */
  baseUrls: Record<MockVendor, string>;
  /** Stops listening, drops every held socket and clears every timer. */
  close(): Promise<void>;
}

export declare function startMockVendors(opts?: MockVendorsOptions): Promise<MockVendors>;

/** The reply cut before the first occurrence of any of `stops` (as vendors honour stop sequences); `stopped` when one matched. */
export declare function cutAtStop(reply: string, stops: readonly string[] | undefined): { reply: string; stopped: boolean };

/** Validate a fault body as the control API does. */
export declare function parseFault(
  input: unknown,
  nowMs: number,
): { fault: Omit<Fault, "id" | "hits" | "remainingMs">; error?: undefined } | { error: string; fault?: undefined };
