/**
 * A pass-through stream judged as it goes. When a stream is not buffered (plain text, or a route with
 * `validate.stream: "passthrough"`), its output checks run on what arrives after commit: checks that a prefix can
 * already fail (`maxChars`, `mustNotMatch`) run while it streams, at least every `PREFIX_EVERY_CHARS` characters, and
 * every check runs on the whole answer once the upstream finished — with the finish event held back until it passed.
 * A failed check throws `UpstreamError("invalid_output")`; the caller's stream then ends with an explicit error event
 * and no finish_reason, never as a silent success.
 */
import type { CanonicalResponse, StreamEvent } from "../canonical";
import { validate } from "../validate/builtin";
import { assemble } from "./buffered";
import { UpstreamError } from "./errors";
import type { AfterCommitChecks } from "./types";

/** How much new text arrives between two runs of the prefix checks (a regex pass over the text so far). */
export const PREFIX_EVERY_CHARS = 256;


export interface StreamJudge {
  /** The events to pass on now for one upstream event (a finish and what follows it are held); throws on a failed check. */
  push(e: StreamEvent): StreamEvent[];
  /** The upstream ended: judge the whole answer and release what was held; throws on a failed check. */
  end(): StreamEvent[];
}

export function streamJudge(after: AfterCommitChecks, model: string): StreamJudge {
  const prefixChecks = after.checks.filter((c) => c.judgesPrefix === true);
  const events: StreamEvent[] = [];
  const held: StreamEvent[] = [];
  let text = "";
  let judgedAt = 0;
  const fail = (f: { check: string; reason: string }) => new UpstreamError("invalid_output", f.reason, { check: f.check });
  const judgePrefix = () => {
    judgedAt = text.length;
    const partial: CanonicalResponse = { model, content: text, toolCalls: [], finishReason: "stop" };
    const failed = validate(after.req, partial, prefixChecks);
    if (failed) throw fail(failed);
  };
  return {
    push(e) {
      events.push(e);
      if (held.length > 0 || e.type === "finish") {
        held.push(e);
        return [];
      }
      if (e.type === "text") {
        text += e.text;
        if (prefixChecks.length > 0 && text.length - judgedAt >= PREFIX_EVERY_CHARS) judgePrefix();
      }
      return [e];
    },
    end() {
      const whole = assemble(events, model);
      // No finish: the caller of `end` reports the cut; there is no answer to judge.
      if (!whole) return held.splice(0);
      const failed = validate(after.req, whole, after.checks);
      if (failed) throw fail(failed);
      return held.splice(0);
    },
  };
}
