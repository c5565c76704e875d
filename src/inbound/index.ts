/**
 * Which inbound wire format a path speaks, for answers given outside the pipeline (the auth middleware's 401, the
 * error boundary): a caller of /v1/messages gets Anthropic's error shape even when it never reached a route.
 */
import { anthropicMessages } from "./anthropic-messages";
import { openAIChat } from "./openai-chat";
import { openAIResponses } from "./openai-responses";
import type { InboundFormat } from "./types";

export function inboundForPath(path: string): InboundFormat {
  if (path === "/v1/messages" || path.startsWith("/v1/messages/")) return anthropicMessages;
  if (path === "/v1/responses" || path.startsWith("/v1/responses/")) return openAIResponses;
  return openAIChat;
}
