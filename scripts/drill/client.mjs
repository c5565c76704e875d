// The drill's HTTP client: small JSON calls to admin and control APIs, and chat completions read as an SDK would.
import http from "node:http";
import { CLIENT_TIMEOUT_MS, MAX_IN_FLIGHT } from "./common.mjs";

const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT + 16, keepAliveMsecs: 30_000, noDelay: true });

/** Closes the kept-alive sockets, so the process can end. */
export function closeClient() {
  agent.destroy();
}

/** A small JSON call (admin and control APIs); rejects on a transport error, returns status and parsed body. */
export function call(method, url, body, headers = {}, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers: { ...(data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode, json, text });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * One chat completion, recorded. Reads SSE as an SDK would: `[DONE]` ends a stream, an `error` event raises, and a
 * stream that just stops is a silent truncation. A kept-alive socket the server closed just as it was reused (the
 * usual keep-alive race, before any response) is retried once on a fresh one.
 */
export async function chat(url, req, extraHeaders) {
  try {
    return await chatOnce(url, req, extraHeaders);
  } catch (err) {
    if (err?.reusedSocket && !err.responded) return { ...(await chatOnce(url, req, extraHeaders).catch(asFailure)), clientRetried: true };
    return asFailure(err);
  }
}
const asFailure = (err) => ({ status: 0, clientError: String(err?.message ?? err), latencyMs: err?.latencyMs });

function chatOnce(url, req, extraHeaders) {
  return new Promise((resolve, reject) => {
    const data = req.bodyText ?? JSON.stringify(req.body);
    const t0 = performance.now();
    const stream = req.body.stream === true;
    let ttfb;
    let responded = false;
    const r = http.request(url, { method: "POST", agent, timeout: CLIENT_TIMEOUT_MS, headers: chatHeaders(data, req, extraHeaders) }, (res) => {
      responded = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        ttfb ??= performance.now() - t0;
        text += c;
      });
      const done = (aborted) => resolve(readAnswer(res, text, { latencyMs: performance.now() - t0, ttfbMs: ttfb, stream, aborted }));
      res.on("end", () => done(false));
      // A socket that dies under a started response: the client sees it (an SDK raises), so it is no silent cut.
      res.on("error", () => done(true));
      res.on("aborted", () => {});
    });
    r.on("timeout", () => r.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS} ms`)));
    r.on("error", (err) => reject(Object.assign(err, { reusedSocket: r.reusedSocket, responded, latencyMs: performance.now() - t0 })));
    r.end(data);
  });
}

function chatHeaders(data, req, extraHeaders) {
  return {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(data),
    "x-detour-trace": "1",
    ...(req.headers ?? {}),
    ...extraHeaders,
  };
}

/**
 * What one answer said: status, Detour's x-detour-* headers, usage, trace and, for a stream, how it ended (`done`,
 * `error_event`, `aborted` under the client, or `none`: a silent truncation). `res` needs only statusCode and headers.
 */
export function readAnswer(res, text, { latencyMs, ttfbMs, stream, aborted }) {
  const out = { status: res.statusCode, latencyMs, ttfbMs, ...readHeaders(res.headers) };
  const isSse = String(res.headers["content-type"] ?? "").includes("text/event-stream");
  if (stream && isSse) readSse(text, aborted, out);
  else {
    readJsonBody(text, aborted, out);
    if (stream) out.stream = true; // a stream request answered with JSON (an error before any byte)
  }
  return out;
}

function readHeaders(h) {
  return {
    mode: h["x-detour-mode"],
    provider: h["x-detour-provider"],
    model: h["x-detour-model"],
    cache: h["x-detour-cache"],
    degraded: h["x-detour-degraded"],
    attemptsHeader: h["x-detour-attempts"] !== undefined ? Number(h["x-detour-attempts"]) : undefined,
    costHeader: h["x-detour-cost-usd"] !== undefined ? Number(h["x-detour-cost-usd"]) : undefined,
    hedged: h["x-detour-hedged"] === "1" || undefined,
  };
}

function readSse(text, aborted, out) {
  let done = false;
  let errorEvent;
  let content = "";
  let sawAfterDone = false;
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("data:")) continue;
    const payload = line.slice(5).trim();
    if (done) sawAfterDone = true;
    if (payload === "[DONE]") {
      done = true;
      continue;
    }
    let obj;
    try {
      obj = JSON.parse(payload);
    } catch {
      out.badEvents = (out.badEvents ?? 0) + 1;
      continue;
    }
    if (obj.error) errorEvent = obj.error;
    if (obj.usage) out.usage = { in: obj.usage.prompt_tokens ?? 0, out: obj.usage.completion_tokens ?? 0 };
    if (obj.detour) out.trace = obj.detour;
    if (obj.model) out.bodyModel = obj.model;
    content += obj.choices?.[0]?.delta?.content ?? "";
  }
  out.stream = true;
  out.contentChars = content.length;
  out.streamEnd = errorEvent ? "error_event" : done ? "done" : aborted ? "aborted" : "none";
  if (errorEvent) out.streamError = errorEvent.code ?? errorEvent.type ?? "error";
  if (sawAfterDone) out.afterDone = true;
}

function readJsonBody(text, aborted, out) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    out.invalidBody = true;
  }
  if (aborted) out.aborted = true;
  if (!body) return;
  if (body.usage) out.usage = { in: body.usage.prompt_tokens ?? 0, out: body.usage.completion_tokens ?? 0 };
  if (body.detour) out.trace = body.detour;
  if (body.model) out.bodyModel = body.model;
  if (body.error) out.errorCode = body.error.code ?? body.error.type;
  const content = body.choices?.[0]?.message?.content;
  if (typeof content === "string") {
    out.contentChars = content.length;
    out.answer = content.slice(0, 200);
  }
}
