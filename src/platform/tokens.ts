/**
 * Constant-time secret comparison, shared by caller authentication and the admin checks (middleware and the chat
 * pipeline's admin-only headers), so neither has to import the other. Values are compared as SHA-256 digests against
 * every candidate with no early exit, so neither timing nor length tells an attacker how close a guess was.
 */

/** SHA-256 of a string's UTF-8 bytes. */
export async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

/** Compare `presented` against every key (no early exit) and return the matching key's value, if any. */
export async function findToken<T>(presented: string, entries: [string, T][]): Promise<T | undefined> {
  const p = await digest(presented);
  let found: T | undefined;
  for (const [key, value] of entries) {
    const k = await digest(key);
    let diff = 0;
    for (let i = 0; i < k.length; i++) diff |= k[i]! ^ p[i]!;
    if (diff === 0) found = value;
  }
  return found;
}

/** DETOUR_ADMIN_TOKEN's minimum length: shorter tokens are a configuration error (src/middleware/auth.ts). */
export const MIN_ADMIN_TOKEN = 32;

/** Constant-time check of a presented admin token; false when either is missing or the token is too short to trust. */
export async function isAdminToken(presented: string | undefined, token: string | undefined): Promise<boolean> {
  if (!presented || !token || token.length < MIN_ADMIN_TOKEN) return false;
  return (await findToken(presented, [[token, true]])) === true;
}
