/**
 * The ask of a chat message: "hi, bought this last week and it stopped working — how do I send it back?" asks
 * "how do I send it back". Customers write context before the question (what happened, when, greetings, thanks); a
 * meaning key built from the whole message collects the context's actions and objects too and never meets the clean
 * question. So meaning.ts reads the ask alone when a message has one, and the whole text otherwise.
 *
 * Pure and deliberately conservative: a message is split into sentences (. ? ! ; newlines, dashes) and each sentence
 * into comma fragments. A fragment is an **ask** when it ends with "?", opens with a question word ("how", "can",
 * "is there"…), a request framing ("I want to", "I need", "please") or a bare action verb ("cancel my order"), or
 * says "please". The ask is every ask fragment, plus what follows it in its sentence (the rest of the question:
 * "…by card, PayPal or transfer?") and what precedes it when that starts with a condition or preposition ("if I cancel
 * now, do I get a refund?" keeps the condition), and everything after it but greetings and thanks. Before it,
 * greetings and fragments that tell what happened ("bought it last week", "it stopped working") are context and left
 * out; fragments that state how things are ("I live in Canada") may change the answer and stay. At most
 * MAX_CONTEXT_WORDS may precede the ask: a longer preamble is a document the question is about, not chat. No ask
 * fragment: the whole text is the ask.
 */
import { ACTIONS, SYNONYMS } from "./lexicon";

/** At most this many words of context are left out before an ask; beyond it the message is read whole. */
export const MAX_CONTEXT_WORDS = 30;

/**
 * Words that tell what happened (with any word ending in -ed): context made of them narrates and is left out. Context
 * without them states how things are ("I live in Canada", "we're on the premium plan") and may change the answer, so
 * it stays part of the ask.
 */
const NARRATIVE = new Set(
  ("been got gotten bought brought caught came come went was had lost broke broken forgot forgotten paid sent spent made " +
    "took taken gave given left sold told said saw seen found heard thought felt fell ran grew knew threw wrote drove " +
    "flew chose began woke wore tore did didnt wasnt werent hasnt havent hadnt never ago yesterday last stopped keeps " +
    "kept still anymore again tried trying lol").split(" "),
);

/** Words that open a question. */
const QUESTION_OPENERS = new Set(
  "how hows what whats where wheres when whens why who whos which can could would will is are do does did should may any anyone".split(" "),
);

/** Request framings, as the first words of a fragment. */
const REQUEST_FRAMINGS = [
  "i want", "i wanna", "i d like", "id like", "i would like", "i need", "i must", "i have to", "i am trying to",
  "i m trying to", "im trying to", "i am looking to", "i m looking to", "im looking to", "want to", "wanna", "need to",
  "would like", "looking to", "trying to", "help me", "tell me", "show me", "let me know", "please", "pls", "plz", "kindly",
];

/** Words a greeting, thanks or sign-off is made of; a fragment of only these is dropped. */
const GREETING_WORDS = new Set(
  ("hi hii hey heya hello hallo yo morning good afternoon evening there team guys folks all everyone support thanks " +
    "thank you thx ty cheers regards best kind many in advance ok okay so um uh oh well yeah yes sorry lol haha help " +
    "urgent quick question dear sir madam hope youre doing are well").split(" "),
);

/** Leading words that carry nothing before the fragment's real opener ("hi, so, also, and how do I…"). */
const LEADING_FILLERS = new Set(["hi", "hey", "hello", "so", "and", "but", "also", "ok", "okay", "well", "um", "oh", "then", "quick", "question", "btw"]);

/** A preceding fragment that opens with one of these qualifies the ask rather than telling a story. */
const QUALIFYING_OPENERS = new Set(
  "if unless when whenever once after before while until for on in with without from to about regarding re as per".split(" "),
);

/** Past forms the synonym table maps to an action: a fragment opening with one tells what happened, it is no order. */
const PAST_FORMS = /(ed|ought|ught)$/;

const words = (s: string) =>
  s
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[’']/g, "")
    .replace(/[^\p{L}\p{N}\s]+/gu, " ")
    .split(/\s+/)
    .filter((w) => w !== "");

function isGreeting(ws: string[]): boolean {
  return ws.length > 0 && ws.every((w) => GREETING_WORDS.has(w));
}

function isAsk(fragment: string, endsWithQuestionMark: boolean): boolean {
  if (endsWithQuestionMark) return true;
  let ws = words(fragment);
  while (ws.length > 1 && LEADING_FILLERS.has(ws[0]!)) ws = ws.slice(1);
  if (ws.length === 0) return false;
  if (QUESTION_OPENERS.has(ws[0]!)) return true;
  const head = ws.join(" ");
  if (REQUEST_FRAMINGS.some((f) => head === f || head.startsWith(`${f} `))) return true;
  if (ws.includes("please") || ws.includes("pls") || ws.includes("plz")) return true;
  // An imperative: the bare verb of an action ("cancel my order", "stop my membership from renewing").
  const concept = SYNONYMS[ws[0]!] ?? ws[0]!;
  return ACTIONS.has(concept) && !PAST_FORMS.test(ws[0]!) && !/ing$/.test(ws[0]!);
}

interface Fragment {
  text: string;
  ask: boolean;
}

/**
 * A chat message split into its ask and the context told right before it (the last fragment left out before the
 * ask, which is what a pronoun in the ask most likely points to: "my package hasn't shown up yet, where is it").
 */
export interface Ask {
  ask: string;
  context?: string;
}

/**
 * Does the ask point back at something named before it ("return it", "onboard them", "the new one"), or only ask after
 * it ("still waiting for my parcel, any update?")?
 */
export const POINTS_BACK = /\b(it|them|one|this|that|these|those|any updates?|any news)\b/i;

/** The message's ask, or `undefined` when it has no clear ask (or is nothing but its ask). */
export function askOf(text: string): Ask | undefined {
  // Sentences: end punctuation, newlines, semicolons and dashes between spaces ("… working — how do I …").
  const sentences = text
    .split(/(?<=[.?!])\s+|\n+|;\s*|\s[—–-]+\s|[—–]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (sentences.length === 0) return undefined;
  const kept: string[] = [];
  let dropped = false;
  let contextWords = 0;
  let context: string | undefined;
  let kept0: string[] = []; // context that states how things are; it stays part of the ask
  const leaveOut = (f: string) => {
    const ws = words(f);
    if (isGreeting(ws)) return void (dropped = true);
    contextWords += ws.length;
    if (!ws.some((w) => NARRATIVE.has(w) || /^[a-z]{3,}ed$/.test(w))) return void kept0.push(f);
    dropped = true;
    context = f;
  };
  for (const sentence of sentences) {
    const question = /\?\s*$/.test(sentence);
    const parts = sentence.split(/,\s*/).map((p) => p.trim()).filter((p) => p !== "");
    const frags: Fragment[] = parts.map((p, i) => ({ text: p, ask: isAsk(p, question && i === parts.length - 1) }));
    // Once the ask has begun, everything but a greeting or thanks belongs to it: only what comes before is context.
    let from = kept.length > 0 ? 0 : frags.findIndex((f) => f.ask);
    if (from < 0) {
      for (const f of frags) leaveOut(f.text);
      continue;
    }
    // Before the first ask: keep a run of qualifying fragments right before it ("if I cancel now, …").
    while (from > 0 && QUALIFYING_OPENERS.has(words(frags[from - 1]!.text)[0] ?? "")) from--;
    for (const f of frags.slice(0, from)) leaveOut(f.text);
    if (kept.length === 0) (kept.push(...kept0), (kept0 = []));
    for (const f of frags.slice(from)) {
      if (isGreeting(words(f.text))) dropped = true;
      else kept.push(f.text);
    }
  }
  // A chat preamble is a sentence or two. More than that before the question is a document the question is about
  // ("<an essay>. Please proofread it."), and leaving it out would let two different documents share an answer.
  if (!dropped || kept.length === 0 || contextWords > MAX_CONTEXT_WORDS) return undefined;
  return { ask: kept.join(", "), context };
}
