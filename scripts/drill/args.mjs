// The drill's command line: --quick, --scenario, --out, --traces, --list, --help.
import { UsageError } from "./common.mjs";

/** What --help prints. */
export const HELP = `usage: npm run drill [-- --quick] [--scenario <name>[,<name>…]] [--out <dir>] [--traces] [--list]`;

/** The command line: { quick, scenarios: names, out?, list, traces?, help? }; a UsageError for anything else. */
export function parseArgs(argv) {
  const args = { quick: false, scenarios: [], out: undefined, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") args.quick = true;
    else if (a === "--list") args.list = true;
    else if (a === "--traces") args.traces = true;
    else if (a === "--scenario" || a.startsWith("--scenario=")) args.scenarios.push(...value().split(",").filter(Boolean));
    else if (a === "--out" || a.startsWith("--out=")) args.out = value();
    else if (a === "--help" || a === "-h") args.help = true;
    else throw new UsageError(`unknown argument ${a} (try --help)`);
  }
  return args;
}
