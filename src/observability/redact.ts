/**
 * Secrets must never reach logs, traces or error bodies. Vendor error messages sometimes echo part of a key
 * ("Incorrect API key provided: sk-abc…xyz"), so every vendor message passes through here before anyone sees it.
 */
const KEY_PATTERNS = [/\bsk-[A-Za-z0-9_\-*.]{6,}/g, /\bsk-ant-[A-Za-z0-9_\-*.]{6,}/g, /\bAIza[0-9A-Za-z_\-]{10,}/g, /\bBearer\s+[A-Za-z0-9._\-~+/=]{8,}/gi];
/** A literal every key pattern starts with: text without one (most log lines) skips the four passes above. */
const ANY_KEY_PREFIX = /sk-|AIza|bearer/i;

export function redact(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  }
  if (!ANY_KEY_PREFIX.test(out)) return out;
  for (const re of KEY_PATTERNS) out = out.replace(re, "[redacted]");
  return out;
}
