/**
 * Realistic operator mistakes in DETOUR_CONFIG, through the worker: each is a 500 `invalid_config` whose message names
 * the path at fault in words the operator can act on — never an internal error, a stack, or a silent default.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const base = () => JSON.parse(JSON.stringify({
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], timeouts: { firstByteMs: 5000 } } },
})) as any;

const mistakes: [string, (c: any) => void, string][] = [
  ["a typo in a field name", (c) => { c.routes.auto.timeouts = { firstByteMS: 5000 }; }, 'routes.auto.timeouts: Unrecognized key: "firstByteMS"'],
  ["baseURL for baseUrl", (c) => { c.providers[0].baseURL = c.providers[0].baseUrl; delete c.providers[0].baseUrl; }, 'providers[0]: Unrecognized key: "baseURL"; providers[0].baseUrl: an openai provider needs baseUrl'],
  ["a number as a string", (c) => { c.routes.auto.retry = { maxRetries: "2" }; }, "routes.auto.retry.maxRetries: Invalid input: expected number"],
  ["a route naming a provider that does not exist", (c) => { c.routes.auto.targets.push("delta/gpt-4o"); }, "routes.auto.targets[2]: unknown provider 'delta'"],
  ["a route naming a model the provider lacks", (c) => { c.routes.auto.targets.push("alpha/gpt-5"); }, "routes.auto.targets[2]: provider 'alpha' has no model 'gpt-5'"],
  ["duplicate provider ids", (c) => { c.providers.push({ ...c.providers[0] }); }, "providers[3].id: duplicate provider alpha"],
  ["a negative timeout", (c) => { c.routes.auto.timeouts.firstByteMs = -5; }, "routes.auto.timeouts.firstByteMs: Too small"],
  ["the key itself where its secret's name goes", (c) => { c.providers[0].apiKeySecret = "sk-proj-abc123"; }, "providers[0].apiKeySecret: must be a secret name like OPENAI_API_KEY"],
  ["a misspelt kind", (c) => { c.providers[0].kind = "open-ai"; }, "providers[0].kind: Invalid option"],
  ["a target without its model", (c) => { c.routes.auto.targets = ["alpha"]; }, "routes.auto.targets[0]: a target is 'provider/model'"],
  ["a route name with a slash", (c) => { c.routes["team/support"] = { targets: ["alpha/gpt-4o-mini"] }; }, "routes.team/support: route names cannot contain '/'"],
  ["a route deadline above the ceiling", (c) => { c.routes.auto.timeouts.deadlineMs = 300_000; }, "routes.auto.timeouts.deadlineMs: 300000 is above defaults.maxDeadlineMs (120000)"],
  ["a default deadline above the ceiling", (c) => { c.defaults = { timeouts: { deadlineMs: 200_000 }, maxDeadlineMs: 150_000 }; }, "defaults.timeouts.deadlineMs: 200000 is above defaults.maxDeadlineMs (150000)"],
];

describe("operator mistakes in DETOUR_CONFIG", () => {
  it.each(mistakes)("%s: a 500 invalid_config naming the path", async (_name, mutate, expected) => {
    const config = base();
    mutate(config);
    const h = harness({ config });
    const r = await h.chat({});
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe("invalid_config");
    expect(r.json.error.message).toContain(expected);
    expect(r.json.error.message).not.toMatch(/\n\s+at |Internal error/);
  });

  it("a target without its model is not also reported as an unknown, truncated provider", async () => {
    const config = base();
    config.routes.auto.targets = ["alpha"];
    const r = await harness({ config }).chat({});
    expect(r.json.error.message).not.toContain("unknown provider 'alph'");
  });

  it("/healthz fails too, so a deploy check or an uptime monitor sees the broken config", async () => {
    const config = base();
    config.routes.auto.targets.push("delta/gpt-4o");
    const r = await harness({ config }).call("/healthz", { headers: { authorization: "" } });
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe("invalid_config");
    expect(r.json.error.message).toContain("unknown provider 'delta'");
    expect((await harness({ config: base() }).call("/healthz", { headers: { authorization: "" } })).json).toEqual({ ok: true });
  });

  it.each([
    ["DETOUR_API_KEYS that is not JSON", { DETOUR_API_KEYS: "{acme: premium}" }, "DETOUR_API_KEYS is invalid"],
    ["a short DETOUR_ADMIN_TOKEN", { DETOUR_ADMIN_TOKEN: "changeme" }, "DETOUR_ADMIN_TOKEN is invalid"],
  ])("/healthz also fails on %s, which breaks the routes behind it", async (_n, extraEnv, expected) => {
    const r = await harness({ config: base(), extraEnv }).call("/healthz", { headers: { authorization: "" } });
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain(expected);
    expect(r.json.error.message).not.toContain("changeme");
  });

  it("/healthz fails when real providers have no DETOUR_API_KEYS, since every /v1 request would", async () => {
    const h = harness({ config: base(), keys: null });
    const r = await h.call("/healthz");
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("DETOUR_API_KEYS");
    expect((await h.chat({})).status).toBe(500);
  });

  it("a config cut at its first line (multi-line JSON in .dev.vars, or pasted at wrangler's prompt) says how to set it", async () => {
    const r = await harness({ config: "{" }).chat({});
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("not valid JSON");
    expect(r.json.error.message).toContain("one line");
    expect(r.json.error.message).toContain("wrangler secret put DETOUR_CONFIG < ");
  });

  it("a one-line config with a mistake in the middle gets no such hint", async () => {
    const r = await harness({ config: '{"providers": [], "routes": {},}' }).chat({});
    expect(r.json.error.message).toContain("not valid JSON at line 1");
    expect(r.json.error.message).not.toContain("one line");
  });

  it.each([
    ["an unquoted target", '{\n  "providers": [],\n  "routes": {"auto": {"targets": [alpha/gpt-4o-mini]}}\n}', "line 3, column 35"],
    ["a misspelt literal", '{"allowAnonymous": tru}', "line 1, column 20"],
    ["a bracket where a value belongs", '{"providers": [}', "line 1, column 16"],
  ])("JSON with %s names its line and column (workerd's V8 gives no position for these)", async (_n, text, where) => {
    const r = await harness({ config: text }).chat({});
    expect(r.json.error.message).toContain(`not valid JSON at ${where}`);
    expect(r.json.error.message).not.toContain("alpha/gpt-4o-mini");
  });

  it("the base config itself is valid (so each case above fails for its own mistake)", async () => {
    const h = harness({ config: base() });
    h.vendors.always("openai.test", { text: "fine" });
    expect((await h.chat({})).status).toBe(200);
  });
});
