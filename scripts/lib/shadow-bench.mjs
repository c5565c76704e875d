/**
 * Shadow traffic's added cost on the caller's path, for `npm run bench`: what a request pays before its response when
 * its route mirrors (src/readiness/sampling.ts `chooseShadow` deciding, plus handing each target's call to
 * `waitUntil`), timed in this process on the worst case — sampleRate 1, two shadow targets. The mirrored calls and
 * the comparison themselves run after the response and are not on the caller's path.
 */
import { summary } from "./stats.mjs";
import { loadTs } from "./readiness.mjs";

/** p50/p99 in microseconds of the caller-path part of shadow traffic per request. */
export async function benchShadow(iterations = 50_000) {
  const { chooseShadow, MinuteCounters } = await loadTs("src/readiness/sampling.ts");
  const config = {
    routes: { auto: { targets: ["swift/swift-mini", "ember/ember-medium"], shadow: { targets: ["ember/ember-medium", "sage/sage-large"], sampleRate: 1, maxPerMinute: 1e9 } } },
  };
  const counters = new MinuteCounters();
  const later = [];
  const headers = new Headers({ "content-type": "application/json" });
  const us = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    const choice = chooseShadow({ config, route: "auto", cacheControl: headers.get("cache-control"), tenantShadow: undefined, draw: Math.random(), now: Date.now() }, counters);
    if (choice.mirror) {
      const hook = (served) => {
        for (const ref of choice.shadow.targets) if (ref !== served) later.push(Promise.resolve(ref));
      };
      hook("swift/swift-mini");
    }
    us.push((performance.now() - t) * 1000);
    if (later.length > 1000) later.length = 0;
  }
  return summary(us.slice(Math.floor(iterations / 10)));
}
