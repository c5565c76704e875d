/**
 * Server-sent events as vendors frame them: one `data:` line per event, an optional `event:` name line, a blank line
 * after each. OpenAI and Workers AI end a stream with `data: [DONE]`; Anthropic names its events; Gemini ends lines
 * with CRLF and sends no terminator.
 */

/** The terminal event of an OpenAI-style stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** One `data:` event carrying `value` as JSON. `eol` is "\r\n" for Gemini, which frames its events that way. */
export function sseData(value: unknown, eol: "\n" | "\r\n" = "\n"): string {
  return `data: ${JSON.stringify(value)}${eol}${eol}`;
}

/** One named event (`event:` then `data:`), as Anthropic sends them. */
export function sseEvent(event: string, value: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(value)}\n\n`;
}

/** Text cut into `n` roughly equal pieces (none for empty text): how the fakes stream a scripted answer. */
export function splitText(text: string, n: number): string[] {
  if (text === "") return [];
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Words with their leading whitespace, so the pieces join back to the text exactly: a word-by-word stream. */
export function wordPieces(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}
