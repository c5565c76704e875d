/**
 * Wrap the PROVIDER_HEALTH namespace so every RPC to a ProviderHealth object is tracked by the manual clock as real
 * I/O (see ManualClock.track), and names are prefixed per harness.
 */
import type { ManualClock } from "./clock";

const METHODS = new Set(["record", "snapshot", "acquireProbe", "operate"]);

export function trackedNamespace(ns: DurableObjectNamespace, clock: ManualClock, prefix: string): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop, receiver) {
      // Each harness gets its own objects, so one test's tripped breaker never leaks into the next.
      if (prop === "idFromName") return (name: string) => target.idFromName(`${prefix}:${name}`);
      if (prop !== "get") {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      }
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, {
          get(s, name) {
            const v = Reflect.get(s, name);
            if (typeof name === "string" && METHODS.has(name)) {
              return (...args: unknown[]) => clock.track((v as (...a: unknown[]) => Promise<unknown>).apply(s, args));
            }
            return v;
          },
        });
      };
    },
  });
}
