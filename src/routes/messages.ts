/**
 * POST /v1/messages — Anthropic Messages in front of the same pipeline as every other inbound API (./chat.ts); and
 * POST /v1/messages/count_tokens — Detour's input-token estimate for such a body (the one routing uses to rule out
 * models whose context window is too small), in Anthropic's `{ "input_tokens": n }` shape.
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import type { AppEnv } from "../app-types";
import { anthropicMessages } from "../inbound/anthropic-messages";
import { CountTokensBody, parseMessages } from "../inbound/anthropic-request";
import { estimateInputTokens } from "../routing/classify";
import { resolvePlan } from "../routing/resolve";
import { pipelineFor } from "./chat";

export const messages = pipelineFor(anthropicMessages);

export async function countTokens(c: Context<AppEnv>): Promise<Response> {
  const { limits } = c.get("loaded").config;
  const body = await readJsonBody(c.req.raw, limits.maxBodyBytes);
  const { model, request } = parseMessages(body, limits.maxJsonDepth, CountTokensBody);
  // A model Detour cannot route is Anthropic's 404 here too (as on /v1/messages), not an estimate for nothing.
  resolvePlan(model, c.get("loaded").config);
  return c.json({ input_tokens: estimateInputTokens(request) });
}
