// Golden cases: reading the JSONL file, turning a case into a Chat Completions body and a canonical request, and
// judging an answer against the case's acceptance checks (expect, mustMatch, label).
import { readFileSync } from "node:fs";

const TASKS = ["classification", "extraction", "rewrite", "summarization", "chat", "code", "reasoning"];

/** Parse a golden JSONL file; every bad line is reported with its number. */
export function readGolden(file) {
  const cases = [];
  const errors = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "" || line.trim().startsWith("//")) return;
      let c;
      try {
        c = JSON.parse(line);
      } catch (err) {
        errors.push(`line ${i + 1}: not JSON (${err.message})`);
        return;
      }
      if (!Array.isArray(c.messages) || c.messages.length === 0) errors.push(`line ${i + 1}: "messages" must be a non-empty array`);
      else if (c.task !== undefined && !TASKS.includes(c.task)) errors.push(`line ${i + 1}: "task" must be one of ${TASKS.join(", ")}`);
      else cases.push({ id: c.id ?? `case-${i + 1}`, line: i + 1, ...c });
    });
  if (errors.length) throw new Error(`${file}: ${errors.join("; ")}`);
  return cases;
}

/** The request body sent for a case, pinned to `model`. */
export function bodyFor(c, model) {
  return {
    model,
    messages: c.messages,
    ...(c.response_format ? { response_format: c.response_format } : {}),
    ...(c.tools ? { tools: c.tools } : {}),
    ...(c.tool_choice ? { tool_choice: c.tool_choice } : {}),
    ...(c.max_tokens ? { max_tokens: c.max_tokens } : {}),
    temperature: 0,
  };
}

/** The canonical request the comparator reads (only what it looks at: response format and tools). */
export function canonicalFor(c) {
  const rf = c.response_format;
  const responseFormat =
    rf?.type === "json_schema" ? { type: "json_schema", name: rf.json_schema?.name ?? "schema", schema: rf.json_schema?.schema ?? {}, strict: rf.json_schema?.strict === true } : rf;
  const tc = c.tool_choice;
  return {
    messages: c.messages.map((m) => ({ role: m.role, content: typeof m.content === "string" ? m.content : "" })),
    stream: false,
    includeUsage: false,
    ...(responseFormat ? { responseFormat } : {}),
    ...(c.tools ? { tools: c.tools.map((t) => ({ name: t.function.name, parameters: t.function.parameters ?? { type: "object" } })) } : {}),
    ...(tc ? { toolChoice: typeof tc === "object" ? { name: tc.function.name } : tc } : {}),
  };
}

/** An OpenAI chat completion → the canonical answer the comparator reads. */
export function canonicalAnswer(json) {
  const choice = json.choices?.[0] ?? {};
  const msg = choice.message ?? {};
  return {
    model: json.model ?? "",
    content: msg.content ?? null,
    toolCalls: (msg.tool_calls ?? []).map((t) => ({ id: t.id, name: t.function.name, arguments: t.function.arguments ?? "" })),
    finishReason: choice.finish_reason ?? "stop",
    ...(json.usage ? { usage: { inputTokens: json.usage.prompt_tokens ?? 0, outputTokens: json.usage.completion_tokens ?? 0 } } : {}),
  };
}

/** `sub` is contained in `v`: equal scalars, objects with at least sub's keys (recursively), arrays element-wise. */
export function containsSubset(v, sub) {
  if (sub === null || typeof sub !== "object") return v === sub;
  if (Array.isArray(sub)) return Array.isArray(v) && sub.every((x, i) => containsSubset(v[i], x));
  return v !== null && typeof v === "object" && Object.entries(sub).every(([k, x]) => containsSubset(v[k], x));
}

/** The case's acceptance checks on one answer: the list of failures (empty: accepted). */
export function accept(c, answer, labelOf, request) {
  const failures = [];
  const text = answer.content ?? "";
  const called = answer.toolCalls[0];
  if (c.expect !== undefined) {
    if (typeof c.expect === "string") {
      if (text.trim() !== c.expect.trim()) failures.push(`expected exactly ${JSON.stringify(c.expect)}`);
    } else if (c.expect.tool !== undefined) {
      let args;
      try {
        args = JSON.parse(called?.arguments || "{}");
      } catch {
        args = undefined;
      }
      if (!called || called.name !== c.expect.tool) failures.push(`expected a call to ${c.expect.tool}`);
      else if (c.expect.arguments && !containsSubset(args, c.expect.arguments)) failures.push(`arguments of ${c.expect.tool} lack ${JSON.stringify(c.expect.arguments)}`);
    } else {
      let v;
      try {
        v = JSON.parse(text);
      } catch {
        v = undefined;
      }
      if (!containsSubset(v, c.expect)) failures.push(`JSON lacks ${JSON.stringify(c.expect)}`);
    }
  }
  for (const re of [c.mustMatch ?? []].flat()) if (!new RegExp(re, "i").test(text)) failures.push(`does not match /${re}/i`);
  if (c.label !== undefined && labelOf(request, answer) !== labelOf({}, { content: String(c.label) })) failures.push(`label is not ${c.label}`);
  return failures;
}
