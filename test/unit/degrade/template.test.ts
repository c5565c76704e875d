import { describe, expect, it } from "vitest";
import type { CanonicalRequest } from "../../../src/canonical";
import { renderTemplate, Template, validateTemplate } from "../../../src/degrade/template";

const NOW = Date.UTC(2024, 2, 5, 23, 59, 0); // 2024-03-05, late in the UTC day

function req(text: string, extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: text }], stream: false, includeUsage: false, ...extra };
}

function errors(input: unknown): string[] {
  const r = validateTemplate(input);
  return r.ok ? [] : r.errors;
}

const SUPPORT = Template.parse({
  text: "Hi {{name}}, we received ticket {{ticket_id}} on {{date}}. Plan: {{plan}}. Signed, {{ user }}.",
  description: "support replies while providers are down",
  variables: {
    name: { from: "metadata", key: "customer_name", default: "there" },
    ticket_id: { from: "regex", pattern: "ticket\\s*#?\\s*(\\d+)" },
    plan: { from: "metadata" },
  },
});

describe("renderTemplate", () => {
  it("fills metadata, regex captures and built-ins", () => {
    const r = renderTemplate(
      SUPPORT,
      req("My TICKET #4521 is still open", { metadata: { customer_name: "Ada", plan: "pro" }, user: "agent-7" }),
      NOW,
    );
    expect(r).toEqual({ text: "Hi Ada, we received ticket 4521 on 2024-03-05. Plan: pro. Signed, agent-7.", missing: [] });
  });

  it("uses defaults, then readable placeholders, and lists what was missing", () => {
    const r = renderTemplate(SUPPORT, req("no number here"), NOW);
    expect(r.text).toBe("Hi there, we received ticket [ticket id] on 2024-03-05. Plan: [plan]. Signed, [user].");
    expect(r.missing).toEqual(["ticket_id", "plan", "user"]);
  });

  it("treats blank values as missing", () => {
    const r = renderTemplate(SUPPORT, req("x", { metadata: { customer_name: "  ", plan: "" } }), NOW);
    expect(r.text).toMatch(/^Hi there,.*Plan: \[plan\]/);
  });

  it("reads the last user message, text parts joined", () => {
    const t = Template.parse({ text: "Order {{order}}", variables: { order: { from: "regex", pattern: "ORD-\\d+" } } });
    const r = renderTemplate(
      t,
      {
        messages: [
          { role: "user", content: "ORD-1 was fine" },
          { role: "assistant", content: "ok" },
          { role: "user", content: [{ type: "text", text: "now about" }, { type: "image", url: "https://x/y.png" }, { type: "text", text: "ord-22" }] },
        ],
        stream: false,
        includeUsage: false,
      },
      NOW,
    );
    expect(r.text).toBe("Order ord-22"); // whole match when there is no capture group; case-insensitive
  });

  it("from: user and declared variables shadow built-ins", () => {
    const t = Template.parse({
      text: "Hello {{who}} ({{user}}), today is {{date}}",
      variables: { who: { from: "user", default: "friend" }, date: { from: "metadata", key: "local_date" } },
    });
    expect(renderTemplate(t, req("x", { user: "sam" }), NOW).text).toBe("Hello sam (sam), today is [date]");
    expect(renderTemplate(t, req("x", { metadata: { local_date: "6 March" } }), NOW).text).toBe(
      "Hello friend ([user]), today is 6 March",
    );
  });

  it("never evaluates anything and escapes nothing", () => {
    const t = Template.parse({ text: "{{q}} & <b>${1+1}</b>", variables: { q: { from: "metadata" } } });
    const r = renderTemplate(t, req("x", { metadata: { q: "{{date}} <script>alert(1)</script> ${process.exit()}" } }), NOW);
    // A value containing {{…}} is not re-expanded; template text and values come out verbatim.
    expect(r.text).toBe("{{date}} <script>alert(1)</script> ${process.exit()} & <b>${1+1}</b>");
  });

  it("does not reach Object.prototype through metadata keys", () => {
    const t = Template.parse({ text: "[{{c}}]", variables: { c: { from: "metadata", key: "constructor" } } });
    expect(renderTemplate(t, req("x", { metadata: {} }), NOW)).toEqual({ text: "[[c]]", missing: ["c"] });
  });

  it("renders camelCase names readably", () => {
    const t = Template.parse({ text: "{{invoiceNumber}}", variables: { invoiceNumber: { from: "metadata" } } });
    expect(renderTemplate(t, req("x"), NOW).text).toBe("[invoice number]");
  });

  it("renders text with no placeholders unchanged", () => {
    expect(renderTemplate(Template.parse({ text: "We are on it." }), req("x"), NOW)).toEqual({ text: "We are on it.", missing: [] });
  });
});

describe("Template validation", () => {
  it("accepts a well-formed template", () => {
    expect(validateTemplate({ text: "Hi {{user}}, {{date}}" })).toEqual({ ok: true, template: { text: "Hi {{user}}, {{date}}" } });
  });

  it("refuses undeclared variables, each once", () => {
    expect(errors({ text: "Ticket {{ticket}} for {{ticket}} and {{name}}" })).toEqual([
      "text: {{ticket}} is not declared; add it to variables or use a built-in ({{user}}, {{date}})",
      "text: {{name}} is not declared; add it to variables or use a built-in ({{user}}, {{date}})",
    ]);
  });

  it("refuses malformed placeholders and Object.prototype names", () => {
    expect(errors({ text: "About {{ticket id}}" })).toEqual([
      "text: {{ticket id}} is not a valid placeholder; names use letters, digits and _",
    ]);
    expect(errors({ text: "{{constructor}}" })[0]).toMatch(/\{\{constructor\}\} is not declared/);
  });

  it("refuses bad regexes at validation time", () => {
    const v = (pattern: string) => errors({ text: "{{t}}", variables: { t: { from: "regex", pattern } } });
    expect(v("ticket (\\d+")[0]).toMatch(/^variables\.t\.pattern: pattern ".*" does not compile: .*missing closing \)/);
    expect(v("x".repeat(201))).toEqual(["variables.t.pattern: pattern is 201 characters; the limit is 200"]);
    expect(v("(\\w+\\s?)*$")).toEqual([]); // catastrophic for a backtracking engine, linear on RE2
    expect(v("(?<!no )ticket")[0]).toMatch(/^variables\.t\.pattern: pattern .* uses lookbehind/);
    expect(v("")).toEqual(["variables.t.pattern: pattern is empty"]);
  });

  it("explains mismatched variable fields", () => {
    expect(errors({ text: "{{t}}", variables: { t: { from: "regex" } } })).toEqual([
      'variables.t.pattern: a variable with from: "regex" needs a pattern',
    ]);
    expect(errors({ text: "{{t}}", variables: { t: { from: "metadata", pattern: "x" } } })).toEqual([
      'variables.t.pattern: pattern is only used with from: "regex"',
    ]);
    expect(errors({ text: "{{t}}", variables: { t: { from: "user", key: "k" } } })).toEqual([
      'variables.t.key: key is only used with from: "metadata"',
    ]);
    expect(errors({ text: "{{t}}", variables: { t: { from: "env" } } })).toEqual([
      'variables.t.from: from must be "metadata", "user" or "regex"',
    ]);
  });

  it("refuses bad variable names, empty or huge text and unknown fields", () => {
    expect(errors({ text: "x", variables: { "ticket-id": { from: "user" } } })).toEqual([
      'variables.ticket-id: variable "ticket-id": names use letters, digits and _, and do not start with a digit',
    ]);
    expect(errors({ text: "" })).toHaveLength(1);
    expect(errors({ text: "x".repeat(20_001) })).toHaveLength(1);
    expect(errors({ text: "x", code: "alert(1)" })[0]).toMatch(/Unrecognized key.*code/);
  });
});
