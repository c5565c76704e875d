/**
 * Reads a request body as JSON under a byte limit, before anything else looks at it: an oversized or unparsable body
 * is a 4xx in OpenAI's shape and never reaches a vendor.
 */
import { readUpTo } from "../platform/read-body";
import { ApiError, badRequest } from "./errors";

/** Strict UTF-8, made once: a one-shot `decode` keeps no state between calls, and a decoder per request is CPU. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** `hint` (e.g. an example body) is added to the messages for an empty or unparsable body. */
export async function readJsonBody(req: Request, maxBytes: number, hint?: string): Promise<unknown> {
  const more = hint ? ` ${hint}` : "";
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) throw badRequest(`The request body is empty; send a JSON object.${more}`);
  const bytes = declared !== null ? await whole(req, maxBytes) : await capped(req.body, maxBytes);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw encoded(req) ?? badRequest("The request body is not valid UTF-8.", null, "invalid_json");
  }
  if (text.trim() === "") throw badRequest(`The request body is empty; send a JSON object.${more}`, null, "invalid_json");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw encoded(req) ?? badRequest(`The request body is not valid JSON: ${(err as Error).message}.${sentAs(req)}${more}`, null, "invalid_json");
  }
}

/**
 * For a body that is not JSON, what it was declared as when that is not JSON (`curl -F`, `curl -d` without a
 * content-type, an HTML form): the parser's own words ("No number after minus sign") name nothing the caller did.
 */
function sentAs(req: Request): string {
  const type = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (!type || type.includes("json")) return "";
  return ` It was sent as ${type.slice(0, 64)}; send a JSON object with 'Content-Type: application/json'.`;
}

/**
 * A body that does not read as JSON and says it is compressed (`content-encoding: gzip`): a 415 naming the encoding,
 * not "not valid UTF-8". Judged only once the body failed, so a platform that inflates bodies but keeps the header
 * loses nothing.
 */
function encoded(req: Request): ApiError | undefined {
  const encoding = req.headers.get("content-encoding")?.trim();
  if (!encoding || encoding.toLowerCase() === "identity") return undefined;
  return new ApiError(415, "invalid_request_error", "unsupported_content_encoding", `This gateway reads request bodies uncompressed; Content-Encoding '${encoding.slice(0, 32)}' is not supported: send the JSON as is.`);
}

/**
 * A body whose declared length is within the limit, in one read (one native call instead of a reader's round trip per
 * chunk): the runtime's HTTP framing holds a request body to its content-length. Counted again all the same.
 */
async function whole(req: Request, maxBytes: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  return bytes;
}

/** A body of unknown length, read chunk by chunk and refused as soon as it passes the limit (never buffered whole). */
async function capped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const bytes = await readUpTo(body, maxBytes);
  if (!bytes) throw tooLarge(maxBytes);
  return bytes;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "invalid_request_error", "request_too_large", `The request body exceeds this gateway's limit of ${maxBytes} bytes (limits.maxBodyBytes).`);
}
