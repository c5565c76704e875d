// The drill's request mix: seeded, so a scenario sends the same requests, in the same order, every run.
import { CLASSES } from "./common.mjs";
import { LABELS } from "./detour-config.mjs";

/** A small seeded PRNG (mulberry32): returns a function giving floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** FNV-1a over the string: a seed from a name. */
export const hashString = (s) => [...s].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
const pick = (rnd, xs) => xs[Math.floor(rnd() * xs.length)];

const TICKETS = {
  billing: [
    "I was charged twice for my subscription this month, please refund the duplicate payment on invoice {n}.",
    "My invoice {n} shows a plan I never ordered and the billing total is wrong.",
    "The refund for order {n} has not arrived on my card after two weeks.",
  ],
  technical: [
    "The app crashes on startup since the last update, on build {n}.",
    "Sync has been broken since Tuesday and the dashboard freezes on report {n}.",
    "Exports are very slow and time out for workspace {n}.",
  ],
  account: [
    "I cannot reset my password, the login link for account {n} never arrives.",
    "Please change the username on account {n}, I lost access to the old email.",
    "Two-factor codes are rejected when I sign in to account {n}.",
  ],
  other: [
    "Do you have an office near the harbour? Reference {n}.",
    "I would like to send feedback about your newsletter, reference {n}.",
  ],
};
const FIRST = ["Ana", "Bruno", "Chen", "Dara", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas"];
const TOPICS = ["a rainy weekend", "a team offsite", "a short walk", "a quiet morning", "a new hobby", "a city trip", "a picnic", "a book club"];
const DOCS = [
  "The quarterly review found that support volume rose {n} percent while median response time fell to four hours, mostly thanks to the new triage queue and two extra hires on the night shift.",
  "Release notes for version {n}: faster exports, a redesigned settings page, fixes for calendar sync and a new audit log that records every change an administrator makes.",
  "Meeting notes, item {n}: the team agreed to move the launch by one week, keep the pricing unchanged, and run a small beta with twenty customers before the public announcement.",
];

const CLASSIFY_SCHEMA = {
  type: "json_schema",
  json_schema: {
    name: "ticket_category",
    strict: true,
    schema: { type: "object", properties: { category: { type: "string", enum: LABELS } }, required: ["category"], additionalProperties: false },
  },
};
const EXTRACT_SCHEMA = {
  type: "json_schema",
  json_schema: {
    name: "contact",
    schema: {
      type: "object",
      properties: {
        name: { type: "string" },
        email: { type: "string" },
        phone: { type: "string" },
        order_id: { type: "string" },
        amount: { type: "string" },
      },
      required: ["email"],
    },
  },
};

/** One request of a class; `n` makes it unique (Detour's near-duplicate matching refuses a changed number). */
export function makeRequest(cls, rnd, n, stream) {
  if (cls === "classification") return classification(rnd, n);
  if (cls === "extraction") return extraction(rnd, n);
  if (cls === "summarization") return summarization(rnd, n, stream);
  return chatRequest(rnd, n, stream);
}

function classification(rnd, n) {
  const label = pick(rnd, LABELS);
  const text = pick(rnd, TICKETS[label]).replace("{n}", String(n));
  return {
    body: {
      model: "auto",
      temperature: 0,
      messages: [
        { role: "system", content: "Classify the support ticket into one category." },
        { role: "user", content: text },
      ],
      response_format: CLASSIFY_SCHEMA,
    },
    expect: label,
  };
}

function extraction(rnd, n) {
  const name = pick(rnd, FIRST);
  return {
    body: {
      model: "auto",
      temperature: 0,
      messages: [
        { role: "system", content: "Extract the contact details from the message." },
        {
          role: "user",
          content: `Hi, this is ${name}. Please reach me at ${name.toLowerCase()}.${n}@example.com or +1 555 ${String(1000 + (n % 9000))}, about order ORD-${n} for $${(n % 500) + 20}.00.`,
        },
      ],
      response_format: EXTRACT_SCHEMA,
    },
  };
}

function summarization(rnd, n, stream) {
  const body = {
    model: "auto",
    messages: [{ role: "user", content: `Summarize in one sentence: ${pick(rnd, DOCS).replace("{n}", String(n))}` }],
    max_tokens: 120,
  };
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return { body, headers: { "x-detour-task": "summarization" } };
}

function chatRequest(rnd, n, stream) {
  const body = {
    model: "auto",
    messages: [
      { role: "system", content: "You are a friendly assistant for a note-taking app." },
      { role: "user", content: `Give me one short idea for ${pick(rnd, TOPICS)}, note ${n}.` },
    ],
    max_tokens: 200,
  };
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return { body };
}

/** The abusive request kinds a tenant may send. */
export const ABUSE_KINDS = ["empty-stop", "deep-schema", "huge-max-tokens"];
/** Every mock vendor's reply starts with this word (scripts/mock-vendors.mjs DEFAULT_REPLIES): as a stop sequence it empties the answer. */
export const REPLY_FIRST_WORD = "Hello";
/** How deep `deep-schema` nests its JSON schema: far past any sane schema, as a hostile caller would. */
export const DEEP_SCHEMA_LEVELS = 3000;

/**
 * A JSON schema `levels` objects deep, as JSON text: built as a string, because Node's own JSON.stringify overflows
 * its stack on it (the drill's client must not be what fails).
 */
export function deepSchemaText(levels) {
  return '{"type":"object","properties":{"next":'.repeat(levels) + '{"type":"string"}' + "}}".repeat(levels);
}

/**
 * One abusive request of `kind`, unique by `n`, all of them chat-shaped and non-streamed:
 * `empty-stop` stops at the reply's first word, so the vendor answers an empty text, finish_reason "stop" — the
 * caller's own doing; `deep-schema` asks for a json_schema nested DEEP_SCHEMA_LEVELS deep; `huge-max-tokens` asks for
 * 1,000,000 output tokens.
 */
export function abusiveRequest(kind, n) {
  const messages = [{ role: "user", content: `Say hello to note ${n}.` }];
  if (kind === "empty-stop") return { cls: "chat", body: { model: "auto", messages, stop: [REPLY_FIRST_WORD], max_tokens: 50 } };
  if (kind === "huge-max-tokens") return { cls: "chat", body: { model: "auto", messages, max_tokens: 1_000_000 } };
  if (kind === "deep-schema") {
    // `body` is the request without its schema; `bodyText` is what is sent.
    const body = { model: "auto", messages, max_tokens: 50 };
    const schema = deepSchemaText(DEEP_SCHEMA_LEVELS);
    const bodyText = `${JSON.stringify(body).slice(0, -1)},"response_format":{"type":"json_schema","json_schema":{"name":"deep_${n}","schema":${schema}}}}`;
    return { cls: "chat", body, bodyText };
  }
  throw new Error(`unknown abusive request kind ${kind}`);
}

/** A tenant's kinds of request: none (the normal mix) or a list of abusive kinds. */
const kindsOf = (t) => (t.requests === undefined || t.requests === "normal" ? [] : Array.isArray(t.requests) ? t.requests : [t.requests]);

/**
 * The scenario's request plan, `(i) => { cls, stream, repeat, body, headers?, expect?, tenant?, kind? }`: deterministic
 * from its name and seed; `repeat` reuses a small pool so the cache has work. With `tenants`, each request goes to a
 * tenant drawn by share (from its own generator, so the normal mix is the same one a single-tenant scenario sends); an
 * abusive tenant's requests cycle through its kinds.
 */
export function planner(scenario) {
  const normal = normalPlanner(scenario);
  const tenants = scenario.tenants ?? [];
  if (!tenants.length) return normal;
  const trnd = mulberry32(hashString(`${scenario.name}/tenants`) ^ (scenario.seed ?? 1));
  const total = tenants.reduce((a, t) => a + t.share, 0);
  const sent = new Map();
  return (i) => {
    let x = trnd() * total;
    const t = tenants.find((tt) => (x -= tt.share) < 0) ?? tenants[tenants.length - 1];
    const kinds = kindsOf(t);
    // The normal plan advances for every request, so a tenant's normal requests do not depend on the others' draws.
    const req = normal(i);
    if (!kinds.length) return { ...req, tenant: t.name };
    const k = sent.get(t.name) ?? 0;
    sent.set(t.name, k + 1);
    const kind = kinds[k % kinds.length];
    return { stream: false, repeat: false, ...abusiveRequest(kind, 10_000 + i), tenant: t.name, kind };
  };
}

function normalPlanner(scenario) {
  const mix = scenario.mix ?? {};
  const weights = { classification: 3, extraction: 2, chat: 4, summarization: 1, ...(mix.classes ?? {}) };
  const total = CLASSES.reduce((a, c) => a + (weights[c] ?? 0), 0) || 1;
  const streamShare = mix.stream ?? 0.3;
  const repeatShare = mix.repeat ?? 0.2;
  const rnd = mulberry32(hashString(scenario.name) ^ (scenario.seed ?? 1));
  const POOL = 6;
  return (i) => {
    const cls = pickClass(rnd() * total, weights);
    const stream = (cls === "chat" || cls === "summarization") && rnd() < streamShare;
    const repeat = cls !== "chat" && rnd() < repeatShare;
    // Repeated prompts come from a fixed pool per class (numbers 1..POOL), built from their own generator so a repeat
    // is byte-identical to the first time it was sent.
    const n = repeat ? 1 + Math.floor(rnd() * POOL) : 10_000 + i;
    const r = makeRequest(cls, repeat ? mulberry32(hashString(cls) + n) : rnd, n, stream);
    return { cls, stream, repeat, ...r };
  };
}


/** The class whose slice of the cumulative weights `x` falls in. */
function pickClass(x, weights) {
  for (const c of CLASSES) {
    if ((x -= weights[c] ?? 0) < 0) return c;
  }
  return CLASSES[CLASSES.length - 1];
}
