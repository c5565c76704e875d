/**
 * The object a prompt asks for when `json_object` mode carries no schema (the AI SDK's default
 * `createOpenAICompatible` sends exactly that): "Give the city, population and landmarks of Paris as JSON" names
 * three fields, so a model answers `{city, population, landmarks}`. This reads the field names off the wording and
 * their types off the names, as a JSON schema that src/providers/simulated-values.ts then fills from the prompt.
 * Deterministic: the same texts give the same schema.
 */

/** Words that end a run of field names: articles are skipped before a name, these never belong to one. */
const BREAKERS = new Set(
  (
    "a an the its their his her your my our this that these those of for in on at by to from as with about into per " +
    "each every all only including include includes plus or but not no is are was were be been being do does did " +
    "give return returns list describe show provide output generate create produce extract find get answer reply " +
    "respond format using use make write tell explain summarize summarise compare json object objects field fields " +
    "key keys property properties attribute attributes value values me us it them please just also then so if " +
    "should must can could would will i you we they he she what which who whom whose when where why how whether " +
    "containing contains contain having has have holding listing showing giving returning named called like such"
  ).split(" "),
);
const ARTICLES = new Set("a an the its their his her your my our".split(" "));
/** "list of X" makes X a list; "number of X" keeps its words and is a number. */
const LIST_OF = new Set(["list", "array", "lists"]);
const COUNT_OF = new Set(["number", "count", "amount", "total"]);
/** Sentences that talk about the answer's shape are read first; a system prompt's other sentences are not read. */
const SHAPE_WORDS = /\b(json|fields?|keys?|propert(y|ies)|attributes?|object)\b/i;

const NUMERIC = new Set(
  (
    "count number amount total population age price cost temperature temp year years score rating quantity qty size " +
    "weight height length width depth distance duration percent percentage ratio rank salary revenue budget calories " +
    "minutes hours seconds days speed area elevation altitude latitude longitude lat lng lon capacity balance votes " +
    "confidence probability stars pages rate income gdp"
  ).split(" "),
);
const INTEGER = new Set("count number population age year years quantity qty rank votes stars pages calories".split(" "));
const BOOLEAN = /^(is|has|have|can|should|was|were|does|did|will|are|needs?|allows?)_/;
/** Words that end in "s" but name one thing. */
const SINGULAR_S = /(ss|us|is|ics|news|series|species|status|alias|atlas|bias|canvas|gas|yes)$/;

/**
 * A JSON schema for the object the texts ask for (system prompts first, then the user's message), or undefined when
 * they name no fields. Field names are snake_case; types follow the names: `is_…`/`has_…` → boolean, counts, amounts,
 * ages, prices, temperatures, years → numbers, plurals and "list of …" → arrays of strings, anything else → string.
 */
export function schemaFromWording(systemTexts: string[], userText: string): Record<string, unknown> | undefined {
  const shaped = [...systemTexts, userText].flatMap(sentences).filter((s) => SHAPE_WORDS.test(s));
  const rest = sentences(userText).filter((s) => !SHAPE_WORDS.test(s));
  for (const sentence of [...shaped, ...rest]) {
    const fields = fieldsIn(sentence);
    if (fields.length > 0) {
      const properties = Object.fromEntries(fields.map((f) => [f.name, schemaFor(f.name, f.list, f.items)]));
      return { type: "object", properties, required: fields.map((f) => f.name), additionalProperties: false };
    }
  }
  return undefined;
}

function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter(Boolean);
}

interface Field {
  name: string;
  /** Asked for as a "list of …". */
  list: boolean;
  /** How many items a "list of 3 …" asks for. */
  items?: number;
}

/**
 * Field names in one sentence: the first run of two or more names joined by commas or "and" ("city, population and
 * landmarks"), else one name the sentence introduces explicitly ("a field called summary", "a list of fruits").
 */
function fieldsIn(sentence: string): Field[] {
  // Quotes and backticks around a name (`"sentiment"`, `score`) only mark it: the name itself is what counts.
  const tokens = sentence.replace(/[`"“”]/g, " ").match(/[\p{L}_][\p{L}\p{N}_-]*|\d+|[^\s\p{L}\p{N}]/gu) ?? [];
  let run: Field[] = [];
  let item: string[] = [];
  let list = false;
  let separators = 0;
  const endItem = () => {
    if (item.length > 0) run.push({ name: item.slice(-3).join("_").replace(/-/g, "_"), list });
    item = [];
    list = false;
  };
  const endRun = (): Field[] | undefined => {
    endItem();
    const found = separators > 0 && run.length >= 2 ? dedupe(run) : undefined;
    run = [];
    separators = 0;
    return found;
  };
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!;
    const word = raw.toLowerCase();
    const next = tokens[i + 1]?.toLowerCase();
    if (raw === "," || word === "and" || raw === "&") {
      endItem();
      if (run.length > 0) separators++;
      continue;
    }
    if (next === "of" && item.length === 0 && (LIST_OF.has(word) || COUNT_OF.has(word))) {
      // "a list of landmarks" → landmarks (a list); "number of employees" → number_of_employees (a number).
      if (LIST_OF.has(word)) list = true;
      else item.push(word, "of");
      i++;
      continue;
    }
    if (ARTICLES.has(word) && item.length === 0) continue;
    // A proper noun mid-sentence ("of Paris"), a number, other punctuation or a function word ends the run.
    const properNoun = i > 0 && /^\p{Lu}/u.test(raw);
    if (properNoun || BREAKERS.has(word) || !/^[\p{L}_]/u.test(raw)) {
      const found = endRun();
      if (found) return found;
      continue;
    }
    item.push(word);
  }
  const found = endRun();
  if (found) return found;
  return explicitField(sentence);
}

/** One field a sentence names on its own: "with a field called summary", "a `summary` key", "a list of fruits". */
function explicitField(sentence: string): Field[] {
  const s = sentence.replace(/[`"“”]/g, "");
  const called = /\b(?:field|key|property|attribute)\s+(?:called|named)\s+([\p{L}_][\p{L}\p{N}_]*)/iu.exec(s);
  if (called) return [{ name: called[1]!.toLowerCase(), list: false }];
  const before = /\b(?:an?|the|one)\s+([\p{L}_][\p{L}\p{N}_]*)\s+(?:field|key|property|attribute)\b/iu.exec(s);
  if (before && !BREAKERS.has(before[1]!.toLowerCase())) return [{ name: before[1]!.toLowerCase(), list: false }];
  const listOf = /\b(?:list|array)\s+of\s+(?:(\d+)\s+)?([\p{Ll}_][\p{L}\p{N}_]*)/u.exec(s);
  if (listOf && !BREAKERS.has(listOf[2]!)) {
    const n = listOf[1] === undefined ? undefined : Math.min(Math.max(Number(listOf[1]), 1), 20);
    return [{ name: listOf[2]!, list: true, ...(n === undefined ? {} : { items: n }) }];
  }
  return [];
}

function dedupe(fields: Field[]): Field[] {
  const seen = new Set<string>();
  return fields.filter((f) => !seen.has(f.name) && seen.add(f.name)).slice(0, 12);
}

/** The schema a field's name implies (its last word decides, so `release_year` is a number). */
function schemaFor(name: string, list = false, items?: number): Record<string, unknown> {
  const parts = name.split("_");
  const head = parts[parts.length - 1]!;
  if (BOOLEAN.test(name)) return { type: "boolean" };
  const numeric = NUMERIC.has(head) || COUNT_OF.has(parts[0]!) || /^num_|^n_/.test(name);
  if (numeric && !list) return { type: INTEGER.has(head) || COUNT_OF.has(parts[0]!) ? "integer" : "number" };
  if (list || (head.length > 3 && head.endsWith("s") && !SINGULAR_S.test(head))) return { type: "array", items: { type: "string" }, minItems: items ?? 1, ...(items === undefined ? {} : { maxItems: items }) };
  return { type: "string" };
}
