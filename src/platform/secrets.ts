/**
 * A secret by the name the config gives it (a provider's `apiKeySecret`): its value when set and non-empty, else
 * undefined. One reading for the vendor call (src/pipeline/deps.ts) and for /status and /metrics, which name a
 * provider whose secret is missing (src/routes/operator.ts).
 */
export function secretIn(env: object, name: string): string | undefined {
  const v = (env as Record<string, unknown>)[name];
  return typeof v === "string" && v !== "" ? v : undefined;
}
