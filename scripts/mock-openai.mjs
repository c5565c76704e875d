#!/usr/bin/env node
/**
 * A loopback-only mock of OpenAI's Chat Completions API (POST /v1/chat/completions), for the benchmark and local
 * experiments. It answers every request with the same short reply, immediately unless a delay is configured:
 *   - JSON: one `chat.completion` object;
 *   - `stream: true`: SSE `chat.completion.chunk`s (role, content pieces, finish), a usage chunk (always sent, as
 *     Detour always asks for it), then `data: [DONE]`.
 * It never checks keys. GET /healthz answers {"ok":true}; anything else is a 404 in OpenAI's error shape.
 *
 *   import { startMockOpenAI } from "./mock-openai.mjs";
 *   const mock = await startMockOpenAI({ port: 0 });   // mock.url = "http://127.0.0.1:<port>"
 *   await mock.close();
 *
 *   node scripts/mock-openai.mjs --port 9001 [--delay-ms 0] [--chunk-delay-ms 0]
 *   (prints `mock-openai listening on http://127.0.0.1:9001` on stdout; stops on SIGINT/SIGTERM or when stdin closes
 *   if started with --exit-on-stdin-close)
 */
import http from "node:http";
import { pathToFileURL } from "node:url";

const HOST = "127.0.0.1";
const REPLY_PIECES = ["Hello", " from", " the", " mock", " vendor", "."];
export const MOCK_REPLY = REPLY_PIECES.join("");
const USAGE = { prompt_tokens: 9, completion_tokens: REPLY_PIECES.length, total_tokens: 9 + REPLY_PIECES.length };

const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

function sendJson(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function error(res, status, message, code) {
  sendJson(res, status, { error: { message, type: "invalid_request_error", code, param: null } });
}

let seq = 0;

/**
 * Start the mock on 127.0.0.1. `port` 0 picks a free port. `delayMs` waits before the response headers;
 * `chunkDelayMs` waits between SSE chunks.
 * @param {{ port?: number, delayMs?: number, chunkDelayMs?: number }} [opts]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startMockOpenAI({ port = 0, delayMs = 0, chunkDelayMs = 0 } = {}) {
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
  });
  // Clients (our agent, workerd's pool) keep sockets open; never close one under them mid-run.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req, res, raw) {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") return sendJson(res, 200, { ok: true });
    if (path !== "/v1/chat/completions") return error(res, 404, `Unknown request URL: ${req.method} ${path}`, "unknown_url");
    if (req.method !== "POST") return error(res, 405, "Use POST", "method_not_allowed");
    let body;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return error(res, 400, "We could not parse the JSON body of your request.", "invalid_json");
    }
    if (!body || typeof body !== "object" || !Array.isArray(body.messages)) {
      return error(res, 400, "'messages' is required", "invalid_request");
    }
    const id = `chatcmpl-mock${++seq}`;
    const model = typeof body.model === "string" ? body.model : "mock";
    const created = Math.floor(Date.now() / 1000);
    await sleep(delayMs);

    if (body.stream !== true) {
      return sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: MOCK_REPLY, refusal: null }, logprobs: null, finish_reason: "stop" }],
        usage: USAGE,
      });
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (choices, usage) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...(usage !== undefined ? { usage } : {}) })}\n\n`;
    const frames = [
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
      ...REPLY_PIECES.map((p) => chunk([{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]),
      chunk([], USAGE),
      "data: [DONE]\n\n",
    ];
    if (chunkDelayMs <= 0) {
      // Immediate: one write, as a fast vendor's whole answer would arrive.
      res.end(frames.join(""));
      return;
    }
    for (const f of frames) {
      if (res.destroyed) return;
      res.write(f);
      await sleep(chunkDelayMs);
    }
    res.end();
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actual = server.address().port;
  return {
    url: `http://${HOST}:${actual}`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

function arg(argv, name, fallback) {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer`);
  return v;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  const mock = await startMockOpenAI({
    port: arg(argv, "--port", 9001),
    delayMs: arg(argv, "--delay-ms", 0),
    chunkDelayMs: arg(argv, "--chunk-delay-ms", 0),
  });
  console.log(`mock-openai listening on ${mock.url}`);
  const stop = async () => {
    await mock.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  if (argv.includes("--exit-on-stdin-close")) {
    process.stdin.resume();
    process.stdin.on("end", stop);
    process.stdin.on("close", stop);
  }
}
