/**
 * Turning an answer into the caller's response — JSON or SSE, whoever produced it (a provider, the cache, a
 * degradation rung) — with the served headers and the `detour` body object.
 */
import type { CanonicalResponse, StreamEvent, Usage } from "../canonical";
import { replayEvents } from "../api/replay";
import type { AnswerMeta, InboundFormat } from "../inbound/types";
import { servedHeaders, traceObject, type Served } from "../observability/served";

export interface RespondOptions {
  stream: boolean;
  wantTrace: boolean;
  /** Always in the body (e.g. `degraded`), trace or not. */
  detourExtra?: Record<string, unknown>;
}

function detourBody(s: Served, o: RespondOptions): Record<string, unknown> | undefined {
  if (!o.wantTrace && !o.detourExtra) return undefined;
  return { ...(o.wantTrace ? traceObject(s) : {}), ...(o.detourExtra ?? {}) };
}

/** Builds a JSON response (the platform's, so headers set by middleware are kept). */
export type JsonResponder = (body: unknown, status: number, headers: Record<string, string>) => Response;

/** A finished answer (from a provider's JSON, the cache or a rung), in the caller's format, as JSON or replayed as a stream. */
export function respondWith(json: JsonResponder, format: InboundFormat, res: CanonicalResponse, meta: AnswerMeta, s: Served, o: RespondOptions): Response {
  const detour = detourBody(s, o);
  if (!o.stream) return json(format.toJson(res, meta, detour ? { detour } : {}), 200, servedHeaders(s));
  return sseResponse(format.toStream(replayEvents(res), meta, detour ? { finalExtra: () => ({ detour }) } : {}), s);
}

export function sseResponse(body: ReadableStream<Uint8Array>, s: Served): Response {
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...servedHeaders(s) },
  });
}

/** Collects a live stream's events so the finished answer can be cached once it ended well. */
export function collecting(events: AsyncIterable<StreamEvent>, sink: (res: CanonicalResponse) => void, model: string): AsyncIterable<StreamEvent> {
  return (async function* () {
    let text = "";
    const calls: { id: string; name: string; arguments: string }[] = [];
    let finish: CanonicalResponse["finishReason"] | undefined;
    let usage: Usage | undefined;
    for await (const e of events) {
      if (e.type === "text") text += e.text;
      else if (e.type === "toolCall") {
        const tc = (calls[e.index] ??= { id: e.id ?? "", name: e.name ?? "", arguments: "" });
        if (e.id) tc.id = e.id;
        if (e.name) tc.name = e.name;
        tc.arguments += e.argumentsDelta;
      } else if (e.type === "finish") finish = e.finishReason;
      else usage = e.usage;
      yield e;
    }
    if (finish) sink({ model, content: text || null, toolCalls: calls.filter(Boolean), finishReason: finish, ...(usage ? { usage } : {}) });
  })();
}
