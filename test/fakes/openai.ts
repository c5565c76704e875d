/**
 * A fake api.openai.com Chat Completions endpoint. It validates what the real one validates first (path, Bearer auth,
 * JSON body with model and messages), then plays the `FakeScript` in OpenAI's real wire format: error bodies
 * `{error:{message,type,param,code}}`, `chat.completion` JSON, and `chat.completion.chunk` SSE ending in `[DONE]`.
 */
import { openaiChunks, openaiCompletion, openaiErrorBody, openaiMalformed, openaiUsage, splitText, type OpenAIError } from "../../src/wire";
import { sseResponse, untilAborted, type FakeScript } from "./script";

const FINGERPRINT = "fp_fake0001";

function errorResponse(status: number, error: OpenAIError, headers: Record<string, string> = {}): Response {
  return new Response(openaiErrorBody(error), { status, headers: { "content-type": "application/json", ...headers } });
}

/** The error body OpenAI sends for a status, with the script's message/code overriding. */
function scriptedError(script: FakeScript, model: string): Response {
  const status = script.status!;
  const base = ((): OpenAIError => {
    if (status === 429) {
      return {
        message: `Rate limit reached for ${model} in organization org-fake on tokens per min (TPM): Limit 30000, Used 30000, Requested 512. Please try again in 1.024s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        type: "tokens",
        code: "rate_limit_exceeded",
      };
    }
    if (status === 400 && script.errorCode === "context_length_exceeded") {
      return {
        message: `This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.`,
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      };
    }
    if (status === 401) {
      return { message: "Incorrect API key provided: sk-fake***. You can find your API key at https://platform.openai.com/account/api-keys.", type: "invalid_request_error", code: "invalid_api_key" };
    }
    if (status === 404) {
      return { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: "invalid_request_error", code: "model_not_found" };
    }
    if (status === 503) return { message: "The engine is currently overloaded, please try again later", type: "server_error" };
    if (status >= 500) {
      return { message: "The server had an error while processing your request. Sorry about that!", type: "server_error" };
    }
    return { message: "Invalid request.", type: "invalid_request_error" };
  })();
  if (script.errorMessage !== undefined) base.message = script.errorMessage;
  if (script.errorCode !== undefined) base.code = script.errorCode;
  return errorResponse(status, base, script.headers);
}

function estimateTokens(s: string): number {
  return Math.max(1, Math.ceil(s.length / 4));
}

function usageOf(script: FakeScript, body: { messages: unknown }, output: string) {
  const u = script.usage ?? { inputTokens: estimateTokens(JSON.stringify(body.messages)), outputTokens: estimateTokens(output) };
  return openaiUsage(u.inputTokens, u.outputTokens, {
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  });
}

/** Answer `request` as api.openai.com's POST /v1/chat/completions would, following `script`. */
export async function fakeOpenAI(request: Request, script: FakeScript): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (request.method !== "POST" || !path.endsWith("/chat/completions")) {
    return errorResponse(404, { message: `Invalid URL (${request.method} ${path})`, type: "invalid_request_error" });
  }
  if (!/^Bearer \S+/.test(request.headers.get("authorization") ?? "")) {
    return errorResponse(401, {
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (HTTP Basic Auth) and the username field empty. You can obtain an API key from https://platform.openai.com/account/api-keys.",
      type: "invalid_request_error",
    });
  }
  let body: { model?: unknown; messages?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } };
  try {
    body = JSON.parse(await request.text());
  } catch {
    return errorResponse(400, {
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      type: "invalid_request_error",
    });
  }
  if (typeof body.model !== "string" || body.model === "") {
    return errorResponse(400, { message: "you must provide a model parameter", type: "invalid_request_error" });
  }
  if (!Array.isArray(body.messages)) {
    return errorResponse(400, {
      message: "Missing required parameter: 'messages'.",
      type: "invalid_request_error",
      param: "messages",
      code: "missing_required_parameter",
    });
  }
  if (script.hang) return untilAborted(request.signal);
  if (script.status !== undefined && (script.status < 200 || script.status > 299)) return scriptedError(script, body.model);

  const model = script.model ?? body.model;
  const id = "chatcmpl-fake0001";
  const created = 1_700_000_000;
  const toolCalls = (script.toolCalls ?? []).map((tc, i) => ({ id: tc.id ?? `call_fake${i}`, name: tc.name, arguments: tc.arguments }));
  const text = script.text ?? (toolCalls.length > 0 ? null : "Hello from fake");
  const finish = script.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
  const output = (text ?? "") + toolCalls.map((t) => t.name + t.arguments).join("");

  const base = { id, created, model, service_tier: "default", system_fingerprint: FINGERPRINT };
  const usage = usageOf(script, body as { messages: unknown }, output);
  const broken = openaiMalformed(id, created, model);
  if (body.stream !== true) {
    const json = script.malformed ? broken.shapeJson : openaiCompletion(base, { content: text, toolCalls, finishReason: finish, usage }, { annotations: [] });
    return new Response(JSON.stringify(json), {
      status: 200,
      headers: { "content-type": "application/json", "x-request-id": "req_fake", ...(script.headers ?? {}) },
    });
  }

  const pieces = script.chunks ?? 3;
  const answer = {
    content: text,
    pieces: splitText(text ?? "", pieces),
    toolCalls: toolCalls.map((t) => ({ id: t.id, name: t.name, argPieces: splitText(t.arguments, pieces) })),
    finishReason: finish,
    usage,
  };
  const events = openaiChunks(base, answer, body.stream_options?.include_usage === true).map((e) => e.sse);
  if (script.malformed) events.unshift(broken.syntaxEvent);
  return sseResponse(events, script, request.signal);
}
