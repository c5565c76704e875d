/**
 * A stream held back until it is complete and valid. When the caller asked for a schema or tools, a stream is read to
 * its end before anything is committed, assembled into one answer and checked like a JSON answer (src/validate/): a
 * failure (empty, invalid output, cut, stall) is still invisible, so the next target is tried. The caller then gets
 * the whole stream replayed as SSE. The cost is time to first byte: the caller's first byte waits for the last one.
 */
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from "../canonical";
import type { Target } from "../providers/types";
import { validate, type OutputCheck } from "../validate/builtin";
import { armTimer, untilAborted, type Clock } from "./clock";
import { emptyIsExplained } from "./empty";
import { UpstreamError } from "./errors";
import { toUpstreamError } from "./stop";
import type { AttemptPolicy } from "./types";

/** Everything `readWhole` needs from its attempt. */
export interface WholeStreamAttempt {
  iterator: AsyncIterator<StreamEvent>;
  target: Target;
  policy: AttemptPolicy;
  clock: Clock;
  /** Aborts the upstream call (a stall). */
  abort: (reason: Error) => void;
  /** The first content arrived: the first-byte timeout is met. */
  firstByte: () => void;
}

/** Read the whole stream, then judge the answer it makes; returns every event for replay, or throws `UpstreamError`. */
export async function readWhole(req: CanonicalRequest, checks: readonly OutputCheck[], a: WholeStreamAttempt): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  let content = false;
  for (;;) {
    // Before the first content the attempt's first-byte timeout governs; between events, the stall budget.
    const step = content ? await nextWithin(a) : await a.iterator.next();
    if (step.done) break;
    events.push(step.value);
    const e = step.value;
    if (!content && ((e.type === "text" && e.text !== "") || e.type === "toolCall")) {
      content = true;
      a.firstByte();
    }
  }
  const id = a.target.provider.id;
  const res = assemble(events, a.target.model.id);
  if (!res) throw new UpstreamError("stream_cut", `${id} ended the stream without finishing it`);
  if ((res.content === null || res.content.trim() === "") && res.toolCalls.length === 0 && !emptyIsExplained(req, res.finishReason)) {
    throw new UpstreamError("empty", `${id} streamed an empty completion`);
  }
  const failed = validate(req, res, checks);
  if (failed) throw new UpstreamError("invalid_output", failed.reason, { check: failed.check });
  return events;
}

/** The answer a finished stream makes (text joined, tool-call deltas merged by index); undefined without a finish. */
export function assemble(events: readonly StreamEvent[], model: string): CanonicalResponse | undefined {
  let text = "";
  let finish: CanonicalResponse["finishReason"] | undefined;
  let usage: CanonicalResponse["usage"];
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const e of events) {
    if (e.type === "text") text += e.text;
    else if (e.type === "toolCall") {
      const c = (calls[e.index] ??= { id: "", name: "", arguments: "" });
      if (e.id) c.id = e.id;
      if (e.name) c.name = e.name;
      c.arguments += e.argumentsDelta;
    } else if (e.type === "finish") finish = e.finishReason;
    else usage = e.usage;
  }
  if (finish === undefined) return undefined;
  return { model, content: text === "" ? null : text, toolCalls: calls.filter(Boolean), finishReason: finish, ...(usage ? { usage } : {}) };
}

/** The next event within the stall budget; a stall aborts the upstream call. */
async function nextWithin(a: WholeStreamAttempt): Promise<IteratorResult<StreamEvent>> {
  const stall = new AbortController();
  const cancel = armTimer(a.clock, a.policy.stallMs, stall, () => new UpstreamError("stall", `${a.target.provider.id} sent nothing for ${a.policy.stallMs} ms`));
  try {
    return await Promise.race([a.iterator.next(), untilAborted(stall.signal)]);
  } catch (err) {
    const e = toUpstreamError(err, a.target);
    a.abort(e);
    a.iterator.return?.().catch(() => {});
    throw e;
  } finally {
    cancel();
  }
}

/** An iterator with nothing left: a buffered stream's events are all in its prefix. */
export function finished(upstream: AsyncIterator<StreamEvent>): AsyncIterator<StreamEvent> {
  return {
    next: async () => ({ done: true, value: undefined }),
    return: async () => (upstream.return ? upstream.return() : { done: true, value: undefined }),
  };
}
