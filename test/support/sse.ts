/** The `data:` payloads of an SSE body (frames split on blank lines; an `event:` line before `data:` is skipped), parsed. */
export const eventsOf = (text: string): any[] =>
  text
    .split("\n\n")
    .map((frame) => frame.split("\n").find((l) => l.startsWith("data: ")))
    .filter((d): d is string => d !== undefined)
    .map((d) => JSON.parse(d.slice(6)));
