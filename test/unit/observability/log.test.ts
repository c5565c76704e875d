/**
 * The one logger: the exact bytes of the per-request line (dashboards and drills parse it), levels routed to the
 * sink, and key-shaped text redacted whatever field it arrives in.
 */
import { describe, expect, it } from "vitest";
import { jsonLogger, logRequest, type LogLevel } from "../../../src/observability/log";

function capture() {
  const lines: [LogLevel, string][] = [];
  return { lines, logger: jsonLogger((level, line) => lines.push([level, line])) };
}

describe("jsonLogger", () => {
  it("writes the request line byte for byte as {level, msg, ...line}", () => {
    const { lines, logger } = capture();
    logRequest(logger, { request_id: "r1", tenant: "acme", method: "POST", path: "/v1/chat/completions", status: 200, provider: "alpha", ms: 12 });
    expect(lines).toEqual([
      ["info", '{"level":"info","msg":"request","request_id":"r1","tenant":"acme","method":"POST","path":"/v1/chat/completions","status":200,"provider":"alpha","ms":12}'],
    ]);
  });

  it("passes each level to the sink with the message first", () => {
    const { lines, logger } = capture();
    logger.warn("chaos fault set", { id: "f1" });
    logger.error("unhandled");
    logger.info("breaker action", { state: "OPEN" });
    expect(lines).toEqual([
      ["warn", '{"level":"warn","msg":"chaos fault set","id":"f1"}'],
      ["error", '{"level":"error","msg":"unhandled"}'],
      ["info", '{"level":"info","msg":"breaker action","state":"OPEN"}'],
    ]);
  });

  it("redacts key-shaped text in any field", () => {
    const { lines, logger } = capture();
    logger.warn("health report failed", { error: "Incorrect API key provided: sk-abcdef1234567890", nested: { h: "Bearer abcdefghijkl" } });
    expect(lines[0]![1]).not.toMatch(/sk-abcdef|abcdefghijkl/);
    expect(JSON.parse(lines[0]![1])).toMatchObject({ level: "warn", msg: "health report failed", error: "Incorrect API key provided: [redacted]" });
  });
});
