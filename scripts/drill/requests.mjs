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

/**
 * The scenario's request plan, `(i) => { cls, stream, repeat, body, headers?, expect? }`: deterministic from its name and
 * seed; `repeat` reuses a small pool so the cache has work.
 */
export function planner(scenario) {
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
