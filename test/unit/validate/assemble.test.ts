import { describe, expect, it } from "vitest";
import { assemble } from "../../../src/engine/buffered";

describe("assemble: a buffered stream as one answer", () => {
  it("joins text, merges tool-call deltas by index, keeps finish and usage", () => {
    expect(
      assemble(
        [
          { type: "text", text: '{"a":' },
          { type: "text", text: "1}" },
          { type: "toolCall", index: 0, id: "c1", name: "f", argumentsDelta: '{"x"' },
          { type: "toolCall", index: 1, id: "c2", name: "g", argumentsDelta: "{}" },
          { type: "toolCall", index: 0, argumentsDelta: ":2}" },
          { type: "finish", finishReason: "tool_calls" },
          { type: "usage", usage: { inputTokens: 3, outputTokens: 4 } },
        ],
        "m",
      ),
    ).toEqual({
      model: "m",
      content: '{"a":1}',
      toolCalls: [
        { id: "c1", name: "f", arguments: '{"x":2}' },
        { id: "c2", name: "g", arguments: "{}" },
      ],
      finishReason: "tool_calls",
      usage: { inputTokens: 3, outputTokens: 4 },
    });
  });
  it("a stream without its finish makes no answer; no text is null content", () => {
    expect(assemble([{ type: "text", text: "cut" }], "m")).toBeUndefined();
    expect(assemble([{ type: "finish", finishReason: "stop" }], "m")?.content).toBeNull();
  });
});
