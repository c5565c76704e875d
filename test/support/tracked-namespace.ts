/**
 * Wrap the PROVIDER_HEALTH namespace so every RPC to a ProviderHealth object is tracked by the manual clock as real
 * I/O (see ManualClock.track), and names are prefixed per harness.
 */
import type { ManualClock } from "./clock";

const METHODS = new Set(["record", "snapshot", "acquireProbe", "operate", "list", "add", "remove", "clear", "check", "commit", "usage", "recordRoute", "note", "history", "start", "status", "absorb", "leaseCacheWrites"]);

export function trackedNamespace<N extends DurableObjectNamespace<any>>(ns: N, clock: ManualClock, prefix: string): N {
  return new Proxy(ns, {
    get(target, prop, receiver) {
      // Each harness gets its own objects, so one test's tripped breaker never leaks into the next.
      if (prop === "idFromName") return (name: string) => target.idFromName(`${prefix}:${name}`);
      if (prop !== "get") {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      }
      return (id: DurableObjectId) => {
        const stub = (target as unknown as { get(id: DurableObjectId): object }).get(id);
        return new Proxy(stub, {
          get(s: object, name) {
            const v = Reflect.get(s, name);
            if (typeof name === "string" && METHODS.has(name)) {
              return (...args: unknown[]) => clock.track(Reflect.apply(v as (...a: unknown[]) => Promise<unknown>, s, args));
            }
            return v;
          },
        });
      };
    },
  });
}
