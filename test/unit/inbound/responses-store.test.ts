/** The pure parts of Responses storage: its config's errors, item ids that name their response, conversations rebuilt from stored items. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/load";
import { buildResponses, validateResponses } from "../../../src/inbound/responses-request";
import { responseIdOfItem, withItemIds } from "../../../src/inbound/responses-store";
import { VENDOR_CONFIG } from "../../support/config";

const load = (responses: unknown) => loadConfig(JSON.stringify({ ...VENDOR_CONFIG, responses }));

describe("responses.store config", () => {
  it("defaults to on, 7 days", () => {
    expect(loadConfig(JSON.stringify(VENDOR_CONFIG)).config.responses.store).toEqual({ enabled: true, ttlSeconds: 604_800, readTimeoutMs: 2000 });
    expect(load({ store: { enabled: false } }).config.responses.store.enabled).toBe(false);
  });

  it.each([
    [{ store: { ttlSeconds: 30 } }, "responses.store.ttlSeconds: responses.store.ttlSeconds must be at least 60 (KV's shortest expiry)"],
    [{ store: { ttlSeconds: 1.5e9 } }, "responses.store.ttlSeconds: responses.store.ttlSeconds must be at most 31536000 (a year)"],
    [{ store: { ttlSeconds: "7d" } }, "responses.store.ttlSeconds: responses.store.ttlSeconds must be a number of seconds"],
    [{ store: { enabled: true, ttl: 60 } }, "responses.store: Unrecognized key"],
  ])("refuses %j with an error naming the field", (responses, message) => {
    expect(() => load(responses)).toThrow(ConfigError);
    try {
      load(responses);
    } catch (err) {
      expect((err as ConfigError).issues.join("; ")).toContain(message);
    }
  });
});

describe("item ids name their response", () => {
  it("maps output and input item ids to the response, and nothing else", () => {
    expect(responseIdOfItem("msg_0123abcd_0")).toBe("resp_0123abcd");
    expect(responseIdOfItem("fc_0123abcd_2")).toBe("resp_0123abcd");
    expect(responseIdOfItem("fco_0123abcd_in3")).toBe("resp_0123abcd");
    for (const id of ["msg_1", "rs_0123abcd_0", "msg_a/b_0", "msg__0", `msg_${"a".repeat(129)}_0`]) expect(responseIdOfItem(id)).toBeUndefined();
  });

  it("gives input items without an id one that names the response, and keeps the caller's ids", () => {
    const items = withItemIds("resp_abc", [
      { role: "user", content: "hi" },
      { type: "function_call", call_id: "c", name: "f", arguments: "{}", id: "fc_xyz_0" },
      { type: "function_call_output", call_id: "c", output: "r" },
    ]);
    expect(items.map((i) => (i as { id: string }).id)).toEqual(["msg_abc_in0", "fc_xyz_0", "fco_abc_in2"]);
    expect(items.map((i) => responseIdOfItem((i as { id: string }).id))).toEqual(["resp_abc", "resp_xyz", "resp_abc"]);
  });
});

describe("a request continued from stored items", () => {
  const previous = [
    { type: "message", role: "user", content: "weather?", id: "msg_r1_in0" },
    { type: "function_call", call_id: "call_1", name: "weather", arguments: "{}", id: "fc_r1_0", status: "completed" },
  ];
  it("prepends the previous conversation; a function_call_output may answer a stored call", () => {
    const b = validateResponses({ model: "auto", input: [{ type: "function_call_output", call_id: "call_1", output: "sunny" }], previous_response_id: "resp_r1" }, 64);
    const { request, input } = buildResponses(b, { previous, items: new Map() });
    expect(request.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(input).toHaveLength(3);
  });
  it("replaces an item_reference with the stored item; one not found is a 404 naming the caller's index", () => {
    const assistant = { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi!" }], id: "msg_r1_0" };
    const b = validateResponses({ model: "auto", input: [{ role: "user", content: "hello" }, { type: "item_reference", id: "msg_r1_0" }, { role: "user", content: "again" }] }, 64);
    const { request } = buildResponses(b, { previous: [], items: new Map([["msg_r1_0", assistant]]) });
    expect(request.messages).toEqual([
      { role: "user", content: "hello" },
      { role: "assistant", content: "Hi!" },
      { role: "user", content: "again" },
    ]);
    expect(() => buildResponses(b, { previous: [], items: new Map() })).toThrow(expect.objectContaining({ status: 404, code: "item_not_found", param: "input[1]" }));
  });
});
