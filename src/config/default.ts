/**
 * The embedded default: three simulated providers with distinct speed, price and capability, so Detour runs on a fresh
 * machine with no keys and no network. Each answers deterministically in the real OpenAI wire format (JSON and SSE)
 * from inside the worker (src/providers/simulated.ts).
 */
import type * as z from "../zod";
import type { DetourConfig } from "./schema";

export const DEFAULT_CONFIG: z.input<typeof DetourConfig> = {
  providers: [
    {
      // Fast and cheap, small context, no vision: the model you route easy work to.
      id: "swift",
      kind: "simulated",
      simulated: { latencyMs: 40, chunkDelayMs: 15, wordsPerChunk: 2, voice: "swift" },
      models: [
        {
          id: "swift-mini",
          contextWindow: 16_384,
          maxOutputTokens: 2048,
          tools: true,
          json: true,
          price: { input: 0.15, output: 0.6 },
        },
      ],
    },
    {
      // Middle of the road: JSON but no tools.
      id: "ember",
      kind: "simulated",
      simulated: { latencyMs: 120, chunkDelayMs: 30, wordsPerChunk: 3, voice: "ember" },
      models: [
        {
          id: "ember-medium",
          contextWindow: 32_768,
          maxOutputTokens: 4096,
          json: true,
          price: { input: 0.5, output: 1.5 },
        },
      ],
    },
    {
      // Slow, expensive, large context, every capability: the most reliable path.
      id: "sage",
      kind: "simulated",
      simulated: { latencyMs: 300, chunkDelayMs: 40, wordsPerChunk: 4, voice: "sage" },
      models: [
        {
          id: "sage-large",
          contextWindow: 200_000,
          maxOutputTokens: 8192,
          tools: true,
          json: true,
          vision: true,
          price: { input: 3, output: 15 },
        },
      ],
    },
  ],
  routes: {
    auto: {
      description: "cheapest first, failing over to the larger models",
      targets: ["swift/swift-mini", "ember/ember-medium", "sage/sage-large"],
    },
    quality: { description: "the strongest model first", targets: ["sage/sage-large", "swift/swift-mini"] },
    fast: { description: "the fastest model only", targets: ["swift/swift-mini"] },
  },
};

/** Built-in policy defaults, used where neither the route, the provider nor `defaults` in config says otherwise. */
export const BUILTIN_RETRY = {
  maxRetries: 1,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  retryAfterCapMs: 5_000,
} as const;

export const BUILTIN_TIMEOUTS = {
  /** Non-streaming vendors send headers only when the whole answer is ready, so this bounds a JSON attempt. */
  firstByteMs: 30_000,
  stallMs: 15_000,
  deadlineMs: 60_000,
} as const;
