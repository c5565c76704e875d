/**
 * Drills on the incident timeline: when an operator starts or stops a chaos fault, each affected provider's
 * ProviderHealth object notes it (a start also notes when the fault expires by itself; the timeline shows that line
 * once its time has come). Best effort and bounded: the admin call never fails because a note could not be written.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { breakerKey } from "../breakers/request";
import type { Fault } from "../chaos/faults";
import { withTimeout } from "../engine/clock";
import { historyStub } from "../platform/stubs";
import type { TimelineEvent } from "./history";

export async function noteDrills(c: Context<AppEnv>, faults: Fault[], what: "started" | "stopped", now: number): Promise<void> {
  const { config } = c.get("loaded");
  const deps = c.get("deps");
  if (!c.env.PROVIDER_HEALTH || faults.length === 0) return;
  const notes: Promise<unknown>[] = [];
  for (const f of faults) {
    const ids = f.provider === "*" ? config.providers.map((p) => p.id) : [f.provider];
    for (const id of ids) {
      const key = breakerKey(config, id, {});
      const detail = `${f.kind} ${Math.round(f.rate * 100)}% (${f.id})`;
      const events: TimelineEvent[] = [{ at: now, kind: "drill", key, what, detail }];
      if (what === "started") events.push({ at: f.expiresAt, kind: "drill", key, what: "expires", detail });
      for (const e of events) notes.push(withTimeout(historyStub(c.env, key).note(e), config.resilience.doTimeoutMs, deps.clock).catch(() => {}));
    }
  }
  await Promise.all(notes);
}
