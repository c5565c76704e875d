// Parse: is the body a request in the caller's wire format that this gateway takes (size, shape, message count)?
import { readJsonBody } from "../api/body";
import { badRequest } from "../api/errors";
import type { PipelineDeps } from "./deps";
import type { Parsed, RequestState } from "./state";

/** Read and validate the body into the canonical request; throws a 400 `ApiError` for anything it cannot take. */
export async function parse(state: RequestState, _deps: PipelineDeps): Promise<Parsed> {
  const { limits } = state.config;
  const body = await readJsonBody(state.http, limits.maxBodyBytes);
  const { model, request } = await state.inbound.parse(body, limits.maxJsonDepth);
  if (request.messages.length > limits.maxMessages) {
    throw badRequest(`Too many messages (${request.messages.length}); this gateway takes at most ${limits.maxMessages}.`, state.inbound.messagesParam);
  }
  return { ...state, model, request };
}
