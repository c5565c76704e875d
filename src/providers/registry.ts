/**
 * Provider kind → implementation. Adding a vendor: write `src/providers/<vendor>.ts` (an `HttpAdapter` when it speaks
 * HTTP), add its kind to `ProviderKind` in src/config/schema.ts, and map it here (README "Adding a vendor").
 */
import type { ProviderConfig } from "../config/schema";
import { anthropicAdapter } from "./anthropic";
import { geminiAdapter } from "./gemini";
import { httpProvider } from "./http";
import { openaiAdapter } from "./openai";
import type { Provider } from "./types";
import { workersAiProvider } from "./workers-ai";

const openai = httpProvider(openaiAdapter);
const PROVIDERS: Record<ProviderConfig["kind"], Provider> = {
  openai,
  anthropic: httpProvider(anthropicAdapter),
  gemini: httpProvider(geminiAdapter),
  "workers-ai": workersAiProvider,
  // Simulated providers speak the OpenAI wire format from inside the worker (their fetch is the simulator).
  simulated: openai,
};

export function providerFor(kind: ProviderConfig["kind"]): Provider {
  return PROVIDERS[kind];
}
