/** POST /v1/responses — the OpenAI Responses API (stateless) in front of the same pipeline (./chat.ts). */
import { openAIResponses } from "../inbound/openai-responses";
import { pipelineFor } from "./chat";

export const responses = pipelineFor(openAIResponses);
