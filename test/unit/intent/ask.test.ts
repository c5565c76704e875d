/** Finding the ask of a chat message (src/intent/ask.ts): what meaning keys are built from. */
import { describe, expect, it } from "vitest";
import { askOf } from "../../../src/intent/ask";

describe("askOf", () => {
  it.each([
    ["hi, bought this last week and it stopped working — how do I send it back?", "how do I send it back?"],
    ["Hello team.\nOur auditor asked for everything. How do I export my data? Thanks!", "How do I export my data?"],
    ["ok so the app keeps logging me out. please delete my account", "please delete my account"],
    ["my card expired last month, I need to update my payment details", "I need to update my payment details"],
    ["hey, if I cancel now, do I get a refund?", "if I cancel now, do I get a refund?"],
    ["Do you ship to Norway, Sweden, or Denmark?", undefined], // the whole message is its question
  ])("%s asks %s", (text, ask) => {
    expect(askOf(text)?.ask).toBe(ask);
  });

  it("keeps the context told right before the ask, for a pronoun to point at", () => {
    expect(askOf("my parcel never came. where is it?")).toEqual({ ask: "where is it?", context: "my parcel never came." });
  });

  it("has no ask when nothing asks: statements, greetings, a story", () => {
    expect(askOf("Hi there! Thanks so much.")).toBeUndefined();
    expect(askOf("I was charged twice. The second charge is from March.")).toBeUndefined();
    expect(askOf("How do I reset my password?")).toBeUndefined();
  });

  it("reads a long preamble as a document the question is about, not as chat context", () => {
    const essay = "The committee met on Tuesday to discuss the budget for the coming year, and after a long debate about priorities, staffing and the new building they agreed to postpone the decision until the spring.";
    expect(askOf(`${essay} Please proofread it.`)).toBeUndefined();
    expect(askOf("hey. finished it yesterday. Please proofread it. The committee met on Tuesday.")?.ask).toBe("Please proofread it., The committee met on Tuesday.");
  });

  it("leaves out context that tells what happened, keeps context that states how things are", () => {
    expect(askOf("hi, bought a lamp last week and it broke. can I return it?")?.ask).toBe("can I return it?");
    expect(askOf("hi, I live in Canada. how long does shipping take?")?.ask).toBe("I live in Canada., how long does shipping take?");
    expect(askOf("hi, we're on the premium plan. how do I add a user?")?.ask).toBe("we're on the premium plan., how do I add a user?");
  });

  it("a past-tense verb that names an action tells what happened, it is no order", () => {
    expect(askOf("cancelled my order yesterday. when will the refund arrive?")?.ask).toBe("when will the refund arrive?");
  });
});
