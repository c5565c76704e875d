/**
 * Config of the Responses API's storage (`responses.store`, docs/inbound-apis.md "Stored responses"): stored
 * responses let `previous_response_id` and `item_reference` work, as OpenAI's API (whose `store` defaults to true)
 * does. Off, Detour's Responses API is stateless and refuses `store: true`, `previous_response_id` and
 * `item_reference` with a 400, as before.
 */
import * as z from "../zod";

/** KV refuses an expiry under 60 s; a year is far beyond any conversation and keeps a typo from storing forever. */
const MIN_TTL = 60;
const MAX_TTL = 365 * 86_400;

export const ResponsesStoreConfig = z.strictObject({
    /** Store responses whose request does not say `store: false` (the caller's prompts and answers live in KV for the TTL). */
    enabled: z._default(z.boolean(), true),
    /** How long a stored response (and so a conversation continued from it) lives; default 7 days. */
    ttlSeconds: z._default(z
      .number({ error: "responses.store.ttlSeconds must be a number of seconds" }).check(z.int("responses.store.ttlSeconds must be a whole number of seconds"), z.gte(MIN_TTL, `responses.store.ttlSeconds must be at least ${MIN_TTL} (KV's shortest expiry)`), z.lte(MAX_TTL, `responses.store.ttlSeconds must be at most ${MAX_TTL} (a year)`)), 7 * 86_400),
    /** Longest wait for KV when a request continues a stored conversation; then a 503 (the context cannot be guessed). */
    readTimeoutMs: z._default(z.number().check(z.int(), z.gte(50), z.lte(30_000)), 2000),
  });
export type ResponsesStoreConfig = z.infer<typeof ResponsesStoreConfig>;

export const ResponsesConfig = z.strictObject({
    store: z.prefault(ResponsesStoreConfig, {}),
  });
