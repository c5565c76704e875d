/**
 * The evaluation of classification and extraction from history (issue 17.3) over the project's labelled set
 * (test/fixtures/degrade-eval/). Shared by `npm run eval:degrade` (scripts/eval-degrade/history.mjs, on the bundled
 * source) and the unit test that runs a slice with floors (on the TypeScript source): both pass the library in, so
 * both measure the same code.
 *
 * Each history item is recorded through the real recording path (`exampleOf`, as the worker does after a healthy
 * answer); each test item is answered by `historyAnswer`, then, when history abstains, by the keyword rules the ladder
 * tries next, so the rows show both the history rung alone and the ladder it sits in.
 */

/** @typedef {{category: string, items: number, accuracy?: number, precision?: number, recall?: number, misleading: number, abstained?: number}} Row */

const ratio = (a, b) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);

/** A canonical request as the worker would build it for a classification/extraction call. */
function request(text, schema) {
  return { messages: [{ role: "user", content: text }], responseFormat: { type: "json_schema", name: "eval", schema } };
}

const answerOf = (content) => ({ model: "eval", content, toolCalls: [], finishReason: "stop" });

/**
 * Rows for the ticket sets and the extraction set. `lib` exports HistoryConfig, historySpace, exampleOf, historyAnswer
 * (src/degrade/history*.ts) and ruleAnswer, canonicalWords, containsPhrase (src/degrade/rules.ts, extract.ts).
 * `opts.limit` takes the first N tests of each set (the unit test's slice); `opts.config` overrides history settings.
 * @returns {Promise<{rows: Row[], misses: string[]}>}
 */
export async function evaluateHistory(lib, tickets, extraction, opts = {}) {
  const cfg = lib.HistoryConfig.parse(opts.config ?? {});
  const tally = () => ({ items: 0, correct: 0, wrong: 0, abstained: 0 });
  const t = { without: tally(), withWord: tally(), ladderWithout: tally(), unrelated: tally() };
  const misses = [];
  for (const set of tickets.sets) {
    const schema = { type: "object", properties: { label: { type: "string", enum: set.labels } }, required: ["label"] };
    const space = lib.historySpace(request("x", schema), "classification");
    const examples = set.history
      .map((h, i) => lib.exampleOf(request(h.text, schema), space, answerOf(JSON.stringify({ label: h.label })), { now: i, maxTextChars: cfg.maxTextChars }))
      .filter(Boolean);
    const tests = opts.limit ? set.tests.slice(0, opts.limit) : set.tests;
    for (const item of tests) {
      const req = request(item.text, schema);
      const out = await lib.historyAnswer(req, space, examples, cfg);
      const got = out.ok ? JSON.parse(out.answer.content).label : undefined;
      const bucket = item.label === null ? t.unrelated : hasWord(lib, item.text, item.label) ? t.withWord : t.without;
      count(bucket, got, item.label);
      if (got !== item.label) misses.push(`${set.route}: "${item.text}" → ${got ?? `abstained (${out.why})`}, expected ${item.label ?? "abstain"}`);
      if (bucket === t.without) {
        // The ladder after history: keyword rules with the enum as labels.
        const rules = got === undefined ? lib.ruleAnswer(req, "classification", { rules: {} }) : undefined;
        count(t.ladderWithout, got ?? (rules ? JSON.parse(rules.content).label : undefined), item.label);
      }
    }
  }
  const rows = [
    row("history: tickets without the label's word", t.without),
    row("history: tickets with the label's word", t.withWord),
    row("history → rules: tickets without the label's word", t.ladderWithout),
    { category: "history: unrelated tickets (should abstain)", items: t.unrelated.items, accuracy: ratio(t.unrelated.abstained, t.unrelated.items), misleading: t.unrelated.wrong, abstained: t.unrelated.abstained },
  ];
  rows.push(...(await evaluateExtraction(lib, extraction, cfg, opts, misses)));
  return { rows, misses };
}

function hasWord(lib, text, label) {
  return lib.containsPhrase(lib.canonicalWords(text), lib.canonicalWords(label));
}

function count(b, got, want) {
  b.items++;
  if (got === undefined) b.abstained++;
  else if (got === want) b.correct++;
  else b.wrong++;
}

/** accuracy: right answers over all items (abstaining counts against it); precision: right over answered. */
function row(category, b) {
  return { category, items: b.items, accuracy: ratio(b.correct, b.items), precision: ratio(b.correct, b.correct + b.wrong), misleading: b.wrong, abstained: b.abstained };
}

/** One row per field the regexes cannot find (product, priority, department), and one for whole records. */
async function evaluateExtraction(lib, set, cfg, opts, misses) {
  const space = lib.historySpace(request("x", set.schema), "extraction");
  const examples = set.history
    .map((h, i) => lib.exampleOf(request(h.text, set.schema), space, answerOf(JSON.stringify(h.record)), { now: i, maxTextChars: cfg.maxTextChars }))
    .filter(Boolean);
  const fields = ["product", "priority", "department"];
  const per = Object.fromEntries(fields.map((f) => [f, { items: 0, correct: 0, wrong: 0, abstained: 0 }]));
  const records = { items: 0, correct: 0, wrong: 0, abstained: 0 };
  const tests = opts.limit ? set.tests.slice(0, opts.limit) : set.tests;
  for (const item of tests) {
    const out = await lib.historyAnswer(request(item.text, set.schema), space, examples, cfg);
    const got = out.ok ? JSON.parse(out.answer.content) : {};
    for (const f of fields) {
      const v = got[f] ?? undefined;
      count(per[f], v, item.record[f]);
      if (v !== item.record[f]) misses.push(`${set.route}.${f}: "${item.text}" → ${v ?? "not filled"}, expected ${item.record[f]}`);
    }
    const wantKeys = Object.keys(item.record);
    const whole = out.ok && wantKeys.every((k) => got[k] === item.record[k]);
    const anyWrong = out.ok && wantKeys.some((k) => got[k] !== undefined && got[k] !== null && got[k] !== item.record[k]);
    count(records, whole ? "ok" : anyWrong ? "wrong" : undefined, "ok");
  }
  return [
    ...fields.map((f) => row(`history: extraction field "${f}" (regexes cannot find it)`, per[f])),
    row("history + regexes: extraction records complete and right", records),
  ];
}

/** The rows as a fixed-width table for the terminal. */
export function formatRows(rows) {
  const pct = (x) => (x === undefined ? "" : `${(x * 100).toFixed(1)} %`);
  const head = ["category", "items", "accuracy", "precision", "misleading", "abstained"];
  const body = rows.map((r) => [r.category, String(r.items), pct(r.accuracy), pct(r.precision), String(r.misleading), r.abstained === undefined ? "" : String(r.abstained)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}
