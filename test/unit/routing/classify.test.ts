import { describe, expect, it } from "vitest";
import type { CanonicalRequest, ResponseFormat } from "../../../src/canonical";
import { classify, estimateInputTokens, IMAGE_TOKENS, needsOf, TaskClass } from "../../../src/routing/classify";

function req(user: string, extra: Partial<CanonicalRequest> = {}, system?: string): CanonicalRequest {
  const messages: CanonicalRequest["messages"] = [{ role: "user", content: user }];
  if (system !== undefined) messages.unshift({ role: "system", content: system });
  return { messages, stream: false, includeUsage: false, ...extra };
}

const schema = (properties: Record<string, unknown>): ResponseFormat => ({
  type: "json_schema",
  name: "out",
  schema: { type: "object", properties },
});
const enumSchema = schema({ label: { type: "string", enum: ["billing", "bug", "other"] } });
const fieldsSchema = schema({ email: { type: "string" }, date: { type: "string" } });

describe("classify: heuristics", () => {
  it.each<[TaskClass, string, Partial<CanonicalRequest>?, string?]>([
    ["extraction", "Extract every email address and date from this message: ...", { responseFormat: fieldsSchema }],
    ["extraction", "Pull out the invoice number and total.", undefined],
    ["extraction", "Parse this address into street, city and zip: 1 Main St, Springfield 12345", { responseFormat: fieldsSchema }],
    ["extraction", "find all the dates mentioned below", undefined],
    ["classification", "Classify this ticket: 'I was charged twice this month'", undefined],
    ["classification", "Categorize the following feedback.", undefined],
    ["classification", "What is the sentiment of: 'the battery died after a day'?", undefined],
    ["classification", "Which category does this belong to: refund, shipping, other?", undefined],
    ["classification", "Ticket: my card was charged twice", { responseFormat: enumSchema }],
    ["classification", "You read support tickets.", { responseFormat: enumSchema }, "Label each ticket by team."],
    ["summarization", "Summarize this article in three bullet points: ...", undefined],
    ["summarization", "tl;dr of the thread below please", undefined],
    ["summarization", "Write a one-paragraph summary of the meeting notes.", undefined],
    ["rewrite", "Rewrite this email to sound more polite.", undefined],
    ["rewrite", "Rephrase: we regret to inform you", undefined],
    ["rewrite", "Translate 'good morning' into French.", undefined],
    ["rewrite", "fix grammar: me and him goes to school", undefined],
    ["rewrite", "Make it more concise: ...", undefined],
    ["code", "Why does this fail?\n```js\nconst x = y.z;\n```", undefined],
    ["code", "Write a Python script that renames files.", undefined],
    ["code", "I get TypeError: cannot read properties of undefined", undefined],
    ["code", "Traceback (most recent call last):\n  File \"a.py\", line 1", undefined],
    ["code", "Implement a debounce function with a bug-free cancel.", undefined],
    ["code", "How do I do this in C++?", undefined],
    ["reasoning", "Prove that the square root of 2 is irrational.", undefined],
    ["reasoning", "Think about it step by step: how many weighings find the fake coin?", undefined],
    ["reasoning", "Why do interest rates rise when inflation does?", undefined],
    ["reasoning", "What changed in 2008? Who was affected? How did policy respond?", undefined],
    ["chat", "hi there!", undefined],
    ["chat", "What's a good name for a golden retriever?", undefined],
    ["chat", "Tell me a joke about penguins", undefined, "You are a helpful assistant."],
  ])("%s ← %j", (expected, user, extra, system) => {
    const c = classify(req(user, extra ?? {}, system));
    expect(c.source).toBe("classifier");
    expect(c.taskClass).toBe(expected);
    expect(c.reasons[0]).toMatch(new RegExp(`^classifier: ${expected}`));
  });

  it("lets the instruction win over words inside a long pasted document", () => {
    const filler = "Revenue grew in every region this quarter. ".repeat(50); // ~2k neutral characters each side
    const noise = "Why the label on the function mattered to everyone. ".repeat(20);
    const c = classify(req(`Summarize the following report.\n\n${filler}${noise}${filler}\n\nKeep it under 100 words.`));
    expect(c.taskClass).toBe("summarization");
  });

  it("a code fence anywhere in a long message still counts", () => {
    const c = classify(req(`${"context ".repeat(800)}\n\`\`\`ts\nlet a = 1\n\`\`\`\n${"more ".repeat(800)}`));
    expect(c.taskClass).toBe("code");
  });

  it("breaks ties toward the narrower class", () => {
    // extraction verb (2) vs summary request (2): extraction is listed first.
    expect(classify(req("Summarize and extract the action items.")).taskClass).toBe("extraction");
  });

  it("records every signal it used", () => {
    const c = classify(req("Classify this ticket", { responseFormat: enumSchema }));
    expect(c.reasons[0]).toContain("classification verb → classification +2");
    expect(c.reasons[0]).toContain("json_schema with an enum → classification +2");
  });
});

describe("classify: precedence", () => {
  const codey = req("```py\nprint(1)\n```");

  it.each<[string, { routeClass?: TaskClass; header?: string }, TaskClass, "route" | "header" | "classifier", RegExp]>([
    ["route config beats header and heuristics", { routeClass: "summarization", header: "rewrite" }, "summarization", "route", /ignored: the route sets/],
    ["route config alone", { routeClass: "chat" }, "chat", "route", /^route config class: chat$/],
    ["a valid header beats heuristics", { header: "extraction" }, "extraction", "header", /^x-detour-task: extraction$/],
    ["header is trimmed and case-folded", { header: "  Reasoning " }, "reasoning", "header", /^x-detour-task: reasoning$/],
    ["an invalid header is ignored, not an error", { header: "poetry" }, "code", "classifier", /x-detour-task ignored: "poetry" is not one of/],
    ["an empty header is no header", { header: "  " }, "code", "classifier", /^classifier: code/],
  ])("%s", (_name, hint, taskClass, source, reason) => {
    const c = classify(codey, hint);
    expect(c.taskClass).toBe(taskClass);
    expect(c.source).toBe(source);
    expect(c.reasons.some((r) => reason.test(r))).toBe(true);
  });

  it("echoes only a short prefix of a junk header", () => {
    const c = classify(req("hi"), { header: "x".repeat(5000) });
    expect(c.reasons.join("\n").length).toBeLessThan(400);
  });
});

describe("classify: needs", () => {
  const tool = { name: "lookup_order", parameters: { type: "object", properties: { id: { type: "string" } } } };

  it.each<[string, CanonicalRequest, Partial<ReturnType<typeof needsOf>>]>([
    ["plain text", req("hi"), { tools: false, json: false, vision: false }],
    ["tools", req("where is order 7?", { tools: [tool] }), { tools: true }],
    [
      "tool history without tool definitions",
      req("", {
        messages: [
          { role: "user", content: "where is order 7?" },
          { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "lookup_order", arguments: "{\"id\":\"7\"}" }] },
          { role: "tool", toolCallId: "c1", content: "{\"status\":\"shipped\"}" },
        ],
      }),
      { tools: true },
    ],
    ["json_object", req("list 3 colours as JSON", { responseFormat: { type: "json_object" } }), { json: true }],
    ["json_schema", req("extract", { responseFormat: fieldsSchema }), { json: true }],
    ["text format", req("hi", { responseFormat: { type: "text" } }), { json: false }],
    ["vision", req("", { messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image", url: "https://x/a.png" }] }] }), { vision: true }],
    ["max output", req("hi", { maxTokens: 256 }), { maxOutputTokens: 256 }],
  ])("%s", (_name, r, expected) => {
    expect(needsOf(r)).toMatchObject(expected);
    if (!("maxOutputTokens" in expected)) expect(needsOf(r)).not.toHaveProperty("maxOutputTokens");
    expect(classify(r).needs).toEqual(needsOf(r));
  });

  it("tools keep the class and are recorded as a need", () => {
    const c = classify(req("Extract the order id from: 'order 7 is late'", { tools: [tool] }));
    expect(c.taskClass).toBe("extraction");
    expect(c.reasons).toContain("tools present: needs a tool-capable model");
  });

  it("needs are reported whatever decided the class", () => {
    const c = classify(req("hi", { tools: [tool], maxTokens: 10 }), { routeClass: "chat" });
    expect(c.needs).toEqual({ tools: true, json: false, vision: false, maxOutputTokens: 10 });
  });
});

describe("estimateInputTokens", () => {
  it.each<[string, CanonicalRequest, number]>([
    ["ceil(chars / 4) of one message", req("abcde"), 2],
    ["exactly divisible", req("a".repeat(400)), 100],
    ["sums system and user text", req("a".repeat(10), {}, "b".repeat(10)), 5],
    ["adds a fixed cost per image", req("", { messages: [{ role: "user", content: [{ type: "text", text: "abcd" }, { type: "image", url: "data:," }, { type: "image", url: "https://x" }] }] }), 1 + 2 * IMAGE_TOKENS],
    [
      "counts assistant text and tool calls, and tool results",
      req("", {
        messages: [
          { role: "user", content: "aaaa" },
          { role: "assistant", content: "bbbb", toolCalls: [{ id: "1", name: "ff", arguments: "gg" }] },
          { role: "tool", toolCallId: "1", content: "cccc" },
        ],
      }),
      4,
    ],
    ["counts tool definitions", req("", { tools: [{ name: "abcd", description: "efgh", parameters: {} }] }), Math.ceil((0 + 4 + 4 + 2) / 4)],
    ["counts CJK characters one each", req("東京は晴れ"), 5],
    ["an empty prompt is zero", req(""), 0],
  ])("%s", (_name, r, expected) => {
    expect(estimateInputTokens(r)).toBe(expected);
    expect(classify(r).estimatedInputTokens).toBe(expected);
  });
});
