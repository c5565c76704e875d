/** What crosses the wire to the ProviderHealth object for readiness (kept apart so the stubs module needs nothing else). */
import type { ShadowSample } from "./score";

/** The RPC the worker calls on the shadow target's object (durable-objects/provider-health.ts `recordShadow`). */
export interface ReadinessStub {
  recordShadow(route: string, target: string, samples: ShadowSample[], window: number): Promise<void>;
}
