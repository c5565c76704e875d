/**
 * The OpenAI Responses API in front of the same pipeline as every other inbound API (./chat.ts):
 * POST /v1/responses — stateless while `responses.store.enabled` is false; otherwise it continues stored
 * conversations and stores its answers (src/inbound/responses-store.ts). And, for stored responses:
 * GET /v1/responses/:id, DELETE /v1/responses/:id and GET /v1/responses/:id/input_items; POST …/cancel is a 400.
 */
import type { Context } from "hono";
import { ApiError, badRequest, excerpt } from "../api/errors";
import type { AppEnv } from "../app-types";
import { parseCacheControl } from "../cache/policy";
import { ResponsesStore } from "../inbound/responses-store";
import { responsesFormat } from "../inbound/responses-store-format";
import { pipelineDeps } from "../pipeline/deps";
import { pipelineFor } from "./chat";

/** The tenant's stored responses, or undefined when storage is off (or there is no KV binding). */
async function openStore(c: Context<AppEnv>): Promise<ResponsesStore | undefined> {
  const cfg = c.get("loaded").config.responses.store;
  const kv = c.env.DETOUR_KV;
  if (!cfg.enabled || !kv) return undefined;
  return ResponsesStore.open(kv, c.get("caller").tenant, cfg, c.get("deps").clock, pipelineDeps(c).platform.later);
}

export async function responses(c: Context<AppEnv>): Promise<Response> {
  const store = await openStore(c);
  const noStore = parseCacheControl(c.req.header("cache-control")).noStore;
  return pipelineFor(responsesFormat(store, { noStore }))(c);
}

function notFound(id: string, on: boolean): ApiError {
  const why = on ? "" : " Response storage is off on this gateway (responses.store.enabled is false).";
  return new ApiError(404, "invalid_request_error", "response_not_found", `No response found with id '${excerpt(id)}'.${why}`);
}

async function stored(c: Context<AppEnv>) {
  const id = c.req.param("id") ?? "";
  const store = await openStore(c);
  const found = store ? await store.get(id) : null;
  if (!store || !found) throw notFound(id, store !== undefined);
  return found;
}

/** GET /v1/responses/:id — the stored response object, as its caller got it. */
export async function getResponse(c: Context<AppEnv>): Promise<Response> {
  if (c.req.query("stream") === "true") throw badRequest("Streaming a stored response again is not supported by this gateway; omit 'stream'.", "stream");
  return c.json((await stored(c)).response);
}

/** DELETE /v1/responses/:id — `{ id, object: "response", deleted: true }`, or a 404 when there is none. */
export async function deleteResponse(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const store = await openStore(c);
  if (!store || !(await store.delete(id))) throw notFound(id, store !== undefined);
  return c.json({ id, object: "response", deleted: true });
}

/** GET /v1/responses/:id/input_items — the conversation that led to the response, a page at a time (OpenAI's cursor list). */
export async function listInputItems(c: Context<AppEnv>): Promise<Response> {
  const found = await stored(c);
  const limitText = c.req.query("limit") ?? "20";
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest(`Invalid 'limit': '${limitText}'; use a whole number from 1 to 100.`, "limit");
  const order = c.req.query("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw badRequest(`Invalid 'order': '${order}'; use 'asc' or 'desc'.`, "order");
  const items = order === "asc" ? found.input : [...found.input].reverse();
  const after = c.req.query("after");
  const from = after === undefined ? 0 : items.findIndex((item) => (item as { id?: unknown }).id === after) + 1;
  if (after !== undefined && from === 0) throw badRequest(`Invalid 'after': no input item '${after}' in this response.`, "after");
  const data = items.slice(from, from + limit);
  const idOf = (item: unknown) => ((item as { id?: string } | undefined)?.id ?? null);
  return c.json({ object: "list", data, first_id: idOf(data[0]), last_id: idOf(data.at(-1)), has_more: from + limit < items.length });
}

/**
 * POST /v1/responses/:id/cancel: OpenAI cancels only `background: true` responses, which Detour refuses, so every
 * response here finished when its answer arrived; a 400 saying so (as OpenAI answers for a foreground one), not a 404.
 */
export function cancelResponse(): never {
  throw badRequest("Only background responses can be cancelled, and this gateway runs none ('background: true' is refused): a response is complete when its answer arrives.");
}
