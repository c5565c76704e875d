/**
 * Chaos faults: what an operator can inject at the provider-fetch edge, so every other layer (retries, breakers,
 * failover, the degradation ladder) meets a real failure. Pure: parsing, expiry and selection take `now` and
 * `random` as arguments. Every fault has a rate and an expiry, so a forgotten drill ends by itself.
 */
import * as z from "../zod";

export const FaultKind = z.enum([
  "outage", // connection refused: fetch throws
  "status", // an HTTP error status (500, 503, 429 with Retry-After…)
  "latency", // added delay before the response
  "hang", // no answer until the caller gives up
  "slow_ttfb", // delay before the response headers
  "stream_cut", // a stream (or body) ends after N events, without its terminal event
  "stream_stall", // a stream goes silent after N events
  "malformed", // a 200 whose body is not the vendor's shape
  "refusal", // the model refuses (content_filter)
  "model_swap", // the vendor reports (and "serves") a different model
  "quota", // quota exhausted: 429 with a Retry-After far beyond any cap
]);
export type FaultKind = z.infer<typeof FaultKind>;

const FaultFields = {
  /** Provider id, or "*" for every provider. */
  provider: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Only requests on this route (name as the caller sent it). */
  route: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  kind: FaultKind,
  /** Share of matching calls the fault applies to. */
  rate: z._default(z.number().check(z.gte(0), z.lte(1)), 1),
  status: z.optional(z.number().check(z.int(), z.gte(400), z.lte(599))),
  retryAfterSeconds: z.optional(z.number().check(z.int(), z.gte(0), z.lte(86_400))),
  latencyMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(600_000))),
  afterEvents: z.optional(z.number().check(z.int(), z.gte(0), z.lte(10_000))),
  /** model_swap: the model the vendor claims to be. */
  model: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  note: z.optional(z.string().check(z.maxLength(500))),
};

function checkKind(f: { kind: FaultKind; status?: number | undefined; model?: string | undefined }, ctx: z.core.$RefinementCtx): void {
  if (f.status !== undefined && f.kind !== "status") ctx.addIssue({ code: "custom", path: ["status"], message: 'status is only used with kind "status"' });
  if (f.model !== undefined && f.kind !== "model_swap") ctx.addIssue({ code: "custom", path: ["model"], message: 'model is only used with kind "model_swap"' });
}

/** Body of POST /admin/faults. `ttlSeconds` is required: a fault nobody clears must still end. */
export const FaultInput = z
  .strictObject({ ...FaultFields, ttlSeconds: z.number().check(z.int(), z.gte(1), z.lte(86_400)) })
  .check(z.superRefine(checkKind));
export type FaultInput = z.infer<typeof FaultInput>;

/** The `x-detour-chaos` header: one fault for this request only (no TTL). */
export const ChaosHeader = z.strictObject(FaultFields).check(z.superRefine(checkKind));

export interface Fault extends Omit<FaultInput, "ttlSeconds"> {
  id: string;
  createdAt: number;
  expiresAt: number;
}

export function makeFault(input: FaultInput, id: string, now: number): Fault {
  const { ttlSeconds, ...rest } = input;
  return { ...rest, id, createdAt: now, expiresAt: now + ttlSeconds * 1000 };
}

export function activeFaults(faults: Fault[], now: number): Fault[] {
  return faults.filter((f) => f.expiresAt > now);
}

/**
 * The fault that applies to one call, if any: the first active one matching provider and route whose rate the
 * random draw falls under. `random` is one draw in [0, 1) per call.
 */
export function faultFor(faults: Fault[], providerId: string, route: string, now: number, random: number): Fault | undefined {
  return activeFaults(faults, now).find(
    (f) => (f.provider === "*" || f.provider === providerId) && (f.route === undefined || f.route === route) && random < f.rate,
  );
}

/** Parse the per-request `x-detour-chaos` header (JSON). Throws a readable message on bad input. */
export function parseChaosHeader(value: string, now: number): Fault {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error('x-detour-chaos must be JSON, e.g. {"provider":"alpha","kind":"status","status":503}');
  }
  const parsed = ChaosHeader.safeParse(json);
  if (!parsed.success) {
    throw new Error(`x-detour-chaos: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  // Scoped to one request by whoever holds it, so it never expires on its own.
  return { ...parsed.data, id: "request", createdAt: now, expiresAt: Number.MAX_SAFE_INTEGER };
}
