/**
 * Vendor wire shapes, in one place: what OpenAI, Anthropic, Gemini and Workers AI send, as builders. Runtime-neutral
 * (web-standard APIs only), so the simulated provider and the chaos injector in the worker, the test fakes and the
 * Node mock vendor server (scripts/mock-vendors.mjs, through a bundle) all speak the same bytes.
 */
import { anthropicErrorBody, anthropicErrorType } from "./anthropic";
import { geminiErrorBody } from "./gemini";
import { openaiErrorBody, openaiErrorFor } from "./openai";

export * from "./anthropic";
export * from "./gemini";
export * from "./openai";
export * from "./sse";
export * from "./workers-ai";

/** A vendor whose HTTP wire format Detour speaks; anything else (simulated, …) speaks OpenAI's. */
export type WireVendor = "openai" | "anthropic" | "gemini";

/**
 * The error body `vendor` sends with `status`: `message` replaces its usual text; `retryAfterSeconds` adds Gemini's
 * RetryInfo detail on a 429 (the Retry-After header is the caller's). Any other vendor kind gets OpenAI's shape.
 */
export function errorBody(vendor: string, status: number, message?: string, retryAfterSeconds?: number): string {
  if (vendor === "anthropic") {
    const type = anthropicErrorType(status);
    return anthropicErrorBody(type, message ?? `mock ${type}`);
  }
  if (vendor === "gemini") return geminiErrorBody(status, message, retryAfterSeconds !== undefined ? { retryAfterSeconds } : {});
  return openaiErrorBody(openaiErrorFor(status, message));
}
