import { describe, expect, it } from "vitest";
import { conformsTo, extractBySchema } from "../../../src/degrade/rules";

describe("extractBySchema", () => {
  /** Extracts and asserts the result validates, the property every degraded answer must have. */
  function extract(text: string, schema: Record<string, unknown>) {
    const r = extractBySchema(text, schema);
    expect(conformsTo(r.value, schema)).toBe(true);
    return r;
  }

  it("emails, singly and as arrays", () => {
    const schema = {
      type: "object",
      properties: { email: { type: "string", format: "email" }, emails: { type: "array", items: { type: "string" } } },
      required: ["email"],
    };
    const r = extract("Write to Ana.Lopez+work@example.co.uk or ops@detour.dev.", schema);
    expect(r.value).toEqual({ email: "Ana.Lopez+work@example.co.uk", emails: ["Ana.Lopez+work@example.co.uk", "ops@detour.dev"] });
    expect(r.filled).toEqual(["email", "emails"]);
  });

  it("two singular fields of one kind take distinct matches", () => {
    const schema = { type: "object", properties: { from_email: { type: "string" }, reply_email: { type: "string" } } };
    expect(extract("a@x.io then b@y.io", schema).value).toEqual({ from_email: "a@x.io", reply_email: "b@y.io" });
  });

  it("urls without trailing punctuation", () => {
    const schema = { type: "object", properties: { website: { type: "string" }, links: { type: "array", items: { type: "string" } } } };
    expect(extract("See https://detour.dev/docs?x=1, and www.example.com.", schema).value).toEqual({
      website: "https://detour.dev/docs?x=1",
      links: ["https://detour.dev/docs?x=1", "www.example.com"],
    });
  });

  it("phone numbers in common shapes, not short numbers", () => {
    const schema = { type: "object", properties: { phones: { type: "array", items: { type: "string" } } } };
    expect(extract("Call +1 (555) 123-4567, 020 7946 0958 or +14155550123; room 12 34.", schema).value).toEqual({
      phones: ["+1 (555) 123-4567", "020 7946 0958", "+14155550123"],
    });
  });

  it.each([
    ["on 2024-03-05 please", "2024-03-05"],
    ["at 2024-03-05T10:30:00Z", "2024-03-05"],
    ["by March 5th, 2024", "2024-03-05"],
    ["by Sept 30 2024", "2024-09-30"],
    ["on the 5th of March 2024", "2024-03-05"],
    ["on 05.03.2024", "2024-03-05"],
    ["on 03/05/2024", "2024-03-05"],
    ["on 25/12/2024", "2024-12-25"],
    ["on 2024/3/5", "2024-03-05"],
  ])("date %j → %s with format: date", (text, iso) => {
    const schema = { type: "object", properties: { due_date: { type: "string", format: "date" } }, required: ["due_date"] };
    expect(extract(text, schema).value).toEqual({ due_date: iso });
  });

  it("keeps the written date where the schema has no date format, and skips impossible dates", () => {
    const schema = {
      type: "object",
      properties: { created_at: { type: "string" }, dates: { type: "array", items: { type: "string", format: "date" } } },
    };
    expect(extract("Opened March 5, 2024; not February 30, 2024; due 2024-04-01", schema).value).toEqual({
      created_at: "March 5, 2024",
      dates: ["2024-03-05", "2024-04-01"],
    });
  });

  it.each([
    ["Total: $1,234.50 incl. tax", 1234.5, "USD"],
    ["it cost 12,50 € in the end", 12.5, "EUR"],
    ["EUR 99 due", 99, "EUR"],
    ["£5 fee", 5, "GBP"],
    ["about 45 dollars", 45, "USD"],
    ["paid 1.234,56 EUR", 1234.56, "EUR"],
  ])("money %j → %d %s", (text, amount, currency) => {
    const schema = {
      type: "object",
      properties: { currency: { type: "string", enum: ["USD", "EUR", "GBP"] }, amount: { type: "number" } },
      required: ["amount", "currency"],
    };
    expect(extract(text, schema).value).toEqual({ currency, amount });
  });

  it("money into a string field keeps the text; a bare number still fills a total", () => {
    expect(extract("Price: €19.99", { type: "object", properties: { price: { type: "string" } } }).value).toEqual({ price: "€19.99" });
    expect(extract("order total is 45.00", { type: "object", properties: { total: { type: "number" } } }).value).toEqual({ total: 45 });
  });

  it("order, ticket and invoice ids go to the matching fields", () => {
    const schema = {
      type: "object",
      properties: { order_id: { type: "string" }, invoice_id: { type: "string" }, ticket: { type: "string" } },
    };
    expect(extract("Invoice INV-2024-001 for ORD-778, see ticket #5531", schema).value).toEqual({
      order_id: "ORD-778",
      invoice_id: "INV-2024-001",
      ticket: "5531",
    });
    expect(extract("my order number: 99812 never came", { type: "object", properties: { orderId: { type: "integer" } } }).value).toEqual({
      orderId: 99812,
    });
  });

  it("an id of one kind never fills another kind's field", () => {
    expect(extract("Invoice INV-7788", { type: "object", properties: { ticket_id: { type: "string" } } }).value).toEqual({});
  });

  it("numbers fill numeric fields; integers only integer ones", () => {
    const schema = { type: "object", properties: { quantity: { type: "integer" }, weight: { type: "number" } } };
    expect(extract("Send 3 boxes of 2.5 kg", schema).value).toEqual({ quantity: 3, weight: 2.5 });
  });

  it("enum fields take a value named in the text", () => {
    const schema = { type: "object", properties: { priority: { type: "string", enum: ["low", "high"] }, tags: { type: "array", items: { enum: ["billing", "login_issue"] } } } };
    expect(extract("High priority: a login issue after billing", schema).value).toEqual({ priority: "high", tags: ["billing", "login_issue"] });
  });

  it("required fields it cannot fill: null where allowed, omitted otherwise, listed as missing", () => {
    const schema = {
      type: "object",
      properties: {
        name: { type: ["string", "null"] },
        company: { anyOf: [{ type: "string" }, { type: "null" }] },
        title: { type: "string" },
        email: { type: "string" },
      },
      required: ["name", "company", "title", "email"],
    };
    const r = extractBySchema("reach me at x@y.com", schema);
    expect(r.value).toEqual({ email: "x@y.com", name: null, company: null });
    expect(r.missing).toEqual(["name", "company", "title"]);
    expect(conformsTo(r.value, schema)).toBe(false); // "title" cannot be made up, so ruleAnswer declines this one
  });

  it("fills nested objects with dotted paths", () => {
    const schema = {
      type: "object",
      properties: {
        customer: {
          type: "object",
          properties: { email: { type: "string" }, phone: { type: "string" }, name: { type: ["string", "null"] } },
          required: ["name"],
        },
        order_date: { type: "string", format: "date" },
      },
    };
    const r = extract("Jo (jo@x.org, 555-123-4567) ordered on 1 Feb 2024", schema);
    expect(r.value).toEqual({ customer: { email: "jo@x.org", phone: "555-123-4567", name: null }, order_date: "2024-02-01" });
    expect(r.filled).toEqual(["customer.email", "customer.phone", "order_date"]);
    expect(r.missing).toEqual(["customer.name"]);
  });

  it("claims each character once: ids and dates are not phones or numbers", () => {
    const schema = {
      type: "object",
      properties: {
        phones: { type: "array", items: { type: "string" } },
        numbers: { type: "array", items: { type: "number" } },
        ids: { type: "array", items: { type: "string" } },
      },
    };
    expect(extract("INV-2024-001 dated 2024-03-05 for 7 items", schema).value).toEqual({ ids: ["INV-2024-001"], numbers: [7] });
  });

  it("stays fast on long, hostile input (input is capped and no extractor backtracks quadratically)", () => {
    const schema = { type: "object", properties: { emails: { type: "array", items: { type: "string" } }, ids: { type: "array", items: { type: "string" } } } };
    // Each of these took ~370 ms before the email and id regexes were anchored; now all four take a few ms.
    const inputs = ["a".repeat(19_999) + "@", "1".repeat(20_000), "1.".repeat(10_000), "AB-".repeat(7000), "x".repeat(100_000)];
    const t0 = performance.now();
    for (const text of inputs) expect(extractBySchema(text, schema).filled).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it("finds nothing in text with nothing to find", () => {
    const schema = { type: "object", properties: { email: { type: "string" }, amount: { type: "number" }, date: { type: "string", format: "date" } } };
    expect(extract("just saying hello", schema)).toEqual({ value: {}, filled: [], missing: [] });
  });
});

describe("conformsTo", () => {
  it.each([
    ["x", { type: "string" }, true],
    [1.5, { type: "integer" }, false],
    [2, { type: ["integer", "null"] }, true],
    [null, { type: "string", nullable: true }, true],
    [Number.NaN, { type: "number" }, false],
    ["c", { enum: ["a", "b"] }, false],
    ["2024-02-29", { type: "string", format: "date" }, true],
    ["2023-02-29", { type: "string", format: "date" }, false],
    ["March 5", { type: "string", format: "date" }, false],
    ["a@b.co", { type: "string", format: "email" }, true],
    ["a@b", { type: "string", format: "email" }, false],
    [[1, "2"], { type: "array", items: { type: "number" } }, false],
    [{ a: 1 }, { type: "object", required: ["b"] }, false],
    [{ a: 1, z: 2 }, { type: "object", properties: { a: { type: "number" } }, additionalProperties: false }, false],
    [{ a: 1, z: 2 }, { type: "object", properties: { a: { type: "number" } } }, true],
    [null, { anyOf: [{ type: "string" }, { type: "null" }] }, true],
    [true, { type: "boolean" }, true],
    [{}, { type: "array" }, false],
  ])("%j against %j is %s", (value, schema, ok) => {
    expect(conformsTo(value, schema)).toBe(ok);
  });
});
