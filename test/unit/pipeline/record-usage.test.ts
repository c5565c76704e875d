/**
 * The recorder's usage commits (issue 14, money): every call a vendor may bill is committed, the reservation is
 * released exactly once, and a failing commit is logged, never swallowed.
 */
import { describe, expect, it } from "vitest";
import { Recorder } from "../../../src/pipeline/record";
import { UsageCommitLost } from "../../../src/pipeline/usage-commit";
import type { Target } from "../../../src/providers/types";

function setup(commit: (t: Target, u: { inputTokens: number; outputTokens: number } | undefined, release: boolean) => Promise<unknown>) {
  const pending: Promise<unknown>[] = [];
  const warnings: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const infos: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const log = { info: (msg: string, fields?: Record<string, unknown>) => infos.push({ msg, fields }), error() {}, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, fields }) };
  const rec = new Recorder({
    requestId: "r1",
    tenant: "acme",
    path: "/v1/chat/completions",
    startedAt: 0,
    clock: { now: () => 0 } as never,
    log,
    later: (p) => pending.push(p),
    clean: (s) => s.replaceAll("sk-secret", "[redacted]"),
    breakers: { report() {}, stats: { admitMs: 0, awaitedCalls: 0 } } as never,
    notes: [],
  });
  rec.commitsUsage(commit, 120);
  return { rec, pending, warnings, infos };
}
const target = (id: string) => ({ provider: { id }, model: { id: "m" } }) as unknown as Target;
const attempt = (provider: string, extra: Record<string, unknown>) => ({ provider, model: "m", ms: 5, ...extra }) as never;

describe("Recorder usage commits", () => {
  it("commits a hedge loser and a refused 2xx at the estimated input, then the answer with the one release", async () => {
    const calls: [string, unknown, boolean][] = [];
    const { rec, pending } = setup(async (t, u, release) => calls.push([t.provider.id, u, release]));
    rec.attempt(target("alpha"), attempt("alpha", { outcome: "error", errorClass: "malformed" }));
    rec.attempt(target("gamma"), attempt("gamma", { outcome: "error", errorClass: "cancelled", hedge: true, outputTokens: 7 }));
    rec.attempt(target("delta"), attempt("delta", { outcome: "error", errorClass: "rate_limited" }));
    rec.commitUsage(target("beta"), { inputTokens: 100, outputTokens: 20 });
    rec.commitUsage(target("beta"), { inputTokens: 1, outputTokens: 1 });
    await Promise.all(pending);
    expect(calls).toEqual([
      ["alpha", { inputTokens: 120, outputTokens: 0 }, false],
      ["gamma", { inputTokens: 120, outputTokens: 7 }, false],
      ["beta", { inputTokens: 100, outputTokens: 20 }, true],
      ["beta", { inputTokens: 1, outputTokens: 1 }, false],
    ]);
  });

  it("a request that ends without an answer releases its reservation when its line is logged", async () => {
    const calls: boolean[] = [];
    const { rec, pending } = setup(async (_t, _u, release) => calls.push(release));
    rec.log(rec.served(undefined, undefined, []), { status: 503 });
    rec.log(rec.served(undefined, undefined, []), { status: 503 });
    await Promise.all(pending);
    expect(calls).toEqual([true]);
  });

  it("a commit that fails is logged with the request id, never swallowed", async () => {
    const { rec, pending, warnings } = setup(async () => {
      throw new Error("limiter object unreachable");
    });
    rec.commitUsage(target("beta"), { inputTokens: 1, outputTokens: 1 });
    await Promise.all(pending);
    expect(warnings).toEqual([{ msg: "usage commit failed", fields: expect.objectContaining({ request_id: "r1", tenant: "acme", error: "limiter object unreachable" }) }]);
  });

  it("a commit lost after every re-send says how many tries and what the limiter missed, with secrets cleaned", async () => {
    const { rec, pending, warnings } = setup(async () => {
      throw new UsageCommitLost(3, { tokens: 120, costUsd: 0.0042 }, "no answer within 500 ms (sk-secret)");
    });
    rec.commitUsage(target("beta"), { inputTokens: 100, outputTokens: 20 });
    await Promise.all(pending);
    expect(warnings).toEqual([
      { msg: "usage commit failed", fields: { request_id: "r1", tenant: "acme", provider: "beta", error: "no answer within 500 ms ([redacted])", tries: 3, cost_usd: 0.0042, tokens: 120 } },
    ]);
  });

  it("a commit that landed only on a re-send is logged at info with its tries; one that landed at once is not", async () => {
    const answers = [{ tries: 1, duplicate: false }, { tries: 2, duplicate: true }];
    const { rec, pending, warnings, infos } = setup(async () => answers.shift());
    rec.attempt(target("alpha"), attempt("alpha", { outcome: "error", errorClass: "malformed" }));
    rec.commitUsage(target("beta"), { inputTokens: 1, outputTokens: 1 });
    await Promise.all(pending);
    expect(warnings).toEqual([]);
    expect(infos).toEqual([{ msg: "usage commit resent", fields: { request_id: "r1", tenant: "acme", provider: "beta", tries: 2, duplicate: true } }]);
  });
});
