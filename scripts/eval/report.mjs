// The eval's per-target table (Markdown) and its JSON report.
const pct = (x) => (x === null ? "—" : `${(x * 100).toFixed(0)}%`);
const ms = (x) => (x === null ? "—" : `${Math.round(x)}`);

/** Nearest-rank percentile of `xs` (null for none). */
export function pctl(xs, q) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** One target's row from its per-case results. */
export function summarizeTarget(target, results, primary) {
  const ran = results.filter((r) => r.status !== "unsupported");
  const answered = ran.filter((r) => r.status === "ok");
  const compared = ran.filter((r) => r.comparison);
  return {
    target,
    primary: target === primary,
    cases: results.length,
    ran: ran.length,
    unsupported: results.length - ran.length,
    errors: ran.length - answered.length,
    passRate: ran.length ? answered.filter((r) => r.failures.length === 0).length / ran.length : null,
    // Against the primary's answers; errors and contract failures count as not equivalent.
    equivalence: compared.length || ran.length ? ran.filter((r) => r.comparison?.equivalent).length / ran.length : null,
    meanScore: compared.length ? compared.reduce((a, r) => a + r.comparison.score, 0) / compared.length : null,
    validationFailures: compared.filter((r) => !r.comparison.valid).length,
    latencyMs: { p50: pctl(answered.map((r) => r.ms), 0.5), p95: pctl(answered.map((r) => r.ms), 0.95) },
    costUsd: answered.reduce((a, r) => a + (r.costUsd ?? 0), 0),
  };
}

export function markdown(run) {
  const lines = [
    `# Golden-set eval: route \`${run.route}\``,
    "",
    `${run.generatedAt} · ${run.cases} cases from \`${run.golden}\` · against ${run.url}${run.faults.length ? ` · faults: ${run.faults.join(", ")}` : ""}` +
      (run.minEquivalence !== null ? ` · --min-equivalence ${run.minEquivalence}` : ""),
    "",
    "| target | ran | pass rate | equivalence to primary | mean score | validation failures | errors | p50 ms | p95 ms | cost USD | verdict |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...run.targets.map(
      (t) =>
        `| ${t.target}${t.primary ? " (primary)" : ""} | ${t.ran}/${t.cases}${t.unsupported ? ` (${t.unsupported} not capable)` : ""} | ${pct(t.passRate)} | ${t.primary ? "—" : pct(t.equivalence)} | ${t.primary || t.meanScore === null ? "—" : t.meanScore.toFixed(2)} | ${t.validationFailures} | ${t.errors} | ${ms(t.latencyMs.p50)} | ${ms(t.latencyMs.p95)} | ${t.costUsd.toFixed(6)} | ${t.verdict} |`,
    ),
    "",
  ];
  const failed = run.results.filter((r) => r.failures.length || (r.comparison && !r.comparison.equivalent));
  if (failed.length) {
    lines.push("## Cases that failed or differed", "", "| case | target | acceptance | comparator |", "|---|---|---|---|");
    for (const r of failed.slice(0, 200)) {
      const diff = r.comparison && !r.comparison.equivalent ? r.comparison.checks.filter((c) => !c.pass).map((c) => `${c.name}${c.detail ? `: ${c.detail}` : ""}`).join("; ") : "";
      lines.push(`| ${r.case} | ${r.target} | ${r.failures.join("; ").replace(/\|/g, "\\|") || "ok"} | ${diff.replace(/\|/g, "\\|")} |`);
    }
  }
  return lines.join("\n") + "\n";
}
