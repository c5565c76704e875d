/**
 * Attempt reports reach ProviderHealth as they happen: a failed attempt is not held back until the request's stream
 * has ended. The second provider's stream stalls after its first content and only ends when the manual clock fires
 * its stall timer, so "before the stream ends" is under the test's control, with no real sleeps.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProviderHealth } from "../../durable-objects/provider-health";
import type { ProviderCounters } from "../../src/breakers/types";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";

const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

/** The counters a provider's ProviderHealth object has persisted (undefined before its first record). */
async function countersOf(h: ReturnType<typeof harness>, provider: string): Promise<ProviderCounters | undefined> {
  // The harness prefixes object names per test; the real namespace reaches the same object for runInDurableObject.
  const id = h.env.PROVIDER_HEALTH.idFromName(provider);
  return runInDurableObject(env.PROVIDER_HEALTH.get(id), async (_o: ProviderHealth, state) => (await state.storage.get<{ counters: ProviderCounters }>("state"))?.counters);
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const dec = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += dec.decode(value);
  }
}

describe("attempt reports", () => {
  it("a streamed request's first-provider 503 reaches ProviderHealth before the second provider's stream ends", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { text: "slow answer, still coming", chunks: 4, stallAfterEvents: 4 });
    const ctx = createExecutionContext();
    const request = new Request("https://detour.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${PREMIUM}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "auto", stream: true, messages: [{ role: "user", content: "Say hello" }] }),
    });
    const res = await h.app.fetch(request, h.env, ctx);
    expect(res.headers.get("x-detour-provider")).toBe("beta");
    expect(res.headers.get("x-detour-mode")).toBe("failover");

    // Read up to the first content: the stream is live, and stalled after it.
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let seen = "";
    for (let i = 0; i < 5 && !seen.includes('"content":"slow'); i++) seen += dec.decode((await reader.read()).value);
    expect(seen).toContain('"content":"slow');

    // Background work so far (the failure report among it) has settled; the stream has not.
    await waitOnExecutionContext(ctx);
    expect(h.logs).toHaveLength(0);
    expect((await countersOf(h, "alpha"))?.requests).toEqual({ server_error: 1 });
    // The committed stream reports itself only when it settles.
    expect((await countersOf(h, "beta"))?.requests ?? {}).toEqual({});

    // Now let the stall timer end the stream: an explicit error, then its own report and the log line.
    const rest = await h.clock.run(readAll(reader));
    expect(rest).toContain("upstream_stall");
    expect(h.logs.at(-1)).toMatchObject({ provider: "beta", stream_error: "stall" });
    await h.clock.run(h.clock.settle());
  });
});
