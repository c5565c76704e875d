/**
 * Reads a request body as JSON under a byte limit, before anything else looks at it: an oversized or unparsable body
 * is a 4xx in OpenAI's shape and never reaches a vendor.
 */
import { ApiError, badRequest } from "./errors";

/** `hint` (e.g. an example body) is added to the messages for an empty or unparsable body. */
export async function readJsonBody(req: Request, maxBytes: number, hint?: string): Promise<unknown> {
  const more = hint ? ` ${hint}` : "";
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) throw badRequest(`The request body is empty; send a JSON object.${more}`);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest("The request body is not valid UTF-8.", null, "invalid_json");
  }
  if (text.trim() === "") throw badRequest(`The request body is empty; send a JSON object.${more}`, null, "invalid_json");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}.${more}`, null, "invalid_json");
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "invalid_request_error", "request_too_large", `The request body exceeds this gateway's limit of ${maxBytes} bytes (limits.maxBodyBytes).`);
}
