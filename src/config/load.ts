/**
 * Loads DETOUR_CONFIG once per distinct value (isolates are reused across requests) and the caller keys from the
 * DETOUR_API_KEYS secret. Every failure is a `ConfigError` listing each zod issue with its path, never a stack trace.
 */
import * as z from "../zod";
import { DEFAULT_CONFIG } from "./default";
import { jsonErrorOffset } from "./json-position";
import { DetourConfig } from "./schema";
import { Tier } from "./tier";

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`${source} is invalid: ${issues.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** `a.b[2].c: message` for each issue. */
export function formatIssues(error: z.core.$ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.reduce<string>(
      (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
      "",
    );
    // A record key's own check (a route name with '/') comes nested under zod's bare "Invalid key in record".
    const nested = i.code === "invalid_key" ? i.issues.map((n) => n.message).join("; ") : "";
    return `${path || "(root)"}: ${nested || i.message}`;
  });
}

export interface LoadedConfig {
  config: DetourConfig;
  /** True when DETOUR_CONFIG was empty and the simulated default is in use. */
  isDefault: boolean;
}

let memo: { raw: string; loaded: LoadedConfig } | undefined;

/** Parse and validate DETOUR_CONFIG (empty/unset → the simulated default). Throws `ConfigError`. */
export function loadConfig(raw: string | undefined): LoadedConfig {
  const key = raw?.trim() ?? "";
  if (memo && memo.raw === key) return memo.loaded;
  let input: unknown = DEFAULT_CONFIG;
  if (key !== "") {
    try {
      input = JSON.parse(key);
    } catch (err) {
      // Only the position: V8's own message quotes the text around the error, and the config can hold header values
      // (an org id, a token a vendor wants) — and this error is answered before any caller is authenticated.
      const where = jsonErrorWhere(key, err);
      // One line that ends early is what a multi-line config becomes in .dev.vars or at wrangler's one-line prompt.
      const cut = where === " (it ends too early)" && !key.includes("\n")
        ? "; if it spans several lines, put it on one line in .dev.vars, or pipe the file: npx wrangler secret put DETOUR_CONFIG < detour-config.json"
        : "";
      throw new ConfigError("DETOUR_CONFIG", [`(root): not valid JSON${where}${cut}`]);
    }
  }
  const parsed = DetourConfig.safeParse(input);
  if (!parsed.success) throw new ConfigError("DETOUR_CONFIG", formatIssues(parsed.error));
  const loaded = { config: parsed.data, isDefault: key === "" };
  memo = { raw: key, loaded };
  return loaded;
}

/**
 * " at line L, column C" for a JSON.parse error: from V8's position when it gives one, else from our own scan
 * (workerd's V8 gives none for an unexpected token); " (it ends too early)" at the end of the text; "" if neither.
 */
export function jsonErrorWhere(text: string, err: unknown): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : "");
  const pos = m ? Math.min(Number(m[1]), text.length) : jsonErrorOffset(text);
  if (pos === undefined) return /end of JSON input/i.test(err instanceof Error ? err.message : "") ? " (it ends too early)" : "";
  if (pos >= text.length) return " (it ends too early)";
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column} (character ${pos})`;
}

export const CallerKeys = z.record(
  z.string().check(z.minLength(16, "gateway keys must be at least 16 characters")),
  z.strictObject({
    tenant: z.string().check(z.minLength(1)),
    tier: Tier,
    /** false: this tenant's requests are never mirrored to shadow targets (docs/readiness.md). */
    shadow: z.optional(z.boolean()),
  }),
);
export type CallerKeys = z.infer<typeof CallerKeys>;

let keysMemo: { raw: string; keys: CallerKeys } | undefined;

/** Parse DETOUR_API_KEYS (unset/empty → no keys). Throws `ConfigError`; issue paths name the key's position, never the key. */
export function loadCallerKeys(raw: string | undefined): CallerKeys {
  const key = raw?.trim() ?? "";
  if (key === "") return {};
  if (keysMemo && keysMemo.raw === key) return keysMemo.keys;
  let input: unknown;
  try {
    input = JSON.parse(key);
  } catch {
    throw new ConfigError("DETOUR_API_KEYS", ["(root): not valid JSON"]);
  }
  const parsed = CallerKeys.safeParse(input);
  if (!parsed.success) {
    // Paths would contain the keys themselves (they are the record's keys): replace them by their position.
    const names = input && typeof input === "object" ? Object.keys(input) : [];
    const issues = parsed.error.issues.map((i) => {
      const [first, ...rest] = i.path;
      const idx = names.indexOf(String(first));
      const where = first === undefined ? "(root)" : `key #${idx + 1}${rest.length ? "." + rest.join(".") : ""}`;
      return `${where}: ${i.message}`;
    });
    throw new ConfigError("DETOUR_API_KEYS", issues);
  }
  keysMemo = { raw: key, keys: parsed.data };
  return parsed.data;
}
