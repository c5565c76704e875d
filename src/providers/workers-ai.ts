/**
 * Cloudflare Workers AI through the `AI` binding (`env.AI.run(model, inputs)`), not HTTP, so this implements
 * `Provider` directly instead of being an `HttpAdapter`.
 *
 * Wire shapes (developers.cloudflare.com/workers-ai, workerd's ai-api.ts):
 * - inputs: `{messages, tools?, stream?, max_tokens?, temperature?, top_p?, response_format?}`. Messages are plain
 *   `{role, content}`; the chat templates have no structured tool-call history, so tool calls and results are
 *   flattened the way Cloudflare's own `runWithTools` does it (assistant content = the call as JSON, then a `tool`
 *   message carrying the tool's name).
 * - output: `{response, tool_calls?: [{name, arguments}], usage?}`; newer (vLLM-served) models answer OpenAI-shaped
 *   `{choices: [{message, finish_reason}], usage}`. Both are accepted, in JSON and in streams.
 * - stream: a ReadableStream of SSE `data: {"response": "..."}` events ending with `data: [DONE]`.
 * - errors: `run` throws `InferenceUpstreamError` whose message is `"<internal code>: <description>"`; the HTTP status
 *   is not exposed, so `classifyWorkersAiError` maps the documented internal codes, then falls back to wording.
 *
 * Files: this one calls the binding; workers-ai-request.ts maps canonical requests to inputs, workers-ai-response.ts
 * maps answers and streams back, workers-ai-errors.ts maps the binding's errors to the error taxonomy.
 */
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from "../canonical";
import { UpstreamError } from "../engine/errors";
import type { CallContext, Provider, Target } from "./types";
import { classifyWorkersAiError } from "./workers-ai-errors";
import { toInputs } from "./workers-ai-request";
import { describe, parseResult, parseStream, type Json } from "./workers-ai-response";

export { classifyWorkersAiError } from "./workers-ai-errors";

type AiBinding = NonNullable<CallContext["ai"]>;

/** The Workers AI provider (`kind: "workers-ai"`). Needs `ctx.ai`; throws `misconfigured` without it. */
export const workersAiProvider: Provider = {
  async complete(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<CanonicalResponse> {
    const ai = requireBinding(target, ctx);
    const result = await run(ai, target, toInputs({ ...req, stream: false }, target), ctx.signal);
    return parseResult(result, target);
  },

  async stream(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<AsyncIterable<StreamEvent>> {
    const ai = requireBinding(target, ctx);
    const result = await run(ai, target, toInputs({ ...req, stream: true }, target), ctx.signal);
    if (!(result instanceof ReadableStream)) {
      throw new UpstreamError("malformed", `${target.provider.id} answered a stream request with ${describe(result)}`);
    }
    return parseStream(abortable(result as ReadableStream<Uint8Array>, ctx.signal), target, ctx.signal);
  },
};

function requireBinding(target: Target, ctx: CallContext): AiBinding {
  if (!ctx.ai) {
    throw new UpstreamError(
      "misconfigured",
      `workers-ai provider ${target.provider.id} needs an AI binding ([ai] binding = "AI" in wrangler.toml)`,
    );
  }
  return ctx.ai;
}

// ---------------------------------------------------------------------------------------------------------------
// Calling the binding

/** `ai.run`, raced against the attempt's signal (the binding takes no AbortSignal), with errors classified. */
async function run(ai: AiBinding, target: Target, inputs: Json, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) throw abortReason(signal);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  // Wrapped so a synchronous throw from the binding is classified like a rejection.
  const call = (async () => ai.run(target.model.id, inputs))();
  // A stream that arrives after we gave up would otherwise hold the upstream open.
  call.then(
    (r) => {
      if (signal.aborted && r instanceof ReadableStream) r.cancel().catch(() => {});
    },
    () => {},
  );
  try {
    return await Promise.race([call, aborted]);
  } catch (err) {
    if (signal.aborted) throw abortReason(signal);
    throw classifyWorkersAiError(err, target.provider.id);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new UpstreamError("timeout", "aborted");
}

/**
 * Re-emit `body` so that aborting `signal` errors it (with the abort reason) even while a read is pending. A fetch
 * body gets this from fetch's own signal; the binding's stream does not, and a stalled read would otherwise hang.
 */
function abortable(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let onAbort = () => {};
  const detach = () => signal.removeEventListener("abort", onAbort);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        try {
          controller.error(abortReason(signal));
        } catch {
          // Already closed or errored: nothing left to interrupt (a throw here would escape the event listener).
        }
        reader.cancel(signal.reason).catch(() => {});
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          detach();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (err) {
        detach();
        controller.error(err);
      }
    },
    cancel(reason) {
      detach();
      return reader.cancel(reason);
    },
  });
}
