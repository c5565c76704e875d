/**
 * Validation's added cost per answer, for `npm run bench`: Detour's built-in output checks (src/validate/builtin.ts,
 * bundled with esbuild into a temporary ESM file, as Node cannot run TypeScript) timed in this process on a typical
 * json_schema request — preparing the checks once per request and validating one answer — and on a tool call.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { summary } from "./stats.mjs";

/** A classification schema as callers send it: an enum, a number, an array, a nested object, strict. */
const SCHEMA = {
  type: "object",
  properties: {
    label: { type: "string", enum: ["billing", "technical", "account", "other"] },
    confidence: { type: "number" },
    tags: { type: "array", items: { type: "string" } },
    meta: { type: "object", properties: { lang: { type: "string" }, chars: { type: "integer" } }, required: ["lang"], additionalProperties: false },
  },
  required: ["label", "confidence"],
  additionalProperties: false,
};
const ANSWER = JSON.stringify({ label: "billing", confidence: 0.93, tags: ["refund", "invoice"], meta: { lang: "en", chars: 120 } });
const TOOL = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] } };

/** p50/p99 in microseconds of checksFor + validate per request, for a json_schema answer and a tool call. */
export async function benchValidation(root, iterations = 20_000) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "detour-validate-"));
  try {
    const out = path.join(dir, "validate.mjs");
    await build({ entryPoints: [path.join(root, "src/validate/builtin.ts")], bundle: true, format: "esm", platform: "neutral", outfile: out, logLevel: "silent" });
    const { checksFor, validate } = await import(pathToFileURL(out).href);
    const base = { messages: [{ role: "user", content: "Label this ticket" }], stream: false, includeUsage: false };
    const schemaReq = { ...base, responseFormat: { type: "json_schema", name: "label", schema: SCHEMA, strict: true } };
    const toolReq = { ...base, tools: [TOOL] };
    const schemaRes = { model: "m", content: ANSWER, toolCalls: [], finishReason: "stop" };
    const toolRes = { model: "m", content: null, toolCalls: [{ id: "c", name: "get_weather", arguments: '{"city":"Paris","days":3}' }], finishReason: "tool_calls" };
    const time = (req, res) => {
      const us = [];
      for (let i = 0; i < iterations; i++) {
        const t = performance.now();
        const failed = validate(req, res, checksFor(req));
        us.push((performance.now() - t) * 1000);
        if (failed) throw new Error(`bench answer failed its own check: ${failed.reason}`);
      }
      return summary(us.slice(Math.floor(iterations / 10))); // the first tenth warms the JIT
    };
    return { jsonSchema: time(schemaReq, schemaRes), toolCall: time(toolReq, toolRes) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
