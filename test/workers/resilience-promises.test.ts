/**
 * README's resilience promises on Detour's own defaults (no timeout or retry overrides), as a caller would check them
 * from outside: each test is one promise, with the injected clock standing in for real waiting.
 */
import { describe, expect, it } from "vitest";
import { CALLER_KEYS, VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const STANDARD = "dtr_standard_key_00000003";
const KEYS = { ...CALLER_KEYS, [STANDARD]: { tenant: "std", tier: "standard" } };
/** Two targets, every timeout, retry and deadline at its built-in default. */
const DEFAULTS_CONFIG = { ...VENDOR_CONFIG, routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"] } } };

describe("a hung primary on the default timeouts", () => {
  it("is answered by the fallback after one first-byte timeout, not a 504 after two", async () => {
    const h = harness({ config: DEFAULTS_CONFIG, keys: KEYS });
    h.vendors.always("openai.test", { hang: true });
    h.vendors.always("anthropic.test", { text: "from the fallback" });
    const t0 = h.clock.now();
    // A standard caller is never hedged: only the attempts policy decides how long it waits.
    const r = await h.chat({}, { authorization: `Bearer ${STANDARD}`, "x-detour-trace": "1" });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("from the fallback");
    expect(r.json.detour.attempts.map((a: any) => `${a.provider}:${a.error_class ?? a.outcome}`)).toEqual(["alpha:timeout", "beta:ok"]);
    // One default first-byte timeout (30 s), then the fallback: a silent vendor is not waited on twice (it was: two
    // 30 s waits filled the 60 s deadline, and the caller got a 504 without the fallback ever being asked).
    expect(r.json.detour.attempts[0].ms).toBe(30_000);
    expect(h.clock.now() - t0).toBeLessThan(35_000);
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });
});
