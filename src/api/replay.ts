/**
 * Replays a finished answer (cached, templated, rule-based) as canonical stream events, so a client that asked for
 * a stream gets one: text in word-sized chunks, tool calls whole, then finish and usage.
 */
import type { CanonicalResponse, StreamEvent } from "../canonical";

export async function* replayEvents(res: CanonicalResponse, chunkChars = 48): AsyncGenerator<StreamEvent> {
  const text = res.content ?? "";
  let i = 0;
  while (i < text.length) {
    // Cut at a space near chunkChars so words stay whole.
    let end = Math.min(text.length, i + chunkChars);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > i) end = space + 1;
    }
    yield { type: "text", text: text.slice(i, end) };
    i = end;
  }
  for (const [index, tc] of res.toolCalls.entries()) {
    yield { type: "toolCall", index, id: tc.id, name: tc.name, argumentsDelta: tc.arguments };
  }
  yield { type: "finish", finishReason: res.finishReason };
  if (res.usage) yield { type: "usage", usage: res.usage };
}
