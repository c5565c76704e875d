/**
 * The Responses format for one request while storage is on (`responses.store.enabled`): `parse` reads what the request
 * continues (`previous_response_id`, `item_reference` items) from the tenant's stored responses, and the answer — JSON,
 * or a stream once it completed — is stored after it went out, unless the request said `store: false` or sent
 * `cache-control: no-store`. Everything else is the stateless format (./openai-responses.ts).
 */
import { openAIResponses, responsesWriter, toResponse, type Stored } from "./openai-responses";
import { buildResponses, validateResponses } from "./responses-request";
import { newResponseId, resolveStored, withItemIds, type ResponsesStore, type StoredResponse } from "./responses-store";
import { renderSse } from "./sse";
import type { AnswerMeta, InboundFormat } from "./types";

/** A fresh format per request: it carries what parse decided (the new response's id, the conversation) to the answer. */
export function storingResponses(store: ResponsesStore, opts: { noStore: boolean }): InboundFormat {
  let stored: Stored = { store: false, previousResponseId: null };
  let save: { id: string; input: unknown[] } | undefined;
  const keep = (response: StoredResponse["response"]) => {
    if (save) store.put({ v: 1, response, input: withItemIds(save.id, save.input) });
  };
  // A stored response gets an id of its own (item ids embed it), not one derived from the caller's x-request-id.
  const withId = (meta: AnswerMeta): AnswerMeta => (save ? { ...meta, id: save.id } : meta);
  return {
    ...openAIResponses,
    async parse(body, maxJsonDepth) {
      const b = validateResponses(body, maxJsonDepth);
      const { model, request, input } = buildResponses(b, await resolveStored(b, store));
      const willStore = b.store !== false && !opts.noStore;
      stored = { store: willStore, previousResponseId: b.previous_response_id ?? null };
      if (willStore) save = { id: newResponseId(), input };
      return { model, request };
    },
    toJson(res, meta, extra) {
      const response = toResponse(res, withId(meta), {}, stored);
      keep(response);
      return { ...response, ...extra };
    },
    toStream: (events, meta, o) => renderSse(events, responsesWriter(withId(meta), stored, keep), o),
  };
}
