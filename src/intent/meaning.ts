/**
 * What a question asks, as concepts: `cancel · subscription`, `refund · order`, plus qualifiers (`not`, `price`,
 * `time`, `international`…). Pure: canonical text in, concepts out, using the English tables in lexicon.ts extended by
 * the tenant's own (`cache.matching`). Two questions with the same concepts ask the same thing; see match.ts for when
 * a saved answer may stand in for another question.
 */
import { canonicalText } from "../cache/keys";
import { askOf, POINTS_BACK } from "./ask";
import { ACTION_ON_OBJECT, SUPPORT_SPELLINGS } from "./lexicon-support";
import { ACTIONS, DIRECTIONS, IMPLIED, NEGATIONS, OPENING_QUESTION_WORDS, PARTICLES, PHRASES, SCOPE_NOUNS, STOP_WORDS, SYNONYMS } from "./lexicon";

/** A tenant's additions to the shipped tables (validated in src/cache/policy.ts). */
export interface LexiconExtension {
  /** word or phrase → the concept(s) it means, e.g. {"nix": "cancel", "pro tier": "subscription"}; "" drops it. */
  synonyms?: Record<string, string>;
  /** More words that never change what a question asks. */
  stopWords?: string[];
  /** More concepts that are actions. */
  actions?: string[];
}

export interface Lexicon {
  stop: ReadonlySet<string>;
  phrases: ReadonlyMap<string, string>;
  longestPhrase: number;
  synonyms: ReadonlyMap<string, string>;
  actions: ReadonlySet<string>;
}

/** Concepts that qualify a question (how much, when, not…) and are never its object. */
const QUALIFIERS = new Set(["not", "price", "time", "duration", "reason", "count", "all", "international"]);

const fold = (s: string) => canonicalText(s).replace(/-/g, " ").replace(/\s+/g, " ").trim();

/** The shipped English tables, extended (not replaced) by `ext`. Build once per config, not per request. */
export function buildLexicon(ext: LexiconExtension = {}): Lexicon {
  const phrases = new Map<string, string>();
  const synonyms = new Map<string, string>();
  const add = (from: string, to: string) => {
    const key = fold(from);
    if (key === "") return;
    (key.includes(" ") ? phrases : synonyms).set(key, fold(to));
  };
  for (const [k, v] of Object.entries(PHRASES)) add(k, v);
  for (const [k, v] of Object.entries(SYNONYMS)) add(k, v);
  for (const [k, v] of Object.entries(ext.synonyms ?? {})) add(k, v);
  const stop = new Set([...STOP_WORDS, ...(ext.stopWords ?? []).map(fold)]);
  const actions = new Set([...ACTIONS, ...(ext.actions ?? []).map(fold)]);
  const longestPhrase = Math.max(1, ...[...phrases.keys()].map((p) => p.split(" ").length));
  return { stop, phrases, longestPhrase, synonyms, actions };
}

let english: Lexicon | undefined;
/** The shipped tables alone (memoised). */
export function englishLexicon(): Lexicon {
  return (english ??= buildLexicon());
}

/**
 * What a question asks. `actions` and `objects` must agree before two questions can share an answer; `qualifiers`
 * (not, price, time, duration, reason…) refine it; `concepts` is the sorted set of all three.
 */
export interface Meaning {
  actions: string[];
  objects: string[];
  qualifiers: string[];
  concepts: string[];
}

/**
 * Inflections a listed word may take, tried in order against the synonym table: plural, -ing, -ed, with a dropped
 * final e or a doubled consonant restored. The first listed form wins; otherwise a light suffix strip, so unknown
 * words still meet their own inflections ("charges"/"charge").
 */
function forms(w: string): string[] {
  const out = [w];
  if (!/^[a-z]{4,}$/.test(w)) return out;
  const strip = (suffix: string) => (w.endsWith(suffix) ? w.slice(0, -suffix.length) : undefined);
  const ies = strip("ies");
  if (ies) out.push(`${ies}y`);
  const es = strip("es");
  if (es) out.push(es);
  const s = !/(ss|us|is)$/.test(w) ? strip("s") : undefined;
  if (s) out.push(s);
  for (const suffix of ["ing", "ed", "ation", "ment", "ly"]) {
    const base = strip(suffix);
    if (!base || base.length < 3) continue;
    out.push(base, `${base}e`);
    if (/([^aeiou])\1$/.test(base)) out.push(base.slice(0, -1));
  }
  return out;
}

function conceptOf(w: string, lex: Lexicon): string {
  for (const f of forms(w)) {
    const hit = lex.synonyms.get(f);
    if (hit !== undefined) return hit;
  }
  // Unknown words: the plural, and -ed/-ing on longer words (a shorter strip could merge two different words).
  if (!/^[a-z]{4,}$/.test(w)) return w;
  if (w.length >= 6 && /(ed|ing)$/.test(w)) {
    const base = w.replace(/(ed|ing)$/, "");
    return /([^aeiou])\1$/.test(base) ? base.slice(0, -1) : base;
  }
  return w.endsWith("s") && !/(ss|us|is)$/.test(w) ? w.slice(0, -1) : w;
}

/**
 * Particle verbs split by their object ("send the product back", "turn it on", "log me out") rejoined, so the phrase
 * table sees "send back the product": only when verb + particle is itself a listed phrase and at most three words
 * stand between them.
 */
function rejoinParticles(words: string[], lex: Lexicon): string[] {
  const out = [...words];
  for (let i = 0; i < out.length; i++) {
    for (let j = i + 2; j <= Math.min(i + 4, out.length - 1); j++) {
      if (PARTICLES.has(out[j - 1]!)) break; // a particle in between belongs to something else
      if (!PARTICLES.has(out[j]!) || !lex.phrases.has(`${out[i]} ${out[j]}`)) continue;
      if (lex.phrases.has(`${out[j - 1]} ${out[j]}`)) break; // "get my money back": the particle is the phrase's
      // "get Teams on my laptop" puts something somewhere; it is not "get on" (connect). Only "get … back" rejoins.
      if (out[i] === "get" && out[j] !== "back") continue;
      const [particle] = out.splice(j, 1);
      out.splice(i + 1, 0, particle!);
      break;
    }
  }
  return out;
}

/** Canonical words with phrases replaced by what they stand for (longest phrase first). */
function phraseWords(text: string, lex: Lexicon): string[] {
  const words = rejoinParticles(
    fold(text)
      .split(" ")
      .filter((w) => w !== "")
      .map((w) => SUPPORT_SPELLINGS[w] ?? w), // chat shorthand and common misspellings: the word meant
    lex,
  );
  const out: string[] = [];
  for (let i = 0; i < words.length; ) {
    let matched = false;
    for (let n = Math.min(lex.longestPhrase, words.length - i); n >= 2; n--) {
      const key = words.slice(i, i + n).join(" ");
      // A phrase's last word may be plural ("payment methods", "marketing emails").
      const to = lex.phrases.get(key) ?? (/[a-z]{3}s$/.test(key) && !/(ss|us|is)$/.test(key) ? lex.phrases.get(key.slice(0, -1)) : undefined);
      if (to === undefined) continue;
      out.push(...to.split(" ").filter((w) => w !== "").map((w) => `=${w}`)); // "=": already a concept
      i += n;
      matched = true;
      break;
    }
    if (!matched) out.push(words[i++]!);
  }
  return out;
}

/**
 * The meaning of a question: its actions, objects and qualifiers. Pure and deterministic. A chat message is read by
 * its ask (ask.ts: "hi, bought this last week and it broke. how do I return it?" asks "how do I return it") when the
 * ask names an action or an object; otherwise, and when there is no clear ask, by its whole text.
 */
export function meaningOf(text: string, lex: Lexicon = englishLexicon()): Meaning {
  const found = askOf(text);
  if (found !== undefined) {
    const m = meaningOfText(found.ask, lex);
    // "…, where is it": an ask that acts on a pronoun acts on the one thing the context before it names.
    if (m.actions.length > 0 && m.objects.length === 0 && found.context !== undefined && POINTS_BACK.test(found.ask)) {
      const named = meaningOfText(found.context, lex).objects;
      if (named.length === 1) return { ...m, objects: named, concepts: [...m.concepts, ...named].sort() };
    }
    if (m.actions.length + m.objects.length > 0) return m;
  }
  return meaningOfText(text, lex);
}

function meaningOfText(text: string, lex: Lexicon): Meaning {
  const seq: string[] = [];
  // "When will…" / "Why was…" ask for a time or a reason; "…when switching" does not.
  const words = phraseWords(text, lex);
  const opening = OPENING_QUESTION_WORDS[words[0] ?? ""]; // a phrase that starts with it ("when are you open") wins
  if (opening) seq.push(opening);
  let direction: string | undefined;
  const directed = new Map<string, string>(); // concept → the direction word before it
  for (const w of words) {
    if (DIRECTIONS[w]) direction = DIRECTIONS[w];
    let got: string[] = [];
    if (w.startsWith("=")) got = [w.slice(1)];
    else if (NEGATIONS.has(w)) got = ["not"];
    else if (!lex.stop.has(w)) got = conceptOf(w, lex).split(" ").filter((c) => c !== "");
    if (got.length > 0 && direction) directed.set(got[0]!, direction), (direction = undefined);
    seq.push(...got);
  }
  // "log into the VPN" is connecting to it: an action that means another on the objects in play.
  for (let i = 0; i < seq.length; i++) {
    const on = ACTION_ON_OBJECT[seq[i]!];
    const to = on && seq.map((c) => on[c]).find((a) => a !== undefined);
    if (to) seq[i] = to;
  }
  // A concept an action already implies adds nothing: a delivery is of an order, one logs in to an account, returning
  // something means it was bought, downgrading is a change.
  const present = new Set(seq.filter((c) => lex.actions.has(c)));
  const implied = new Set([...present].flatMap((a) => IMPLIED[a] ?? []).filter((c) => !(IMPLIED[c] ?? []).some((x) => present.has(x))));
  const unique = [...new Set(seq)].filter((c) => !implied.has(c));
  const actions = unique.filter((c) => lex.actions.has(c)).sort();
  const qualifiers = unique.filter((c) => QUALIFIERS.has(c)).sort();
  let objects = unique.filter((c) => !lex.actions.has(c) && !QUALIFIERS.has(c));
  if (objects.some((o) => !SCOPE_NOUNS.has(o))) objects = objects.filter((o) => !SCOPE_NOUNS.has(o));
  // With two things in play, which one is the destination changes the answer.
  if (objects.length >= 2) objects = objects.map((o) => (directed.has(o) ? `${directed.get(o)}:${o}` : o));
  objects.sort();
  return { actions, objects, qualifiers, concepts: [...actions, ...objects, ...qualifiers].sort() };
}

/** `cancel · subscription`: the meaning's actions and objects, the part that must agree before anything else counts. */
export function meaningHead(m: Meaning): string {
  return `${m.actions.join("+") || "-"} · ${m.objects.join("+") || "-"}`;
}
