/**
 * The life of a bench or drill process: cleanups run in reverse order, a watchdog that stops everything after a hard
 * limit (a load script must always end by itself), and SIGINT/SIGTERM handled the same way.
 */
export function lifecycle({ hardLimitMs, log }) {
  const cleanups = [];
  async function cleanup() {
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (err) {
        log("cleanup:", err?.message ?? err);
      }
    }
  }
  const watchdog = setTimeout(async () => {
    log(`gave up: still running after ${hardLimitMs / 1000}s`);
    await cleanup();
    process.exit(2);
  }, hardLimitMs);
  watchdog.unref();
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, async () => {
      await cleanup();
      process.exit(130);
    });
  }
  /** Run `main`, clean up whatever happened, and exit 0, or 1 when it threw. */
  async function runMain(main) {
    let code = 0;
    try {
      await main();
    } catch (err) {
      log("failed:", err?.stack ?? err);
      code = 1;
    } finally {
      await cleanup();
      clearTimeout(watchdog);
    }
    process.exit(code);
  }
  return { cleanups, cleanup, runMain };
}
