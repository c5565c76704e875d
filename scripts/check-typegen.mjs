#!/usr/bin/env node
/**
 * `npm run cf-typegen:check`: fails when worker-configuration.d.ts is not what `npm run cf-typegen` would write.
 *
 * Why not `wrangler types --check`: it reads the developer's .dev.vars whatever `--env-file` says (wrangler 4.86), so
 * a secret kept there — README "Operations" puts DETOUR_ADMIN_TOKEN in it — made `npm test` fail on a clean tree.
 * This generates the types the way `cf-typegen` does (secrets from scripts/typegen.env, which is empty) into a
 * scratch file beside the real one and compares the hash wrangler writes of each.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(root, "worker-configuration.d.ts");
// Beside the committed file, so the import paths wrangler writes into it are the same.
const scratch = join(root, ".worker-configuration.check.d.ts");
const wrangler = join(root, "node_modules", ".bin", process.platform === "win32" ? "wrangler.cmd" : "wrangler");
const hashOf = (text) => /\(hash: ([a-zA-Z0-9]+)\)/.exec(text)?.[1];

/** What is wrong, or undefined when the committed types are current. */
function problem() {
  const run = spawnSync(wrangler, ["types", scratch, "--include-runtime=false", "--strict-vars=false", "--env-file", "scripts/typegen.env"], {
    cwd: root,
    encoding: "utf8",
  });
  if (run.status !== 0 || !existsSync(scratch)) return `check-typegen: wrangler types failed\n${run.stdout}${run.stderr}`;
  const want = hashOf(readFileSync(scratch, "utf8"));
  const have = existsSync(committed) ? hashOf(readFileSync(committed, "utf8")) : undefined;
  if (!want || want !== have) return "Types at worker-configuration.d.ts are out of date. Run `npm run cf-typegen` to regenerate.";
  return undefined;
}

let wrong;
try {
  wrong = problem();
} finally {
  rmSync(scratch, { force: true });
}
if (wrong) {
  console.error(wrong);
  process.exitCode = 1;
} else {
  console.log("Types at worker-configuration.d.ts are up to date.");
}
