/**
 * The Responses format for one request. `parse` keeps what the response object echoes of the wire body
 * (./responses-echo.ts); while storage is on (`responses.store.enabled`) it also reads what the request continues
 * (`previous_response_id`, `item_reference` items) from the tenant's stored responses, and the answer — JSON, or a
 * stream once it completed — is stored after it went out, unless the request said `store: false` or sent
 * `cache-control: no-store`. Everything else is the shared format (./openai-responses.ts).
 */
import { openAIResponses, responsesWriter, toResponse } from "./openai-responses";
import { echoOf, type Echo } from "./responses-echo";
import { buildResponses, validateResponses } from "./responses-request";
import { newResponseId, resolveStored, withItemIds, type ResponsesStore, type StoredResponse } from "./responses-store";
import { renderSse } from "./sse";
import type { AnswerMeta, InboundFormat } from "./types";

/**
 * A fresh format per request: it carries what parse decided (the echo, the new response's id, the conversation) to
 * the answer. `store` undefined: storage is off, the API is stateless.
 */
export function responsesFormat(store: ResponsesStore | undefined, opts: { noStore: boolean }): InboundFormat {
  let echo: Echo | undefined;
  // Every response gets a fresh `resp_<32 hex>` id, stored or not (item ids embed it), never one derived from the
  // caller's x-request-id: one id format, and two requests never share one.
  const id = newResponseId();
  let save: { input: unknown[] } | undefined;
  const keep = (response: StoredResponse["response"]) => {
    if (save) store?.put({ v: 1, response, input: withItemIds(id, save.input) });
  };
  const withId = (meta: AnswerMeta): AnswerMeta => ({ ...meta, id });
  return {
    ...openAIResponses,
    async parse(body, maxJsonDepth) {
      const b = validateResponses(body, maxJsonDepth);
      const { model, request, input } = buildResponses(b, store ? await resolveStored(b, store) : undefined);
      const willStore = store !== undefined && b.store !== false && !opts.noStore;
      echo = echoOf(b, { store: willStore, previousResponseId: b.previous_response_id ?? null });
      if (willStore) save = { input };
      return { model, request };
    },
    toJson(res, meta, extra) {
      const response = toResponse(res, withId(meta), {}, echo);
      keep(response);
      return { ...response, ...extra };
    },
    toStream: (events, meta, o) => renderSse(events, responsesWriter(withId(meta), echo, keep), o),
  };
}
