/**
 * Workers AI request mapping: canonical request → the `inputs` of `ai.run`. Messages are plain `{role, content}`; the
 * chat templates have no structured tool-call history, so tool calls and results are flattened the way Cloudflare's
 * own `runWithTools` does it (assistant content = the call as JSON, then a `tool` message carrying the tool's name).
 */
import type { CanonicalRequest, Message } from "../canonical";
import { UpstreamError } from "../engine/errors";
import type { Target } from "./types";
import type { Json } from "./workers-ai-response";

/** The `inputs` argument of `ai.run` for a canonical request. */
export function toInputs(req: CanonicalRequest, target: Target): Json {
  const inputs: Json = {
    messages: toMessages(req.messages, target),
    // Workers AI defaults max_tokens to 256, which silently truncates most answers; send the model's own cap instead.
    max_tokens: req.maxTokens ?? target.model.maxOutputTokens,
  };
  if (req.stream) inputs.stream = true;
  if (req.temperature !== undefined) inputs.temperature = req.temperature;
  if (req.topP !== undefined) inputs.top_p = req.topP;

  // There is no tool_choice input: "none" is honoured by not offering tools, a named choice by offering only that one.
  let tools = req.toolChoice === "none" ? [] : (req.tools ?? []);
  const choice = req.toolChoice;
  if (typeof choice === "object") tools = tools.filter((t) => t.name === choice.name);
  if (tools.length > 0) {
    inputs.tools = tools.map((t) => ({
      type: "function",
      // The binding's schema requires a description.
      function: { name: t.name, description: t.description ?? "", parameters: t.parameters },
    }));
  }

  const rf = req.responseFormat;
  if (rf?.type === "json_schema") inputs.response_format = { type: "json_schema", json_schema: rf.schema };
  else if (rf?.type === "json_object") inputs.response_format = { type: "json_object" };
  return inputs;
}

function toMessages(messages: Message[], target: Target): Json[] {
  // Tool results name their call by id; the flattened form wants the tool's name, so remember it from the call.
  const toolNames = new Map<string, string>();
  const out: Json[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
        out.push({ role: "system", content: m.content });
        break;
      case "user":
        out.push({ role: "user", content: userContent(m.content, target) });
        break;
      case "assistant": {
        const calls = m.toolCalls ?? [];
        if ((m.content ?? "") !== "" || calls.length === 0) out.push({ role: "assistant", content: m.content ?? "" });
        for (const c of calls) {
          toolNames.set(c.id, c.name);
          const flat = { name: c.name, arguments: parseArguments(c.arguments) };
          out.push({ role: "assistant", content: JSON.stringify(flat) });
        }
        break;
      }
      case "tool":
        out.push({ role: "tool", name: toolNames.get(m.toolCallId), tool_call_id: m.toolCallId, content: m.content });
        break;
    }
  }
  return out;
}

function userContent(content: Extract<Message, { role: "user" }>["content"], target: Target): string | Json[] {
  if (typeof content === "string") return content;
  // Plain strings are the one content form every text-generation model accepts; parts only when there are images.
  if (content.every((p) => p.type === "text")) return content.map((p) => p.text).join("\n");
  return content.map((p) => {
    if (p.type === "text") return { type: "text", text: p.text };
    if (!p.url.startsWith("data:")) {
      // Vision models take data: URIs only. Another target may fetch the URL, so this is not the caller's fault.
      const what = `${target.provider.id} accepts only data: image URLs, not ${p.url.slice(0, 40)}`;
      throw new UpstreamError("misconfigured", what);
    }
    return { type: "image_url", image_url: { url: p.url } };
  });
}

/** Canonical arguments are JSON text; the flattened history carries them as an object, as the model produced them. */
function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}
