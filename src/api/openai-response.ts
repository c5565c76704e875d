/**
 * Caller side, OpenAI Chat Completions: canonical response/stream → wire. Streams end with `data: [DONE]` only when
 * the upstream finished; any failure after the first byte ends with an explicit `data: {"error": …}` event, which the
 * official SDK raises as an APIError — never a clean end with a partial answer.
 */
import type { CanonicalResponse, StreamEvent, Usage } from "../canonical";
import { UpstreamError } from "../engine/errors";
import { redact } from "../observability/redact";

export interface ResponseMeta {
  id: string;
  created: number;
  /** `provider/model` that answered. */
  model: string;
}

export function toChatCompletion(res: CanonicalResponse, meta: ResponseMeta, extra: Record<string, unknown> = {}) {
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content: res.content,
          refusal: null,
          ...(res.toolCalls.length
            ? {
                tool_calls: res.toolCalls.map((tc) => ({
                  id: tc.id,
                  type: "function" as const,
                  function: { name: tc.name, arguments: tc.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: res.finishReason,
      },
    ],
    ...(res.usage ? { usage: wireUsage(res.usage) } : {}),
    ...extra,
  };
}

function wireUsage(u: Usage) {
  return { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens };
}

export interface StreamRenderOptions {
  includeUsage: boolean;
  /** Added to the last chunk (the trace, when asked for; the real cost, from the usage the stream reported). */
  finalExtra?: (usage: Usage | undefined) => Record<string, unknown>;
  /** Called once when the stream ends: `error` is set when it ended with an error event. */
  onEnd?: (result: { error?: UpstreamError; usage?: Usage; chars: number; clientGone?: boolean }) => void;
  /** Redacts configured secrets from a failure's message before it reaches the caller (vendor text can echo a key). */
  clean?: (s: string) => string;
  /** Called at once when the client cancels the body, before the events are returned (which waits for a pending read). */
  onCancel?: () => void;
}

/** Render canonical events as OpenAI SSE chunks. */
export function renderChatStream(
  events: AsyncIterable<StreamEvent>,
  meta: ResponseMeta,
  opts: StreamRenderOptions,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const base = { id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model };
  const line = (obj: unknown) => enc.encode(`data: ${JSON.stringify(obj)}\n\n`);
  const iterator = events[Symbol.asyncIterator]();
  let started = false;
  let usage: Usage | undefined;
  let chars = 0;
  let ended = false;
  const end = (r: { error?: UpstreamError; clientGone?: boolean }) => {
    if (ended) return;
    ended = true;
    opts.onEnd?.({ ...r, ...(usage ? { usage } : {}), chars });
  };

  /** Render one event; false when it produced no bytes (usage is held for the final chunk). */
  const emit = (controller: ReadableStreamDefaultController<Uint8Array>, e: StreamEvent): boolean => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      line({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    switch (e.type) {
      case "text":
        chars += e.text.length;
        controller.enqueue(chunk({ content: e.text }));
        return true;
      case "toolCall": {
        chars += e.argumentsDelta.length;
        const tc: Record<string, unknown> = { index: e.index };
        if (e.id !== undefined) tc.id = e.id;
        if (e.id !== undefined || e.name !== undefined) tc.type = "function";
        tc.function = { ...(e.name !== undefined ? { name: e.name } : {}), arguments: e.argumentsDelta };
        controller.enqueue(chunk({ tool_calls: [tc] }));
        return true;
      }
      case "finish":
        controller.enqueue(chunk({}, e.finishReason));
        return true;
      case "usage":
        usage = e.usage;
        return false;
    }
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(line({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] }));
      }
      try {
        // Keep reading until something is enqueued: workerd does not call pull() again after one that enqueued
        // nothing, and the response would hang (a usage event alone produces no bytes).
        for (;;) {
          const step = await iterator.next();
          if (!step.done) {
            if (emit(controller, step.value)) return;
            continue;
          }
          const extra = opts.finalExtra?.(usage) ?? {};
          if (opts.includeUsage) {
            controller.enqueue(line({ ...base, choices: [], usage: usage ? wireUsage(usage) : null, ...extra }));
          } else if (Object.keys(extra).length) {
            controller.enqueue(line({ ...base, choices: [], ...extra }));
          }
          controller.enqueue(enc.encode("data: [DONE]\n\n"));
          controller.close();
          end({});
          return;
        }
      } catch (err) {
        const e = err instanceof UpstreamError ? err : new UpstreamError("network", err instanceof Error ? err.message : String(err));
        controller.enqueue(
          line({
            error: {
              message: `The stream from the provider failed after it started (${e.errorClass}): ${(opts.clean ?? redact)(e.message)}. The answer above is incomplete.`,
              type: "api_error",
              code: `upstream_${e.errorClass}`,
              param: null,
            },
          }),
        );
        controller.close();
        end({ error: e });
      }
    },
    async cancel() {
      // The client went away: stop the upstream too — abort it first, so a read waiting on a silent upstream ends now.
      opts.onCancel?.();
      await iterator.return?.();
      end({ error: new UpstreamError("timeout", "the client went away"), clientGone: true });
    },
  });
}
